package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The upstream meters of one cluster: attempts and their latency, retries, connections and the pool's events,
 * ejections and breaker transitions. The cluster's observer, so the engine reports to it without a lookup; outlives
 * the cluster's runtime objects, so a reload does not reset counts. Meters by outcome are registered on first use.
 * Thread-safe; a registration race is harmless, as the registry gives both sides the same meter for the same name
 * and tags.
 */
final class ClusterMeters implements ClusterObserver {
    /** Statuses below this have a slot of their own among the retries; HTTP's are 100–599. */
    private static final int MAX_STATUS = 600;

    private final MeterRegistry registry;
    private final String cluster;
    /** By status class, the last slot for attempts that got no response. */
    private final AtomicReferenceArray<Timer> latency = new AtomicReferenceArray<>(MeterNames.STATUS_CLASSES.length
            + 1);
    /** By status class, then by error. */
    private final AtomicReferenceArray<Counter> attempts = new AtomicReferenceArray<>(MeterNames.STATUS_CLASSES.length
            + MeterNames.errorCount());
    /** By error, then by the status retried (0–599). */
    private final AtomicReferenceArray<Counter> retries = new AtomicReferenceArray<>(MeterNames.errorCount()
            + MAX_STATUS);
    /** By the state entered, in the order of {@link UpstreamGuard#STATES}. */
    private final AtomicReferenceArray<Counter> transitions = new AtomicReferenceArray<>(UpstreamGuard.STATES.size());
    private final Timer connect;
    private final Counter opened;
    private final Counter closed;
    private final Counter reused;
    private final Counter connectFailures;
    private final Counter acquireTimeouts;
    private final Counter ejections;
    /** Zone-aware picks, local then remote; registered on the first, so clusters without locality show none. */
    private final AtomicReferenceArray<Counter> zonePicks = new AtomicReferenceArray<>(2);
    /** The stale keep-alive meters, by meter name and endpoint: endpoints are the cluster's, so the labels stay bounded. */
    private final ConcurrentHashMap<String, Counter> byEndpoint = new ConcurrentHashMap<>();

    ClusterMeters(MeterRegistry registry, String cluster) {
        this.registry = registry;
        this.cluster = cluster;
        this.connect = MeterNames.timer("proxy.upstream.connect").description("Time to open an upstream connection")
                .tag("cluster", cluster).register(registry);
        this.opened = counter("proxy.upstream.connections.opened", "Upstream connections opened");
        this.closed = counter("proxy.upstream.connections.closed", "Upstream connections closed, for any reason");
        this.reused = counter("proxy.upstream.connections.reused",
                "Requests sent on a kept-alive connection (reuse ratio = reused / (reused + opened))");
        this.connectFailures = counter("proxy.upstream.connect.failures", "Upstream connects that failed or timed out");
        this.acquireTimeouts = counter("proxy.conn.pool.acquire.timeouts",
                "Requests that waited for a connection at the pool's cap for the whole acquire timeout");
        this.ejections = counter("proxy.outlier.ejections", "Endpoints ejected by outlier detection");
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).tag("cluster", cluster).register(registry);
    }

    @Override
    public void attemptEnded(int status, ProxyError error, long nanos) {
        int statusClass = error == null ? MeterNames.statusClass(status) : -1;
        int t = statusClass >= 0 ? statusClass : MeterNames.STATUS_CLASSES.length;
        Timer timer = latency.get(t);
        if (timer == null) {
            timer = MeterNames.timer("proxy.upstream.latency")
                    .description("From an attempt's start (connection lease) to the upstream's response head")
                    .tag("cluster", cluster)
                    .tag("status_class", statusClass >= 0 ? MeterNames.STATUS_CLASSES[statusClass]
                            : MeterNames.NO_RESPONSE)
                    .register(registry);
            latency.set(t, timer);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
        ExemplarSpans.clear();
        int a = statusClass >= 0 ? statusClass : MeterNames.STATUS_CLASSES.length + error.ordinal();
        Counter c = attempts.get(a);
        if (c == null) {
            c = Counter.builder("proxy.upstream.attempts")
                    .description("Upstream attempts by outcome: a status class, or the error that ended the attempt")
                    .tag("cluster", cluster)
                    .tag("outcome", statusClass >= 0 ? MeterNames.STATUS_CLASSES[statusClass] : error.reason())
                    .register(registry);
            attempts.set(a, c);
        }
        c.increment();
    }

    @Override
    public void retrying(int status, ProxyError error) {
        // statuses worth a retry are the few a route's policy names, so the label stays bounded
        int i = error != null ? error.ordinal() : MeterNames.errorCount() + status;
        // a status outside 0–599 has no slot: counted all the same, through the registry's own lookup
        boolean slotted = error != null || status >= 0 && status < MAX_STATUS;
        Counter c = slotted ? retries.get(i) : null;
        if (c == null) {
            c = Counter.builder("proxy.upstream.retries")
                    .description("Attempts retried, by what the failed attempt got").tag("cluster", cluster)
                    .tag("reason", error != null ? error.reason() : Integer.toString(status)).register(registry);
            if (slotted) {
                retries.set(i, c);
            }
        }
        c.increment();
    }

    @Override
    public void zonePicked(boolean local) {
        int i = local ? 0 : 1;
        Counter c = zonePicks.get(i);
        if (c == null) {
            c = Counter.builder("proxy.upstream.zone.picks")
                    .description("Endpoints picked by zone-aware balancing, in the proxy's own zone (local) or another"
                            + " (remote)")
                    .tag("cluster", cluster).tag("zone_locality", local ? "local" : "remote").register(registry);
            zonePicks.set(i, c);
        }
        c.increment();
    }

    @Override
    public void connected(long nanos) {
        opened.increment();
        connect.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void connectFailed() {
        connectFailures.increment();
    }

    @Override
    public void connectionClosed() {
        closed.increment();
    }

    @Override
    public void leased(boolean wasReused) {
        if (wasReused) {
            reused.increment();
        }
    }

    @Override
    public void staleClose(String endpoint) {
        endpointCounter("proxy.upstream.stale.closes", endpoint,
                "Kept-alive connections the upstream closed while idle in the pool or as a request was sent on them")
                .increment();
    }

    @Override
    public void retiredByLearnedIdleTimeout(String endpoint) {
        endpointCounter("proxy.upstream.connections.retired.idle", endpoint,
                "Idle connections closed unused because they had been idle longer than the endpoint's learned idle"
                        + " timeout allows").increment();
    }

    @Override
    public void staleRequestFailed(String endpoint) {
        endpointCounter("proxy.upstream.stale.failures", endpoint,
                "Requests that failed because their reused connection closed before a response and they could not be"
                        + " sent again").increment();
    }

    private Counter endpointCounter(String name, String endpoint, String description) {
        return byEndpoint.computeIfAbsent(name + ' ' + endpoint, k -> Counter.builder(name).description(description)
                .tag("cluster", cluster).tag("endpoint", endpoint).register(registry));
    }

    @Override
    public void acquireTimedOut() {
        acquireTimeouts.increment();
    }

    @Override
    public void ejected() {
        ejections.increment();
    }

    @Override
    public void breakerTransition(String state) {
        int i = UpstreamGuard.STATES.indexOf(state);
        Counter c = i >= 0 ? transitions.get(i) : null;
        if (c == null) {
            c = Counter.builder("proxy.circuit.breaker.transitions")
                    .description("Circuit breaker state changes, by the state entered").tag("cluster", cluster)
                    .tag("to", state).register(registry);
            if (i >= 0) {
                transitions.set(i, c);
            }
        }
        c.increment();
    }
}
