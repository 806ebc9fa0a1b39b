package dev.proxy.server;

import dev.proxy.balancer.Balancers;
import dev.proxy.balancer.etcd.EtcdEndpointSource;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.ProxyConfig;
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
import dev.proxy.server.admin.AdminServer;
import dev.proxy.server.demo.DemoBackend;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: the one place that knows every module and wires them into a running proxy (traffic
 * listener, admin listener, optional demo backends). Thread-safe; {@link #stop} is idempotent.
 */
public final class ProxyApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyApp.class);

    private final ProxyConfig config;
    private final ProxyServer proxy;
    private final AdminServer admin;
    private final Optional<DemoBackend> demo;
    private final Optional<EtcdEndpointSource> discovery;
    private final ProxyMetrics metrics;
    private final Watchdog watchdog;
    private final ProxyTracing tracing;
    private volatile boolean stopped;

    private ProxyApp(ProxyConfig config, ProxyServer proxy, AdminServer admin, Optional<DemoBackend> demo,
                     Optional<EtcdEndpointSource> discovery, ProxyMetrics metrics, Watchdog watchdog,
                     ProxyTracing tracing) {
        this.config = config;
        this.proxy = proxy;
        this.admin = admin;
        this.demo = demo;
        this.discovery = discovery;
        this.metrics = metrics;
        this.watchdog = watchdog;
        this.tracing = tracing;
    }

    /**
     * Starts the proxy on {@code config}.
     *
     * @param withDemo also start a demo backend on every static loopback endpoint of the config
     */
    public static ProxyApp start(ProxyConfig config, boolean withDemo) throws InterruptedException {
        Optional<DemoBackend> demo = Optional.empty();
        Optional<EtcdEndpointSource> discovery = Optional.empty();
        ProxyMetrics metrics = new ProxyMetrics();
        ProxyServer proxy = null;
        Watchdog watchdog = null;
        ProxyTracing tracing = null;
        try {
            if (withDemo) {
                List<HostPort> addresses = loopbackEndpoints(config);
                demo = Optional.of(DemoBackend.start(addresses));
                log.info("demo backends answering on {}", addresses);
            }
            tracing = ProxyTracing.create(config.observability().tracing());
            // tracing first: the access log and the logs of a request read the trace it started
            ProxyObserver observer = ProxyObserver.of(List.of(tracing.observer(),
                    new ProxyMeters(metrics.registry()), AccessLog.of(config.observability().accessLog())));
            proxy = ProxyServer.start(config, Balancers.factory(), new ResilienceFactory(), observer);
            RuntimeMeters runtime = RuntimeMeters.bind(metrics.registry(), proxy);
            metrics.beforeScrape(runtime::refresh);
            NettyMeters.bind(metrics.registry(), proxy.workers());
            watchdog = new Watchdog(config.observability().watchdog(), new JvmReadingSource(proxy::connectionCount,
                    config.server().limits().maxConnections()), metrics.registry(),
                    proxy::closeIdleUpstreamConnections).start();
            ProxyServer started = proxy;
            discovery = EtcdEndpointSource.of(config);
            discovery.ifPresent(d -> {
                DiscoveryMeters.bind(metrics.registry(), d);
                d.start(started);
            });
            AdminServer admin = AdminServer.start(config.server().adminListen(),
                    new ProxyReadiness(proxy, discovery, watchdog), metrics);
            log.info("admin listening on {}", admin.address());
            return new ProxyApp(config, proxy, admin, demo, discovery, metrics, watchdog, tracing);
        } catch (RuntimeException | InterruptedException e) {
            if (watchdog != null) {
                watchdog.close();
            }
            metrics.close();
            discovery.ifPresent(EtcdEndpointSource::close);
            if (proxy != null) {
                proxy.shutdown(Duration.ZERO);
            }
            if (tracing != null) {
                tracing.close();
            }
            demo.ifPresent(DemoBackend::close);
            throw e;
        }
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

    public ProxyConfig config() {
        return config;
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
        // discovery first: nothing may swap a snapshot into a server that is shutting down
        discovery.ifPresent(EtcdEndpointSource::close);
        watchdog.close();
        proxy.shutdown(grace);
        // after the proxy: the spans of the last requests are exported before the SDK shuts down
        tracing.close();
        admin.close();
        metrics.close();
        demo.ifPresent(DemoBackend::close);
    }

    @Override
    public void close() {
        stop();
    }
}
