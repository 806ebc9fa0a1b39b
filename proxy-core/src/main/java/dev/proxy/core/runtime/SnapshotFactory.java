package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.WeightedCluster;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.routing.Route;
import dev.proxy.core.routing.RouteTable;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.upstream.Endpoint;
import dev.proxy.core.upstream.UpstreamChannelInitializer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that turns config records into runtime objects. Builds a snapshot off the event loops; a cluster
 * whose config did not change is carried over from the previous snapshot with its pools. Thread-safe.
 */
public final class SnapshotFactory {
    private final LoadBalancer.Factory balancers;
    private final Resilience resilience;
    private final Bootstrap upstreamBootstrap;

    /**
     * @param upstreamBootstrap channel type, resolver and socket options shared by every upstream connection
     */
    public SnapshotFactory(LoadBalancer.Factory balancers, Resilience resilience, Bootstrap upstreamBootstrap) {
        this.balancers = requireNonNull(balancers, "balancers");
        this.resilience = requireNonNull(resilience, "resilience");
        this.upstreamBootstrap = requireNonNull(upstreamBootstrap, "upstreamBootstrap");
    }

    /** A snapshot for {@code config}; {@code previous} may be null. Does not close anything of {@code previous}. */
    public ConfigSnapshot build(ProxyConfig config, ConfigSnapshot previous) {
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        for (ClusterConfig cc : config.clusters()) {
            Cluster old = previous == null ? null : previous.clusters().get(cc.name());
            clusters.put(cc.name(), old != null && old.config().equals(cc) ? old : cluster(cc));
        }
        RequestFilter globalLimit = previous != null && previous.config().server().limits().maxInFlightRequests()
                == config.server().limits().maxInFlightRequests()
                ? previous.globalLimit() : resilience.globalLimit(config.server().limits());
        RouteTable table = RouteTable.of(config.routes());
        List<RouteTarget> targets = new ArrayList<>();
        for (Route route : table.routes()) {
            RouteConfig rc = route.config();
            Cluster[] cs = new Cluster[rc.clusters().size()];
            int[] weights = new int[cs.length];
            for (int i = 0; i < cs.length; i++) {
                WeightedCluster wc = rc.clusters().get(i);
                cs[i] = requireNonNull(clusters.get(wc.cluster()), wc.cluster());
                weights[i] = wc.weight();
            }
            Cluster mirror = rc.policies().mirror().map(m -> requireNonNull(clusters.get(m.cluster()), m.cluster()))
                    .orElse(null);
            // an unchanged route keeps its filters and retry budget, so a reload does not reset their counts
            RouteTarget old = previous == null ? null : previous.target(rc.name())
                    .filter(t -> t.route().config().equals(rc)).orElse(null);
            List<RequestFilter> filters = old != null ? old.routeFilters() : resilience.filters(rc);
            RetryPolicy retry = old != null ? old.retry() : resilience.retryPolicy(rc);
            targets.add(new RouteTarget(route, cs, weights, globalLimit, filters, retry, mirror));
        }
        long generation = previous == null ? 1 : previous.generation() + 1;
        return new ConfigSnapshot(generation, config, table, targets, clusters, globalLimit);
    }

    /** Closes the pools of the clusters of {@code old} that {@code current} no longer uses. */
    public static void retire(ConfigSnapshot old, ConfigSnapshot current) {
        for (Cluster c : old.clusters().values()) {
            if (current == null || current.clusters().get(c.name()) != c) {
                c.close();
            }
        }
    }

    private Cluster cluster(ClusterConfig cc) {
        Bootstrap bootstrap = upstreamBootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        cc.timeouts().connect().toMillis()))
                .handler(new UpstreamChannelInitializer(cc.timeouts()));
        List<Endpoint> endpoints = new ArrayList<>();
        Map<Endpoint, ConnectionPool> pools = new HashMap<>();
        for (EndpointConfig ec : cc.endpoints()) {
            Endpoint e = new Endpoint(ec.address(), ec.weight());
            endpoints.add(e);
            pools.putIfAbsent(e, new ConnectionPool(e, cc.pool(), bootstrap));
        }
        ConnectionPool[] byIndex = endpoints.stream().map(pools::get).toArray(ConnectionPool[]::new);
        EndpointLoad load = index -> byIndex[index].leased();
        EndpointHealth health = cc.outlierDetection().enabled() || cc.healthCheck().isPresent()
                ? new EndpointHealth(cc.outlierDetection(), endpoints, System::nanoTime) : null;
        ActiveHealthChecker checker = null;
        if (cc.healthCheck().isPresent()) {
            checker = new ActiveHealthChecker(cc.name(), cc.healthCheck().get(), health);
            checker.start(endpoints, upstreamBootstrap);
        }
        return new Cluster(cc, endpoints, balancers.create(cc.balancer(), endpoints, load), pools, health, checker,
                resilience.guard(cc));
    }
}
