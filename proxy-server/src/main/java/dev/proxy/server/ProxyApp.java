package dev.proxy.server;

import dev.proxy.balancer.Balancers;
import dev.proxy.balancer.dns.DnsEndpointSource;
import dev.proxy.balancer.etcd.FailoverEndpointSource;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.engine.ProxyServer;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.observability.accesslog.AccessLog;
import dev.proxy.observability.metrics.DiscoveryMeters;
import dev.proxy.observability.metrics.NettyMeters;
import dev.proxy.observability.metrics.ProxyMeters;
import dev.proxy.observability.metrics.ProxyMetrics;
import dev.proxy.observability.metrics.RuntimeMeters;
import dev.proxy.observability.tracing.ProxyTracing;
import dev.proxy.observability.watchdog.JvmReadingSource;
import dev.proxy.observability.watchdog.Watchdog;
import dev.proxy.resilience.ResilienceFactory;
import dev.proxy.resilience.ratelimit.RedisTokenSource;
import dev.proxy.resilience.ratelimit.TokenSource;
import dev.proxy.server.admin.AdminServer;
import dev.proxy.server.demo.DemoBackend;
import dev.proxy.server.fleet.FleetConfigSource;
import dev.proxy.server.reload.ConfigHash;
import dev.proxy.server.reload.ConfigFileWatcher;
import dev.proxy.server.reload.ConfigReloader;
import dev.proxy.server.reload.ReloadResult;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the one place that knows every module and wires them into a running proxy (traffic
 * listener, admin listener, discovery, observability, reload, optional demo backends). Thread-safe; {@link #stop} is
 * idempotent.
 */
public final class ProxyApp implements AutoCloseable, ConfigReloader.Target {
    private static final Logger log = LoggerFactory.getLogger(ProxyApp.class);

    private final ProxyMetrics metrics = new ProxyMetrics();
    private volatile ProxyConfig config;
    private Optional<DemoBackend> demo = Optional.empty();
    private ProxyTracing tracing;
    private ProxyServer proxy;
    private RuntimeMeters runtime;
    private Watchdog watchdog;
    /** Replaced when a reload changes what is discovered; guarded by {@code this} for writes. */
    private volatile Optional<EndpointSource> discovery = Optional.empty();
    private List<Meter> discoveryMeters = List.of();
    private Optional<ConfigReloader> reloader = Optional.empty();
    private Optional<ConfigFileWatcher> fileWatcher = Optional.empty();
    private Optional<ConfigFileWatcher> certificateWatcher = Optional.empty();
    private AdminServer admin;
    /** The Redis of the global rate limits, when the config has one; lives as long as the app (a restart changes it). */
    private Optional<RedisTokenSource> globalTokens = Optional.empty();
    private ResilienceFactory resilience;
    /** The fleet's config key in etcd this replica follows, when the file has a {@code configSource}. */
    private Optional<FleetConfigSource> fleet = Optional.empty();
    private volatile String hash;
    private ConfigMeters configMeters;
    private volatile boolean stopped;

    private ProxyApp(ProxyConfig config) {
        this.config = config;
    }

    /**
     * Starts the proxy on {@code config}, with no file behind it: it cannot be reloaded.
     *
     * @param withDemo also start a demo backend on every static loopback endpoint of the config
     */
    public static ProxyApp start(ProxyConfig config, boolean withDemo) throws InterruptedException {
        return start(null, config, withDemo);
    }

    /**
     * Starts the proxy on {@code config}, read from {@code file}, which is then watched: a change, SIGHUP (see
     * {@link Main}) or {@code POST /config/reload} loads it again.
     */
    public static ProxyApp start(Path file, ProxyConfig config, boolean withDemo) throws InterruptedException {
        return start(file, config, Optional.empty(), withDemo);
    }

    /**
     * Starts the proxy on a loaded config: a routes file, watched as above, or a replica's local file with its fleet
     * source, whose key in etcd is followed as well. The app owns the fleet source from here on, and closes it.
     */
    public static ProxyApp start(LoadedConfig loaded, boolean withDemo) throws InterruptedException {
        return start(loaded.file(), loaded.config(), loaded.fleet(), withDemo);
    }

    private static ProxyApp start(Path file, ProxyConfig config, Optional<FleetConfigSource> fleet, boolean withDemo)
            throws InterruptedException {
        ProxyApp app = new ProxyApp(config);
        app.fleet = fleet;
        try {
            app.startAll(file, withDemo);
            return app;
        } catch (RuntimeException | InterruptedException e) {
            app.stop(Duration.ZERO);
            throw e;
        }
    }

    private void startAll(Path file, boolean withDemo) throws InterruptedException {
        if (withDemo) {
            List<HostPort> addresses = loopbackEndpoints(config);
            demo = Optional.of(DemoBackend.start(addresses));
            log.info("demo backends answering on {}", addresses);
        }
        tracing = ProxyTracing.create(config.observability().tracing());
        // tracing first: the meters and the access log read, at a request's end, the trace it started
        ProxyObserver observer = ProxyObserver.of(List.of(tracing.observer(), new ProxyMeters(metrics.registry()),
                AccessLog.of(config.observability().accessLog())));
        globalTokens = config.redis().map(RedisTokenSource::create);
        resilience = new ResilienceFactory(globalTokens.map(TokenSource.class::cast));
        if (globalTokens.isPresent()) {
            GlobalLimitMeters.bind(metrics.registry(), resilience.globalLimitHealth());
        }
        proxy = ProxyServer.start(config, Balancers.factory(), resilience, observer);
        runtime = RuntimeMeters.bind(metrics.registry(), proxy);
        BuildInfo build = BuildInfo.current();
        // the info-metric idiom: constant 1, the facts in the labels, so dashboards can join on them
        Gauge.builder("proxy.build.info", () -> 1).description("The build this instance runs (always 1)")
                .tags("version", build.version(), "commit", build.commit(), "java", build.java())
                .register(metrics.registry());
        metrics.beforeScrape(runtime::refresh);
        hash = ConfigHash.of(config);
        configMeters = ConfigMeters.bind(metrics.registry(), hash);
        log.info("config hash {}", hash);
        NettyMeters.bind(metrics.registry(), proxy.allocator(), proxy.workers());
        watchdog = new Watchdog(config.observability().watchdog(), new JvmReadingSource(proxy::connectionCount,
                config.server().limits().maxConnections()), metrics.registry(),
                proxy::closeIdleUpstreamConnections).start();
        startDiscovery(config);
        watchCertificates();
        if (file != null) {
            ConfigReloader r = fleet.isPresent()
                    ? new ConfigReloader(fleet.get().describe(), fleet.get()::load, this, runtime::configLoaded,
                            proxy.snapshot().generation())
                    : new ConfigReloader(file, this, runtime::configLoaded, proxy.snapshot().generation());
            reloader = Optional.of(r);
            fleet.ifPresent(f -> {
                ConfigMeters.bindFleet(metrics.registry(), f::status);
                f.start(r);
            });
            try {
                fileWatcher = Optional.of(ConfigFileWatcher.start(file, () -> r.reload("file")));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot watch " + file + " for changes", e);
            }
        }
        admin = AdminServer.start(config.server().adminListen(), new AdminModel(this));
        log.info("admin listening on {}", admin.address());
    }

    /** Reloads the listener's certificates when their files change (a renewal, a Kubernetes Secret update). */
    private void watchCertificates() {
        proxy.tls().ifPresent(tls -> {
            try {
                certificateWatcher = Optional.of(ConfigFileWatcher.start(tls.files(), tls::reload, "tls-watch"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot watch the TLS certificates " + tls.files(), e);
            }
        });
    }

    /** Follows the discovered clusters of {@code c} (in etcd, by DNS), if any; the endpoints go to the proxy. */
    private synchronized void startDiscovery(ProxyConfig c) {
        List<EndpointSource> sources = new ArrayList<>();
        FailoverEndpointSource.of(c).ifPresent(sources::add);
        DnsEndpointSource.of(c).ifPresent(sources::add);
        Optional<EndpointSource> source = sources.isEmpty() ? Optional.empty()
                : Optional.of(EndpointSource.combine(sources));
        // set before starting, so that a source failing to start is closed by stop() with the others
        discovery = source;
        source.ifPresent(d -> {
            discoveryMeters = DiscoveryMeters.bind(metrics.registry(), d);
            d.start(proxy);
        });
    }

    private synchronized void stopDiscovery() {
        discovery.ifPresent(EndpointSource::close);
        discoveryMeters.forEach(metrics.registry()::remove);
        discoveryMeters = List.of();
        discovery = Optional.empty();
    }

    /**
     * Swaps in a new config: new requests use it at once, requests in flight finish on the old one, clusters that did
     * not change keep their pools, health and breakers. When the discovered clusters (etcd prefixes, DNS names) or the
     * etcd connection change, discovery starts again on the new ones; the endpoints already known keep serving
     * meanwhile.
     */
    @Override
    public synchronized long apply(ProxyConfig next) {
        if (stopped) {
            throw new IllegalStateException("the proxy is stopping");
        }
        ProxyConfig previous = config;
        long generation = proxy.apply(next).generation();
        config = next;
        hash = ConfigHash.of(next);
        configMeters.applied(hash);
        if (!previous.etcdPrefixes().equals(next.etcdPrefixes()) || !previous.etcd().equals(next.etcd())
                || !previous.dnsClusters().equals(next.dnsClusters())) {
            stopDiscovery();
            startDiscovery(next);
        }
        return generation;
    }

    /** Loads the config file again (SIGHUP, the admin API); empty when the proxy was not started from a file. */
    public Optional<ReloadResult> reload(String trigger) {
        return reloader.map(r -> r.reload(trigger));
    }

    /** The static endpoints of every cluster that are on this machine's loopback interface. */
    static List<HostPort> loopbackEndpoints(ProxyConfig config) {
        Set<HostPort> result = new LinkedHashSet<>();
        for (ClusterConfig c : config.clusters()) {
            for (EndpointConfig e : c.endpoints()) {
                if (isLoopback(e.address().host())) {
                    result.add(e.address());
                }
            }
        }
        return List.copyOf(result);
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public ProxyServer proxy() {
        return proxy;
    }

    public AdminServer admin() {
        return admin;
    }

    /** The content hash of the config serving traffic ({@link ConfigHash}). */
    @Override
    public String hash() {
        return hash;
    }

    /** The fleet config source this replica follows, if any. */
    public Optional<FleetConfigSource> fleet() {
        return fleet;
    }

    /** The config serving traffic. */
    @Override
    public ProxyConfig config() {
        return config;
    }

    ProxyMetrics metrics() {
        return metrics;
    }

    Optional<EndpointSource> discovery() {
        return discovery;
    }

    Watchdog watchdog() {
        return watchdog;
    }

    /** True while the global rate limits' Redis is failing: readiness reports it as a degradation. */
    boolean globalLimitsDegraded() {
        return globalTokens.isPresent() && resilience.globalLimitHealth().degraded();
    }

    Optional<ConfigReloader> reloader() {
        return reloader;
    }

    /** Drains: readiness fails at once, in-flight requests get the configured grace period, then all closes. */
    public void stop() {
        stop(config.server().drainGracePeriod());
    }

    public synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        // nothing may swap a snapshot into a server that is shutting down: no reload, no discovery
        fileWatcher.ifPresent(ConfigFileWatcher::close);
        fleet.ifPresent(FleetConfigSource::close);
        certificateWatcher.ifPresent(ConfigFileWatcher::close);
        stopDiscovery();
        if (watchdog != null) {
            watchdog.close();
        }
        if (proxy != null) {
            proxy.shutdown(grace);
        }
        // after the proxy: no request draws on Redis any more
        globalTokens.ifPresent(RedisTokenSource::close);
        // after the proxy: the spans of the last requests are exported before the SDK shuts down
        if (tracing != null) {
            tracing.close();
        }
        if (admin != null) {
            admin.close();
        }
        metrics.close();
        demo.ifPresent(DemoBackend::close);
    }

    @Override
    public void close() {
        stop();
    }
}
