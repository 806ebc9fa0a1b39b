package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointSelector;
import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.tls.UpstreamTls;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.Endpoint;
import dev.proxy.core.upstream.PoolStats;
import io.netty.bootstrap.Bootstrap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A cluster ready to serve: its endpoints, their balancer and one connection pool per endpoint. Thread-safe. */
public final class Cluster {
    private final ClusterConfig config;
    private final List<Endpoint> endpoints;
    private final LoadBalancer balancer;
    private final Parts parts;
    /**
     * {@link Parts#health}, unwrapped once: null when neither outlier detection nor checks are on. Every request asks
     * it, so the hot path tests a field rather than an {@code Optional}.
     */
    private final EndpointHealth outliers;
    /** The cluster's running health checks; empty for a view, whose checks are the whole cluster's. */
    private final Optional<ActiveHealthChecker> checker;
    /** The subset views routes asked for, by selector; built off the event loops, as the routes' targets are. */
    private final Map<EndpointSelector, Cluster> subsets = new ConcurrentHashMap<>();
    /** For a subset view: how its endpoints were chosen, in words; empty for the cluster itself. */
    private final Optional<String> subsetDecision;
    private final ProxyError noEndpoint;
    /** {@code timeouts.responseHeader} in nanoseconds, read by every attempt. */
    private final long responseHeaderNanos;
    private final boolean http2;
    private final HeaderRules requestHeaders;
    private final HeaderRules responseHeaders;

    /** Builds the cluster's balancer (the policy, zone-aware when asked) over some of its endpoints. */
    @FunctionalInterface
    interface Balancing {
        /** A balancer over {@code endpoints}, which are all the cluster's (the same instances). */
        LoadBalancer over(List<Endpoint> endpoints);
    }

    /**
     * What a cluster shares with its subset views, and hands on to its successor when only its endpoints change.
     *
     * @param pools one per endpoint
     * @param health the health of the endpoints; empty when neither outlier detection nor checks are on
     * @param guard the cluster's circuit breaker, or {@link UpstreamGuard#NONE}
     * @param bootstrap what the pools connect with, kept for the pools of endpoints that discovery adds
     * @param tls the cluster's TLS context, kept with the bootstrap; empty for plain HTTP
     * @param observer what the pools, health and guard report to, and the exchanges report their attempts to
     * @param balancing builds the policy's balancer over the endpoints; ejected endpoints are kept out on top of it
     */
    record Parts(Map<Endpoint, ConnectionPool> pools, Optional<EndpointHealth> health, UpstreamGuard guard,
                 Bootstrap bootstrap, Optional<UpstreamTls> tls, ClusterObserver observer, Balancing balancing) {
        Parts {
            pools = Map.copyOf(pools);
            requireNonNull(health, "health");
            requireNonNull(guard, "guard");
            requireNonNull(bootstrap, "bootstrap");
            requireNonNull(tls, "tls");
            requireNonNull(observer, "observer");
            requireNonNull(balancing, "balancing");
        }
    }

    /** @param checker the cluster's running active health checks, if it has them */
    Cluster(ClusterConfig config, List<Endpoint> endpoints, Parts parts, Optional<ActiveHealthChecker> checker) {
        this.config = requireNonNull(config, "config");
        this.endpoints = List.copyOf(endpoints);
        this.parts = requireNonNull(parts, "parts");
        this.outliers = parts.health().orElse(null);
        this.checker = requireNonNull(checker, "checker");
        this.balancer = balancerOver(this.endpoints);
        this.subsetDecision = Optional.empty();
        this.noEndpoint = ProxyError.NO_ENDPOINT;
        this.responseHeaderNanos = config.timeouts().responseHeader().toNanos();
        this.http2 = config.protocol() == UpstreamProtocol.H2;
        // compiled here, once per snapshot, as a route's are
        this.requestHeaders = HeaderRules.of(config.headers().request());
        this.responseHeaders = HeaderRules.of(config.headers().response());
    }

    /** A view of {@code whole} limited to {@code endpoints}: same pools, health, breaker and observer. */
    private Cluster(Cluster whole, List<Endpoint> endpoints, String decision, ProxyError noEndpoint) {
        this.config = whole.config;
        this.endpoints = List.copyOf(endpoints);
        this.parts = whole.parts;
        this.outliers = whole.outliers;
        // the checks belong to the whole cluster: a view never starts or stops them
        this.checker = Optional.empty();
        this.balancer = balancerOver(this.endpoints);
        this.subsetDecision = Optional.of(decision);
        this.noEndpoint = noEndpoint;
        this.responseHeaderNanos = whole.responseHeaderNanos;
        this.http2 = whole.http2;
        this.requestHeaders = whole.requestHeaders;
        this.responseHeaders = whole.responseHeaders;
    }

    private LoadBalancer balancerOver(List<Endpoint> list) {
        LoadBalancer policy = parts.balancing().over(list);
        return outliers == null ? policy : new EjectionAwareBalancer(policy, outliers, list);
    }

    /**
     * The view of this cluster a route with {@code selector} sends to: its endpoints with the selected labels, with a
     * balancer of their own (the cluster's policy and locality over them), sharing this cluster's pools, health,
     * breaker and observer. When none matches: the whole cluster ({@code fallback: any}) or a view without endpoints
     * whose requests fail with {@link ProxyError#NO_SUBSET_ENDPOINT} ({@code fail}). Built once per endpoint set and
     * selector, when a snapshot is built; never on an event loop.
     */
    public Cluster subset(EndpointSelector selector) {
        return subsets.computeIfAbsent(selector, this::newSubset);
    }

    /**
     * Forgets the subset views of selectors no route uses any more, so that a cluster carried over many reloads does
     * not keep every selector it ever had. Views already handed out stay valid: their route targets hold them.
     */
    void retainSubsets(Set<EndpointSelector> used) {
        subsets.keySet().retainAll(used);
    }

    private Cluster newSubset(EndpointSelector selector) {
        List<Endpoint> matching = endpoints.stream().filter(e -> e.matches(selector.labels())).toList();
        String labels = selector.describe();
        if (!matching.isEmpty()) {
            return new Cluster(this, matching, labels + ": " + matching.size() + " of " + endpoints.size()
                    + " endpoints", ProxyError.NO_ENDPOINT);
        }
        if (selector.fallback() == EndpointSelector.Fallback.ANY) {
            return new Cluster(this, endpoints, labels + ": no endpoint matches, fallback any: all "
                    + endpoints.size() + " endpoints", ProxyError.NO_ENDPOINT);
        }
        return new Cluster(this, List.of(), labels + ": no endpoint matches, fallback fail: 503 "
                + ProxyError.NO_SUBSET_ENDPOINT.reason(), ProxyError.NO_SUBSET_ENDPOINT);
    }

    /** For a route's subset view, how its endpoints were chosen, e.g. {@code env=canary: 2 of 5 endpoints}. */
    public Optional<String> subsetDecision() {
        return subsetDecision;
    }

    /**
     * Why a request gets no endpoint when the balancer has none to give: {@link ProxyError#NO_ENDPOINT}, or
     * {@link ProxyError#NO_SUBSET_ENDPOINT} for a route whose selector matched nothing and may not fall back.
     */
    public ProxyError noEndpointError() {
        return noEndpoint;
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

    /** How long an attempt waits for a response head once its request has gone, in nanoseconds. */
    public long responseHeaderNanos() {
        return responseHeaderNanos;
    }

    /** The cluster's edits of every request sent to it, applied before the route's own. */
    public HeaderRules requestHeaders() {
        return requestHeaders;
    }

    /** The cluster's edits of its responses, applied before the route's own. */
    public HeaderRules responseHeaders() {
        return responseHeaders;
    }

    /** Whether the endpoints are spoken to in HTTP/2. */
    public boolean http2() {
        return http2;
    }

    public ClusterConfig config() {
        return config;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** Hears how each attempt on this cluster ended and each retry; resolved once, so a request looks nothing up. */
    public ClusterObserver observer() {
        return parts.observer();
    }

    /** The circuit breaker every attempt to this cluster asks first. */
    public UpstreamGuard guard() {
        return parts.guard();
    }

    public LoadBalancer balancer() {
        return balancer;
    }

    public ConnectionPool pool(Endpoint endpoint) {
        return parts.pools().get(endpoint);
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
        for (ConnectionPool p : parts.pools().values()) {
            total = total.plus(p.stats());
        }
        return total;
    }

    /** What this cluster shares with its views and hands on to a successor over other endpoints. */
    Parts parts() {
        return parts;
    }

    /**
     * Stops this cluster's health checks and the pools its {@code successor} does not carry on (all of them when
     * there is none): they stop lending connections, idle ones close now, leased ones as their requests end.
     */
    void retire(Cluster successor) {
        checker.ifPresent(ActiveHealthChecker::close);
        for (ConnectionPool p : parts.pools().values()) {
            if (successor == null || successor.pool(p.endpoint()) != p) {
                p.close();
            }
        }
    }
}
