package dev.proxy.balancer.etcd;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.EtcdConfig;
import dev.proxy.core.config.EtcdFallbackConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSink;
import dev.proxy.core.discovery.EndpointSource;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery from a primary etcd cluster with a fallback one. Both are followed all the time (each by its own
 * {@link EtcdEndpointSource}, with list, resumed watch and compaction handling), so the fallback's sets are current
 * when they are needed; only one source's sets are served at a time.
 *
 * <p>The reconciliation rule: one source is authoritative, and its complete set of each cluster replaces the set
 * served; nothing is merged. The primary is authoritative until it has been unreachable for {@code failoverAfter}
 * (and the fallback answers); then the fallback is, until the primary has been reachable again for
 * {@code failbackAfter}. On each switch every cluster gets the new authority's set at once, so an endpoint registered
 * only on the other side leaves then; a cluster the new authority has no set for keeps the one it has (fail static).
 * Registrations on the fallback carry a shorter lease ({@code proxy register --fallback-etcd}), so what was only
 * registered there during an outage expires soon after its process goes.
 *
 * <p>Thread-safe: the two sources call in from their own threads and a timer of its own ({@code etcd-failover})
 * checks the primary's reachability; the state is guarded by this object's monitor.
 */
public final class FailoverEndpointSource implements EndpointSource {
    private static final Logger log = LoggerFactory.getLogger(FailoverEndpointSource.class);

    /** Whose sets are served. */
    enum Serving { PRIMARY, FALLBACK }

    private final EndpointSource primary;
    private final EndpointSource fallback;
    private final long failoverAfterNanos;
    private final long failbackAfterNanos;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService timer;
    // guarded by this
    private final Map<String, List<EndpointConfig>> fromPrimary = new HashMap<>();
    private final Map<String, List<EndpointConfig>> fromFallback = new HashMap<>();
    private final Map<String, Integer> served = new HashMap<>();
    private Serving serving = Serving.PRIMARY;
    private boolean primaryUp;
    private long primarySince;
    private long updates;
    private long switches;
    private Instant lastUpdate;
    private EndpointSink sink;

    /**
     * @param nanoClock {@link System#nanoTime} in production
     */
    FailoverEndpointSource(EndpointSource primary, EndpointSource fallback, Duration failoverAfter,
                           Duration failbackAfter, LongSupplier nanoClock) {
        this.primary = requireNonNull(primary, "primary");
        this.fallback = requireNonNull(fallback, "fallback");
        this.failoverAfterNanos = failoverAfter.toNanos();
        this.failbackAfterNanos = failbackAfter.toNanos();
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "etcd-failover");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The etcd discovery of {@code config}'s clusters: the primary alone, or with its fallback when
     * {@code discovery.etcd.fallback} is set; empty when no cluster discovers its endpoints in etcd.
     */
    public static Optional<EndpointSource> of(ProxyConfig config) {
        Map<String, String> prefixes = config.etcdPrefixes();
        if (prefixes.isEmpty() || config.etcd().isEmpty()) {
            return Optional.empty();
        }
        EtcdConfig etcd = config.etcd().get();
        EndpointSource primary = new EtcdEndpointSource(etcd, prefixes);
        if (etcd.fallback().isEmpty()) {
            return Optional.of(primary);
        }
        EtcdFallbackConfig f = etcd.fallback().get();
        return Optional.of(new FailoverEndpointSource(primary, new EtcdEndpointSource(f.connection(), prefixes),
                f.failoverAfter(), f.failbackAfter(), System::nanoTime));
    }

    @Override
    public void start(EndpointSink sink) {
        requireNonNull(sink, "sink");
        synchronized (this) {
            this.sink = sink;
            primarySince = nanoClock.getAsLong();
        }
        primary.start((cluster, endpoints) -> received(Serving.PRIMARY, cluster, endpoints));
        fallback.start((cluster, endpoints) -> received(Serving.FALLBACK, cluster, endpoints));
        // a few checks within the shorter of the two delays, so a switch comes at most a quarter of it late
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(TimeUnit.SECONDS.toNanos(1),
                Math.min(failoverAfterNanos, failbackAfterNanos) / 4));
        timer.scheduleWithFixedDelay(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    private synchronized void received(Serving from, String cluster, List<EndpointConfig> endpoints) {
        (from == Serving.PRIMARY ? fromPrimary : fromFallback).put(cluster, endpoints);
        if (from == serving) {
            apply(cluster, endpoints);
        }
    }

    /** Called by the timer: follows the primary's reachability and switches when a delay has run out. */
    void check() {
        DiscoveryStatus p = primary.status();
        boolean up = p.connected();
        boolean fallbackUp = fallback.status().connected();
        synchronized (this) {
            long now = nanoClock.getAsLong();
            if (up != primaryUp) {
                primaryUp = up;
                primarySince = now;
            }
            if (serving == Serving.PRIMARY && !up && fallbackUp && now - primarySince >= failoverAfterNanos) {
                log.warn("primary etcd unreachable for {} ms: serving the endpoints of the fallback etcd",
                        TimeUnit.NANOSECONDS.toMillis(now - primarySince));
                switchTo(Serving.FALLBACK, fromFallback);
            } else if (serving == Serving.FALLBACK && up && now - primarySince >= failbackAfterNanos) {
                log.info("primary etcd reachable again for {} ms: serving its endpoints",
                        TimeUnit.NANOSECONDS.toMillis(now - primarySince));
                switchTo(Serving.PRIMARY, fromPrimary);
            }
        }
    }

    private void switchTo(Serving next, Map<String, List<EndpointConfig>> sets) {
        serving = next;
        switches++;
        // the new authority's whole set replaces each cluster's: what only the other side had leaves now
        sets.forEach(this::apply);
    }

    private void apply(String cluster, List<EndpointConfig> endpoints) {
        try {
            sink.updateEndpoints(cluster, endpoints);
        } catch (RuntimeException e) {
            // a sink that fails must not stop discovery: the next change tries again
            log.error("cluster {}: applying {} endpoints failed", cluster, endpoints.size(), e);
            return;
        }
        served.put(cluster, endpoints.size());
        updates++;
        lastUpdate = Instant.now();
    }

    /** Whose sets are served now. */
    synchronized Serving serving() {
        return serving;
    }

    /** How many times the served source changed. */
    synchronized long switches() {
        return switches;
    }

    @Override
    public Set<String> clusters() {
        return primary.clusters();
    }

    /**
     * Synced and connected as the source served now says; {@code onFallback} while that is the fallback; updates and
     * endpoints as served.
     */
    @Override
    public DiscoveryStatus status() {
        DiscoveryStatus p = primary.status();
        DiscoveryStatus f = fallback.status();
        synchronized (this) {
            DiscoveryStatus active = serving == Serving.PRIMARY ? p : f;
            boolean synced = served.keySet().containsAll(primary.clusters()) || p.synced();
            return new DiscoveryStatus(synced, active.connected(), Optional.ofNullable(lastUpdate), updates,
                    p.decodeErrors() + f.decodeErrors(), served, 0, serving == Serving.FALLBACK);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        primary.close();
        fallback.close();
    }
}
