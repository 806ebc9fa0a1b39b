package dev.proxy.observability.metrics;

import dev.proxy.core.engine.ProxyServer;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.tls.ServerTls;
import dev.proxy.core.tls.TlsProvider;
import dev.proxy.core.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The gauges read off the running proxy at scrape time: open client connections, the config generation and the last
 * good load, and per cluster the pool's counts and utilisation, endpoints by health and breakers by state. Clusters
 * come and go with reloads, so the per-cluster rows are rebuilt when the set of cluster names changes
 * ({@link #refresh}, called before each scrape). Thread-safe.
 */
public final class RuntimeMeters {
    private final ProxyServer server;
    private final MultiGauge poolActive;
    private final MultiGauge poolIdle;
    private final MultiGauge poolPending;
    private final MultiGauge poolUtilization;
    private final MultiGauge endpoints;
    private final MultiGauge breakers;
    private final MultiGauge learnedIdle;
    private final Counter loadsOk;
    private final Counter loadsFailed;
    private final AtomicLong lastLoadEpochMillis = new AtomicLong();
    private Set<String> shownClusters = Set.of();
    private Set<List<String>> shownEndpoints = Set.of();

    private RuntimeMeters(MeterRegistry registry, ProxyServer server) {
        this.server = server;
        Gauge.builder("proxy.connections.active", server, ProxyServer::connectionCount)
                .description("Client connections open now").register(registry);
        Gauge.builder("proxy.config.generation", server, s -> s.snapshot().generation())
                .description("The generation of the config serving traffic; goes up with each applied change")
                .register(registry);
        Gauge.builder("proxy.config.last.success.timestamp", lastLoadEpochMillis, t -> t.get() / 1000.0)
                .baseUnit("seconds").description("When a config was last loaded and applied (Unix time)")
                .register(registry);
        loadsOk = Counter.builder("proxy.config.reloads").tag("result", "success")
                .description("Config loads by result; a rejected one leaves the old config serving").register(registry);
        loadsFailed = Counter.builder("proxy.config.reloads").tag("result", "failure")
                .description("Config loads by result; a rejected one leaves the old config serving").register(registry);
        poolActive = MultiGauge.builder("proxy.conn.pool.active")
                .description("Upstream connections carrying a request now").register(registry);
        poolIdle = MultiGauge.builder("proxy.conn.pool.idle").description("Upstream connections kept alive, idle")
                .register(registry);
        poolPending = MultiGauge.builder("proxy.conn.pool.pending")
                .description("Requests waiting for a connection at the pool's cap").register(registry);
        poolUtilization = MultiGauge.builder("proxy.conn.pool.utilization").baseUnit("ratio")
                .description("Active connections over the cluster's cap (endpoints × maxConnectionsPerEndpoint)")
                .register(registry);
        endpoints = MultiGauge.builder("proxy.endpoints")
                .description("A cluster's endpoints by state: available, ejected (outlier detection), failing_checks")
                .register(registry);
        breakers = MultiGauge.builder("proxy.circuit.breakers")
                .description("A cluster's circuit breakers by state (one, or one per endpoint)").register(registry);
        learnedIdle = MultiGauge.builder("proxy.upstream.idle.timeout.learned").baseUnit("seconds")
                .description("The idle time after which the endpoint was seen to close kept-alive connections"
                        + " (relaxed slowly over time); NaN until one is seen").register(registry);
    }

    /** Binds the gauges of {@code server} to {@code registry}; counts its first config as a successful load. */
    public static RuntimeMeters bind(MeterRegistry registry, ProxyServer server) {
        RuntimeMeters meters = new RuntimeMeters(registry, server);
        server.tls().ifPresent(tls -> {
            Gauge.builder("proxy.tls.provider", () -> 1).tag("provider", TlsProvider.name())
                    .description("The TLS implementation in use: openssl (netty-tcnative) or jdk").register(registry);
            // the names are the configured certificates': a reload renews them, never adds one
            for (String name : tls.expiries().keySet()) {
                Gauge.builder("proxy.tls.certificate.expiry", tls, t -> secondsLeft(t, name)).baseUnit("seconds")
                        .tag("certificate", name)
                        .description("Seconds until the listener certificate expires; negative once it has")
                        .register(registry);
            }
        });
        meters.configLoaded(true);
        meters.refresh();
        return meters;
    }

    /** A config load ended: applied ({@code ok}) or rejected. */
    public void configLoaded(boolean ok) {
        if (ok) {
            loadsOk.increment();
            lastLoadEpochMillis.set(System.currentTimeMillis());
        } else {
            loadsFailed.increment();
        }
    }

    /** Rebuilds the per-cluster rows if the clusters changed since the last call. */
    public synchronized void refresh() {
        refreshEndpoints();
        Set<String> names = server.snapshot().clusters().keySet();
        if (names.equals(shownClusters)) {
            return;
        }
        shownClusters = Set.copyOf(names);
        poolActive.register(rows(names, c -> c.poolStats().leased()), true);
        poolIdle.register(rows(names, c -> c.poolStats().idle()), true);
        poolPending.register(rows(names, c -> c.poolStats().pending()), true);
        poolUtilization.register(rows(names, Cluster::poolUtilization), true);
        List<MultiGauge.Row<?>> endpointRows = new ArrayList<>();
        List<MultiGauge.Row<?>> breakerRows = new ArrayList<>();
        for (String name : names) {
            endpointRows.add(row(name, "state", "available", Cluster::availableCount));
            endpointRows.add(row(name, "state", "ejected", Cluster::ejectedCount));
            endpointRows.add(row(name, "state", "failing_checks", Cluster::failingChecksCount));
            for (String state : UpstreamGuard.STATES) {
                breakerRows.add(row(name, "state", state, c -> c.guard().breakers(state)));
            }
        }
        endpoints.register(endpointRows, true);
        breakers.register(breakerRows, true);
    }

    /** The per-endpoint rows: rebuilt when the endpoints change (discovery), read live. */
    private void refreshEndpoints() {
        Set<List<String>> pairs = new HashSet<>();
        for (Cluster c : server.snapshot().clusters().values()) {
            for (Endpoint e : c.endpoints()) {
                pairs.add(List.of(c.name(), e.toString()));
            }
        }
        if (pairs.equals(shownEndpoints)) {
            return;
        }
        shownEndpoints = Set.copyOf(pairs);
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (List<String> pair : pairs) {
            rows.add(MultiGauge.Row.of(Tags.of("cluster", pair.get(0), "endpoint", pair.get(1)), this,
                    m -> m.learnedIdleSeconds(pair.get(0), pair.get(1))));
        }
        learnedIdle.register(rows, true);
    }

    private double learnedIdleSeconds(String cluster, String endpoint) {
        Cluster c = server.snapshot().clusters().get(cluster);
        if (c == null) {
            return Double.NaN;
        }
        for (Endpoint e : c.endpoints()) {
            if (e.toString().equals(endpoint)) {
                return c.pool(e).learnedIdleTimeout().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
            }
        }
        return Double.NaN;
    }

    private static double secondsLeft(ServerTls tls, String certificate) {
        Instant expiry = tls.expiries().get(certificate);
        return expiry == null ? Double.NaN : Duration.between(Instant.now(), expiry).toSeconds();
    }

    private List<MultiGauge.Row<?>> rows(Set<String> names, ToDoubleFunction<Cluster> value) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (String name : names) {
            rows.add(MultiGauge.Row.of(Tags.of("cluster", name), this, m -> m.read(name, value)));
        }
        return rows;
    }

    private MultiGauge.Row<?> row(String cluster, String key, String value, ToDoubleFunction<Cluster> reading) {
        return MultiGauge.Row.of(Tags.of("cluster", cluster, key, value), this, m -> m.read(cluster, reading));
    }

    /** The reading of the cluster as it is now; NaN while a reload has removed it and the rows are not rebuilt yet. */
    private double read(String cluster, ToDoubleFunction<Cluster> value) {
        ConfigSnapshot snapshot = server.snapshot();
        Cluster c = snapshot.clusters().get(cluster);
        return c == null ? Double.NaN : value.applyAsDouble(c);
    }
}
