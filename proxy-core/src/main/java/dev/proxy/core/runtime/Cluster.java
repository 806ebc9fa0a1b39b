package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.tls.UpstreamTls;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.upstream.Endpoint;
import dev.proxy.core.upstream.PoolStats;
import io.netty.bootstrap.Bootstrap;
import java.util.List;
import java.util.Map;

/** A cluster ready to serve: its endpoints, their balancer and one connection pool per endpoint. Thread-safe. */
public final class Cluster {
    private final ClusterConfig config;
    private final List<Endpoint> endpoints;
    private final LoadBalancer balancer;
    private final Map<Endpoint, ConnectionPool> pools;
    private final EndpointHealth outliers;
    private final ActiveHealthChecker checker;
    private final UpstreamGuard guard;
    private final Bootstrap bootstrap;
    private final UpstreamTls tls;
    private final ClusterObserver observer;
    private final Balancing balancing;

    /** Builds the cluster's balancer (the policy, zone-aware when asked) over some of its endpoints. */
    @FunctionalInterface
    interface Balancing {
        /** A balancer over {@code endpoints}, which are all the cluster's (the same instances). */
        LoadBalancer over(List<Endpoint> endpoints);
    }

    /**
     * @param outliers the health of the endpoints, or null when neither outlier detection nor checks are on
     * @param checker the running active health checks, or null
     * @param guard the cluster's circuit breaker, or {@link UpstreamGuard#NONE}
     * @param bootstrap what the pools connect with, kept for the pools of endpoints that discovery adds
     * @param tls the cluster's TLS context, or null; kept with the bootstrap
     * @param observer what the pools, health and guard report to, and the exchanges report their attempts to
     * @param balancing builds the policy's balancer over the endpoints; ejected endpoints are kept out on top of it
     */
    Cluster(ClusterConfig config, List<Endpoint> endpoints, Balancing balancing, Map<Endpoint, ConnectionPool> pools,
            EndpointHealth outliers, ActiveHealthChecker checker, UpstreamGuard guard, Bootstrap bootstrap,
            UpstreamTls tls, ClusterObserver observer) {
        this.config = requireNonNull(config, "config");
        this.endpoints = List.copyOf(endpoints);
        this.pools = Map.copyOf(pools);
        this.outliers = outliers;
        this.checker = checker;
        this.guard = requireNonNull(guard, "guard");
        this.bootstrap = requireNonNull(bootstrap, "bootstrap");
        this.tls = tls;
        this.observer = requireNonNull(observer, "observer");
        this.balancing = requireNonNull(balancing, "balancing");
        LoadBalancer policy = balancing.over(this.endpoints);
        this.balancer = outliers == null ? policy : new EjectionAwareBalancer(policy, outliers, this.endpoints);
    }

    /** Tells outlier detection how a request to {@code endpoint} went: a gateway failure or not. */
    public void report(Endpoint endpoint, boolean gatewayFailure) {
        if (outliers != null) {
            if (gatewayFailure) {
                outliers.gatewayFailure(endpoint);
            } else {
                outliers.success(endpoint);
            }
        }
    }

    /** How many endpoints outlier detection has ejected now. */
    public int ejectedCount() {
        return outliers == null ? 0 : outliers.ejectedCount();
    }

    /** How many endpoints fail their active health checks now. */
    public int failingChecksCount() {
        return outliers == null ? 0 : outliers.unhealthyCount();
    }

    /**
     * The endpoint's health in one word: {@code failing_checks} (its active checks fail), {@code ejected} (outlier
     * detection took it out), else {@code available}.
     */
    public String healthOf(Endpoint endpoint) {
        if (outliers == null) {
            return "available";
        }
        return outliers.isFailingChecks(endpoint) ? "failing_checks"
                : outliers.isEjected(endpoint) ? "ejected" : "available";
    }

    /** True unless outlier detection has ejected the endpoint. */
    public boolean isAvailable(Endpoint endpoint) {
        return outliers == null || outliers.isAvailable(endpoint);
    }

    public String name() {
        return config.name();
    }

    public ClusterConfig config() {
        return config;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** Hears how each attempt on this cluster ended and each retry; resolved once, so a request looks nothing up. */
    public ClusterObserver observer() {
        return observer;
    }

    /** The circuit breaker every attempt to this cluster asks first. */
    public UpstreamGuard guard() {
        return guard;
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    public ConnectionPool pool(Endpoint endpoint) {
        return pools.get(endpoint);
    }

    /** How many endpoints may get traffic now (neither ejected nor failing their checks). */
    public int availableCount() {
        int n = 0;
        for (Endpoint e : endpoints) {
            if (isAvailable(e)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Requests in flight over what the pool can carry at once: endpoints × maxConnectionsPerEndpoint, times
     * maxStreamsPerConnection for HTTP/2; 0 when empty.
     */
    public double poolUtilization() {
        long perConnection = config.protocol() == UpstreamProtocol.H2 ? config.pool().maxStreamsPerConnection() : 1;
        long cap = (long) endpoints.size() * config.pool().maxConnectionsPerEndpoint() * perConnection;
        return cap == 0 ? 0 : (double) poolStats().leased() / cap;
    }

    /** The pool counts summed over all endpoints. */
    public PoolStats poolStats() {
        PoolStats total = PoolStats.EMPTY;
        for (ConnectionPool p : pools.values()) {
            total = total.plus(p.stats());
        }
        return total;
    }

    EndpointHealth health() {
        return outliers;
    }

    Bootstrap bootstrap() {
        return bootstrap;
    }

    UpstreamTls tls() {
        return tls;
    }

    Map<Endpoint, ConnectionPool> pools() {
        return pools;
    }

    /**
     * Stops this cluster's health checks and the pools its {@code successor} does not carry on (all of them when
     * there is none): they stop lending connections, idle ones close now, leased ones as their requests end.
     */
    void retire(Cluster successor) {
        if (checker != null) {
            checker.close();
        }
        for (ConnectionPool p : pools.values()) {
            if (successor == null || successor.pools.get(p.endpoint()) != p) {
                p.close();
            }
        }
    }
}
