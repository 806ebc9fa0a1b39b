package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.EndpointAvailability;
import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.balancer.Locality;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.EndpointSelector;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.WeightedCluster;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.RouteObserver;
import dev.proxy.core.routing.Route;
import dev.proxy.core.routing.RouteTable;
import dev.proxy.core.tls.UpstreamTls;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.Endpoint;
import dev.proxy.core.upstream.UpstreamChannelInitializer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one place that turns config records into runtime objects. Builds a snapshot off the event loops; a cluster
 * whose config did not change is carried over from the previous snapshot with its pools, and one whose discovered
 * endpoints changed keeps the pools, health and breaker of the endpoints that stay. Thread-safe.
 */
public final class SnapshotFactory {
    private final LoadBalancer.Factory balancers;
    private final Resilience resilience;
    private final Bootstrap upstreamBootstrap;
    private final ProxyObserver observer;

    /**
     * @param upstreamBootstrap channel type, resolver and socket options shared by every upstream connection
     * @param observer gives each cluster the observer of its pools, endpoints and attempts, each route the observer
     *     of its requests, and each snapshot that of the requests no route took
     */
    public SnapshotFactory(LoadBalancer.Factory balancers, Resilience resilience, Bootstrap upstreamBootstrap,
                           ProxyObserver observer) {
        this.balancers = requireNonNull(balancers, "balancers");
        this.resilience = requireNonNull(resilience, "resilience");
        this.upstreamBootstrap = requireNonNull(upstreamBootstrap, "upstreamBootstrap");
        this.observer = requireNonNull(observer, "observer");
    }

    /** A snapshot for {@code config} with no discovered endpoints; {@code previous} may be null. */
    public ConfigSnapshot build(ProxyConfig config, ConfigSnapshot previous) {
        return build(config, previous, Map.of());
    }

    /**
     * A snapshot for {@code config}; {@code previous} may be null. Does not close anything of {@code previous}: see
     * {@link #retire}. The generation goes up only when {@code config} is not the previous snapshot's config.
     *
     * @param discovered the endpoints of the clusters that discover theirs, by cluster name; a discovered cluster
     *     absent from it has none yet
     */
    public ConfigSnapshot build(ProxyConfig config, ConfigSnapshot previous,
                                Map<String, List<EndpointConfig>> discovered) {
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        // the proxy's zone decides every zone-aware balancer: a new one rebuilds them, keeping pools and health
        boolean zoneMoved = previous != null && !previous.config().server().zone().equals(config.server().zone());
        for (ClusterConfig cc : config.clusters()) {
            Cluster old = previous == null ? null : previous.clusters().get(cc.name());
            List<EndpointConfig> endpoints = cc.discovered() ? discovered.getOrDefault(cc.name(), List.of())
                    : cc.endpoints();
            Cluster next;
            if (old == null || !old.config().equals(cc)) {
                next = cluster(cc, endpoints, null, config.server().zone());
            } else if (zoneMoved || !sameEndpoints(old, endpoints)) {
                next = cluster(cc, endpoints, old, config.server().zone());
            } else {
                next = old;
            }
            clusters.put(cc.name(), next);
        }
        Optional<RequestFilter> globalLimit = previous != null
                && previous.config().server().limits().maxInFlightRequests()
                == config.server().limits().maxInFlightRequests()
                ? previous.globalLimit() : Optional.ofNullable(resilience.globalLimit(config.server().limits()));
        // an endpoint-set change keeps the config object: its routes need no new index (regexes, tries)
        RouteTable table = previous != null && previous.config() == config ? previous.routes()
                : RouteTable.of(config.routes());
        List<RouteTarget> targets = new ArrayList<>();
        // the selectors each cluster's routes use, so that views no route uses are dropped
        Map<String, Set<EndpointSelector>> selectors = new HashMap<>();
        // by name, so that a reload of many routes finds each one's predecessor without a scan
        Map<String, RouteTarget> before = new HashMap<>();
        if (previous != null) {
            for (RouteTarget t : previous.targets()) {
                before.put(t.route().config().name(), t);
            }
        }
        for (Route route : table.routes()) {
            RouteConfig rc = route.config();
            Cluster[] cs = new Cluster[rc.clusters().size()];
            int[] weights = new int[cs.length];
            for (int i = 0; i < cs.length; i++) {
                WeightedCluster wc = rc.clusters().get(i);
                Cluster whole = requireNonNull(clusters.get(wc.cluster()), wc.cluster());
                // the subset is chosen here, once per snapshot: a request only gets the precomputed view
                // a weighted entry's own selector wins over the route's: a canary split by label within one cluster
                Optional<EndpointSelector> selector = wc.endpointSelector().or(rc::endpointSelector);
                selector.ifPresent(sel -> selectors.computeIfAbsent(wc.cluster(), k -> new HashSet<>())
                        .add(sel));
                cs[i] = selector.map(whole::subset).orElse(whole);
                weights[i] = wc.weight();
            }
            Optional<Cluster> mirror = rc.policies().mirror()
                    .map(m -> requireNonNull(clusters.get(m.cluster()), m.cluster()));
            RouteTarget sameName = before.get(rc.name());
            // an unchanged route keeps its filters and retry budget, so a reload does not reset their counts
            RouteTarget old = sameName != null && sameName.route().config().equals(rc) ? sameName : null;
            List<RequestFilter> filters = old != null ? old.routeFilters() : resilience.filters(rc);
            RetryPolicy retry = old != null ? old.retry() : resilience.retryPolicy(rc);
            RouteObserver routeObserver = sameName != null ? sameName.observer() : observer.route(rc.name());
            targets.add(new RouteTarget(route, new RouteTarget.Destinations(cs, weights, mirror),
                    new RouteTarget.Policies(globalLimit, filters, retry), routeObserver));
        }
        clusters.forEach((name, c) -> c.retainSubsets(selectors.getOrDefault(name, Set.of())));
        long generation = previous == null ? 1
                : previous.config() == config ? previous.generation() : previous.generation() + 1;
        RouteObserver unrouted = previous != null ? previous.unrouted() : observer.unrouted();
        return new ConfigSnapshot(generation, config, table, targets, clusters, globalLimit, unrouted);
    }

    /**
     * Stops what the clusters of {@code old} own and {@code current} no longer uses: the pools of dropped clusters
     * and endpoints, and replaced health checks. {@code current} may be null (shutdown).
     */
    public static void retire(ConfigSnapshot old, ConfigSnapshot current) {
        for (Cluster c : old.clusters().values()) {
            Cluster successor = current == null ? null : current.clusters().get(c.name());
            if (successor != c) {
                c.retire(successor);
            }
        }
    }

    private static boolean sameEndpoints(Cluster cluster, List<EndpointConfig> endpoints) {
        List<Endpoint> have = cluster.endpoints();
        if (have.size() != endpoints.size()) {
            return false;
        }
        for (int i = 0; i < have.size(); i++) {
            if (!have.get(i).equals(Endpoint.of(endpoints.get(i)))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A runtime cluster for {@code cc} with these endpoints. With a {@code predecessor} of the same config (an
     * endpoint set change), the endpoints it had keep their instance, pool and health, and its breaker carries on.
     */
    private Cluster cluster(ClusterConfig cc, List<EndpointConfig> endpointConfigs, Cluster predecessor,
                            Optional<String> localZone) {
        Cluster.Parts inherited = predecessor == null ? null : predecessor.parts();
        Bootstrap bootstrap = inherited != null ? inherited.bootstrap() : upstreamBootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        cc.timeouts().connect().toMillis()))
                .handler(new UpstreamChannelInitializer(cc.timeouts(), cc.protocol(), cc.http2()));
        Optional<UpstreamTls> tls = inherited != null ? inherited.tls()
                : cc.tls().map(t -> UpstreamTls.of(cc.name(), t, cc.protocol()));
        Map<Endpoint, ConnectionPool> inheritedPools = inherited != null ? inherited.pools() : Map.of();
        ClusterObserver clusterObserver = inherited != null ? inherited.observer() : observer.cluster(cc.name());
        List<Endpoint> endpoints = new ArrayList<>();
        Map<Endpoint, ConnectionPool> pools = new HashMap<>();
        for (EndpointConfig ec : endpointConfigs) {
            Endpoint fresh = Endpoint.of(ec);
            ConnectionPool kept = inheritedPools.get(fresh);
            // the same instance as before: health state is looked up by identity
            Endpoint e = kept != null ? kept.endpoint() : fresh;
            endpoints.add(e);
            pools.computeIfAbsent(e, k -> kept != null ? kept : new ConnectionPool(k, cc.pool(), bootstrap,
                    clusterObserver, tls.orElse(null)));
        }
        Optional<EndpointHealth> health = cc.outlierDetection().enabled() || cc.healthCheck().isPresent()
                ? Optional.of(new EndpointHealth(cc.outlierDetection(), endpoints, System::nanoTime,
                        inherited == null ? null : inherited.health().orElse(null), clusterObserver))
                : Optional.empty();
        Optional<ActiveHealthChecker> checker = cc.healthCheck().map(hc -> {
            ActiveHealthChecker started = new ActiveHealthChecker(cc.name(), hc, health.orElseThrow());
            started.start(endpoints, upstreamBootstrap, tls.orElse(null), cc.protocol());
            return started;
        });
        UpstreamGuard guard = inherited != null ? inherited.guard() : resilience.guard(cc, clusterObserver);
        Optional<String> zone = cc.locality().enabled() ? localZone : Optional.empty();
        Cluster.Balancing balancing = list -> {
            ConnectionPool[] byIndex = list.stream().map(pools::get).toArray(ConnectionPool[]::new);
            EndpointLoad load = index -> byIndex[index].leased();
            Optional<Locality> locality = zone.map(z -> new Locality(cc.locality(), z,
                    availability(health, list), clusterObserver));
            return balancers.create(cc.balancer(), list, load, locality);
        };
        return new Cluster(cc, endpoints,
                new Cluster.Parts(pools, health, guard, bootstrap, tls, clusterObserver, balancing), checker);
    }

    /** The availability of {@code endpoints} by index, as {@code health} (empty: all available) sees it. */
    private static EndpointAvailability availability(Optional<EndpointHealth> health, List<Endpoint> endpoints) {
        if (health.isEmpty()) {
            return EndpointAvailability.ALL;
        }
        EndpointHealth h = health.get();
        Endpoint[] byIndex = endpoints.toArray(Endpoint[]::new);
        return new EndpointAvailability() {
            @Override
            public boolean isAvailable(int index) {
                return h.isAvailable(byIndex[index]);
            }

            @Override
            public long version() {
                return h.version();
            }
        };
    }
}
