package dev.proxy.resilience.breaker;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.UpstreamOutcome;
import dev.proxy.core.config.CircuitBreakerConfig;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongBinaryOperator;
import java.util.function.LongSupplier;

/**
 * A cluster's circuit breaker, or one per endpoint ({@code perEndpoint}), on resilience4j's {@link CircuitBreaker}.
 * Connect failures, resets, timeouts and responses with a status in {@code failureStatuses} count as failures; other
 * responses as successes, slow ones above {@code slowCallDurationThreshold}. An open breaker lets probes through after
 * {@code waitInOpen}, on the first attempt after the wait (no scheduler thread), and its probes decide between closed
 * and open again.
 *
 * <p>A 429 or 503 with {@code Retry-After} holds the breaker open until then (at most {@code retryAfterMax} ahead):
 * the upstream said when it wants traffic back, so probing earlier is pointless. It does not open a closed breaker by
 * itself; it only keeps a breaker that is or becomes open from going half-open before that time.
 *
 * <p>resilience4j is configured so that the per-call path takes no lock: a lock-free time-based sliding window (whose
 * size must then be at least 2 seconds, so a 1 s window becomes 2 s) and no automatic transition. The one lock left
 * is taken once per open → half-open transition. The window ages with the real clock; the open state's wait, the
 * Retry-After hold and the per-endpoint breakers use the injected ticker.
 *
 * <p>Thread-safe, shared by every event loop. Per-endpoint breakers are created on an endpoint's first attempt and
 * kept for the guard's life (endpoints that leave the cluster keep theirs until the cluster's config changes).
 */
public final class CircuitBreakerGuard implements UpstreamGuard {
    private static final LongBinaryOperator LATER = (a, b) -> b - a > 0 ? b : a;

    private final String name;
    private final io.github.resilience4j.circuitbreaker.CircuitBreakerConfig breakerConfig;
    private final boolean[] failureStatus = new boolean[600];
    private final long retryAfterMaxNanos;
    private final LongSupplier nanoClock;
    /** The cluster's breaker, or null with one per endpoint. */
    private final Breaker clusterBreaker;
    /** The endpoints' breakers, or null with one per cluster. */
    private final ConcurrentHashMap<Endpoint, Breaker> endpointBreakers;
    private final Function<Endpoint, Breaker> newEndpointBreaker;
    private final ClusterObserver observer;

    /**
     * @param clusterName names the breakers ({@code cluster} or {@code cluster/host:port})
     * @param nanoClock the ticker for the open state's wait and the Retry-After hold
     */
    public CircuitBreakerGuard(String clusterName, CircuitBreakerConfig config, LongSupplier nanoClock) {
        this(clusterName, config, nanoClock, ClusterObserver.NONE);
    }

    /**
     * @param observer hears each state change this guard's calls see: resilience4j's event publisher is not used, as
     *     with any consumer on it every call would allocate an event
     */
    public CircuitBreakerGuard(String clusterName, CircuitBreakerConfig config, LongSupplier nanoClock,
                               ClusterObserver observer) {
        this.name = requireNonNull(clusterName, "clusterName");
        this.observer = requireNonNull(observer, "observer");
        requireNonNull(config, "config");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.breakerConfig = toResilience4j(config, nanoClock);
        for (int status : config.failureStatuses()) {
            if (status >= 0 && status < failureStatus.length) {
                failureStatus[status] = true;
            }
        }
        this.retryAfterMaxNanos = config.retryAfterMax().toNanos();
        if (config.perEndpoint()) {
            this.clusterBreaker = null;
            this.endpointBreakers = new ConcurrentHashMap<>();
            this.newEndpointBreaker = endpoint -> newBreaker(name + "/" + endpoint);
        } else {
            this.clusterBreaker = newBreaker(name);
            this.endpointBreakers = null;
            this.newEndpointBreaker = null;
        }
    }

    static io.github.resilience4j.circuitbreaker.CircuitBreakerConfig toResilience4j(CircuitBreakerConfig c,
                                                                                      LongSupplier nanoClock) {
        long windowSeconds = Math.max(2, (c.slidingWindow().toNanos() + 999_999_999) / 1_000_000_000);
        return io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
                .failureRateThreshold(c.failureRateThreshold())
                .slowCallRateThreshold(c.slowCallRateThreshold())
                .slowCallDurationThreshold(max(c.slowCallDurationThreshold(), Duration.ofNanos(1)))
                .slidingWindow((int) Math.min(Integer.MAX_VALUE, windowSeconds), c.minimumNumberOfCalls(),
                        SlidingWindowType.TIME_BASED, SlidingWindowSynchronizationStrategy.LOCK_FREE)
                .waitDurationInOpenState(max(c.waitInOpen(), Duration.ofMillis(1)))
                .permittedNumberOfCallsInHalfOpenState(c.halfOpenCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .clock(new NanoClock(nanoClock))
                .build();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private Breaker newBreaker(String breakerName) {
        return new Breaker(CircuitBreaker.of(breakerName, breakerConfig), new AtomicLong(nanoClock.getAsLong()),
                new AtomicReference<>(CircuitBreaker.State.CLOSED));
    }

    /**
     * Tells the observer when the breaker's state differs from the last one seen: each change once, whichever thread
     * sees it first. Two changes between calls (open, half-open and open again) show as none; the gauge still tells.
     */
    private void noteState(Breaker b) {
        CircuitBreaker.State now = b.circuit().getState();
        CircuitBreaker.State seen = b.seen().get();
        if (now != seen && b.seen().compareAndSet(seen, now)) {
            observer.breakerTransition(stateName(now));
        }
    }

    static String stateName(CircuitBreaker.State state) {
        return state.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public int breakers(String state) {
        if (clusterBreaker != null) {
            return stateName(clusterBreaker.circuit().getState()).equals(state) ? 1 : 0;
        }
        int n = 0;
        for (Breaker b : endpointBreakers.values()) {
            if (stateName(b.circuit().getState()).equals(state)) {
                n++;
            }
        }
        return n;
    }

    private Breaker breaker(Endpoint endpoint) {
        if (clusterBreaker != null) {
            return clusterBreaker;
        }
        Breaker b = endpointBreakers.get(endpoint);
        return b != null ? b : endpointBreakers.computeIfAbsent(endpoint, newEndpointBreaker);
    }

    @Override
    public boolean tryAcquire(Endpoint endpoint) {
        Breaker b = breaker(endpoint);
        boolean held = b.holdOpenUntil().get() - nanoClock.getAsLong() > 0;
        if (held && b.circuit().getState() == CircuitBreaker.State.OPEN) {
            return false;
        }
        boolean permitted = b.circuit().tryAcquirePermission();
        noteState(b);
        return permitted;
    }

    @Override
    public void onResponse(Endpoint endpoint, int status, long durationNanos, OptionalLong retryAfterNanos) {
        Breaker b = breaker(endpoint);
        // before the outcome is recorded, so that if this very response opens the breaker, the hold is already there
        if ((status == 429 || status == 503) && retryAfterNanos.isPresent() && retryAfterMaxNanos > 0) {
            long until = nanoClock.getAsLong() + Math.min(retryAfterNanos.getAsLong(), retryAfterMaxNanos);
            b.holdOpenUntil().accumulateAndGet(until, LATER);
        }
        if (status >= 0 && status < failureStatus.length && failureStatus[status]) {
            b.circuit().onError(durationNanos, TimeUnit.NANOSECONDS, UpstreamFailure.INSTANCE);
        } else {
            b.circuit().onSuccess(durationNanos, TimeUnit.NANOSECONDS);
        }
        noteState(b);
    }

    @Override
    public void onFailure(Endpoint endpoint, ProxyError error, long durationNanos) {
        Breaker b = breaker(endpoint);
        if (UpstreamOutcome.of(error).failsEndpoint()) {
            b.circuit().onError(durationNanos, TimeUnit.NANOSECONDS, UpstreamFailure.INSTANCE);
            noteState(b);
        } else {
            b.circuit().releasePermission();
        }
    }

    @Override
    public void release(Endpoint endpoint) {
        breaker(endpoint).circuit().releasePermission();
    }

    /** The state of the breaker guarding {@code endpoint}; CLOSED for an endpoint not tried yet. */
    public CircuitBreaker.State breakerState(Endpoint endpoint) {
        Breaker b = clusterBreaker != null ? clusterBreaker : endpointBreakers.get(endpoint);
        return b == null ? CircuitBreaker.State.CLOSED : b.circuit().getState();
    }

    @Override
    public String state(Endpoint endpoint) {
        return stateName(breakerState(endpoint));
    }

    /** Every breaker's state by its name ({@code cluster}, or {@code cluster/host:port} per endpoint); a snapshot. */
    public Map<String, CircuitBreaker.State> states() {
        Map<String, CircuitBreaker.State> states = new LinkedHashMap<>();
        if (clusterBreaker != null) {
            states.put(clusterBreaker.circuit().getName(), clusterBreaker.circuit().getState());
        } else {
            endpointBreakers.values().forEach(b -> states.put(b.circuit().getName(), b.circuit().getState()));
        }
        return states;
    }

    /** Whether each endpoint has its own breaker. */
    public boolean perEndpoint() {
        return clusterBreaker == null;
    }

    @Override
    public String toString() {
        return "CircuitBreakerGuard[" + name + (perEndpoint() ? ", per endpoint" : "") + "]";
    }

    /** One breaker, the ticker time until which a Retry-After holds it open, and the last state reported. */
    private record Breaker(CircuitBreaker circuit, AtomicLong holdOpenUntil, AtomicReference<CircuitBreaker.State> seen) {
    }
}
