package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.OutlierDetectionConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The health of one cluster's endpoints. Passive: counts consecutive gateway failures per endpoint and ejects an
 * endpoint that reaches the threshold, for a time that doubles with each ejection that follows soon after the last,
 * up to a maximum, and never more than the configured share of the cluster at once. Active: the verdict of the
 * {@link ActiveHealthChecker}, when the cluster has health checks. An endpoint is available when it is neither
 * ejected nor failing its checks.
 *
 * <p>Thread-safe and lock-free: reports come from every event loop. A success costs one volatile read when the
 * endpoint had no failures, so the common path writes nothing shared.
 */
public final class EndpointHealth {
    private final OutlierDetectionConfig config;
    private final LongSupplier nanoClock;
    private final Map<Endpoint, Integer> indexes = new IdentityHashMap<>();
    private final State[] states;
    private final int maxEjected;
    private final ClusterObserver observer;
    /** Moves on every change of availability: an ejection, its end, a flip of the checks' verdict. */
    private final AtomicLong version = new AtomicLong();
    /** The earliest end of an ejection still running, {@code Long.MAX_VALUE} when none; written under {@code this}. */
    private volatile long nextEjectionEnd = Long.MAX_VALUE;

    /**
     * @param nanoClock {@link System#nanoTime} in production; tests pass a fake
     */
    public EndpointHealth(OutlierDetectionConfig config, List<Endpoint> endpoints, LongSupplier nanoClock) {
        this(config, endpoints, nanoClock, null, ClusterObserver.NONE);
    }

    /**
     * The health of a changed endpoint set: the endpoints that {@code previous} knew (the same instances) keep
     * their failures, ejections and check verdicts; the others start healthy.
     */
    EndpointHealth(OutlierDetectionConfig config, List<Endpoint> endpoints, LongSupplier nanoClock,
                   EndpointHealth previous, ClusterObserver observer) {
        this.config = requireNonNull(config, "config");
        this.observer = requireNonNull(observer, "observer");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.states = new State[endpoints.size()];
        for (int i = 0; i < states.length; i++) {
            State kept = previous == null ? null : previous.state(endpoints.get(i));
            states[i] = kept != null ? kept : new State();
            indexes.put(endpoints.get(i), i);
        }
        this.maxEjected = config.enabled() ? Math.max(1, endpoints.size() * config.maxEjectionPercent() / 100) : 0;
        // kept ejections end on their own clock: the first of them must move the version too
        long now = nanoClock.getAsLong();
        for (State st : states) {
            if (st.ejectedUntil > now) {
                nextEjectionEnd = Math.min(nextEjectionEnd, st.ejectedUntil);
            }
        }
    }

    /**
     * A number that changes whenever an endpoint's availability may have changed: an ejection, the end of one, a
     * change of the checks' verdict. One clock read and two volatile reads; the lock only when an ejection has just
     * ended.
     */
    public long version() {
        if (nanoClock.getAsLong() >= nextEjectionEnd) {
            ejectionsEnded();
        }
        return version.get();
    }

    private synchronized void ejectionsEnded() {
        long now = nanoClock.getAsLong();
        if (now < nextEjectionEnd) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (State st : states) {
            if (st.ejectedUntil > now) {
                next = Math.min(next, st.ejectedUntil);
            }
        }
        nextEjectionEnd = next;
        version.incrementAndGet();
    }

    /** The endpoint answered with something other than a gateway error. */
    public void success(Endpoint endpoint) {
        State s = state(endpoint);
        if (s != null && s.failures.get() != 0) {
            s.failures.set(0);
        }
    }

    /** The endpoint failed as a gateway: connect error, reset, timeout, or a 502/503/504 response. */
    public void gatewayFailure(Endpoint endpoint) {
        State s = state(endpoint);
        if (s == null || !config.enabled()) {
            return;
        }
        if (s.failures.incrementAndGet() >= config.consecutiveGatewayFailures()) {
            tryEject(s);
        }
    }

    /** True when the endpoint may get traffic now. */
    public boolean isAvailable(Endpoint endpoint) {
        State s = state(endpoint);
        return s == null || (s.activeHealthy && s.ejectedUntil <= nanoClock.getAsLong());
    }

    /** True while outlier detection has {@code endpoint} ejected. */
    public boolean isEjected(Endpoint endpoint) {
        State s = state(endpoint);
        return s != null && s.ejectedUntil > nanoClock.getAsLong();
    }

    /** True while {@code endpoint} fails its active health checks. */
    public boolean isFailingChecks(Endpoint endpoint) {
        State s = state(endpoint);
        return s != null && !s.activeHealthy;
    }

    /** Records the active checks' verdict; an endpoint is healthy until its checks say otherwise. */
    public void setActiveHealthy(Endpoint endpoint, boolean healthy) {
        State s = state(endpoint);
        if (s != null && s.activeHealthy != healthy) {
            s.activeHealthy = healthy;
            version.incrementAndGet();
        }
    }

    /** How many endpoints are ejected now. */
    public int ejectedCount() {
        long now = nanoClock.getAsLong();
        int n = 0;
        for (State s : states) {
            if (s.ejectedUntil > now) {
                n++;
            }
        }
        return n;
    }

    /** How many endpoints fail their active health checks now (ejected ones included). */
    public int unhealthyCount() {
        int n = 0;
        for (State s : states) {
            if (!s.activeHealthy) {
                n++;
            }
        }
        return n;
    }

    /** True when health must be ignored because too few endpoints are available. */
    public boolean isPanicking() {
        long now = nanoClock.getAsLong();
        int available = 0;
        for (State s : states) {
            if (s.activeHealthy && s.ejectedUntil <= now) {
                available++;
            }
        }
        return available * 100 < config.panicThreshold() * states.length;
    }

    private void tryEject(State s) {
        long now = nanoClock.getAsLong();
        synchronized (s) {
            if (s.ejectedUntil > now || ejectedCount() >= maxEjected) {
                return;
            }
            // an ejection soon after the previous one ended lasts longer: the endpoint is still unwell
            boolean recent = s.lastEjectionEnd != 0 && now - s.lastEjectionEnd < config.maxEjectionTime().toNanos();
            s.multiplier = recent ? Math.min(s.multiplier * 2, 1 << 20) : 1;
            long duration = Math.min(config.baseEjectionTime().toNanos() * s.multiplier,
                    config.maxEjectionTime().toNanos());
            s.ejectedUntil = now + duration;
            s.lastEjectionEnd = s.ejectedUntil;
            s.failures.set(0);
        }
        ejectionStarted(now + 1);
        observer.ejected();
    }

    /** Notes a new ejection: the version moves, and its end is the next one to watch if it is the earliest. */
    private synchronized void ejectionStarted(long now) {
        long next = Long.MAX_VALUE;
        for (State st : states) {
            if (st.ejectedUntil >= now) {
                next = Math.min(next, st.ejectedUntil);
            }
        }
        nextEjectionEnd = next;
        version.incrementAndGet();
    }

    private State state(Endpoint endpoint) {
        Integer i = indexes.get(endpoint);
        return i == null ? null : states[i];
    }

    /** One endpoint's counters; the ejection fields change under the state's own monitor, read without it. */
    private static final class State {
        final AtomicInteger failures = new AtomicInteger();
        volatile long ejectedUntil = Long.MIN_VALUE;
        volatile boolean activeHealthy = true;
        long lastEjectionEnd;
        long multiplier = 1;
    }
}
