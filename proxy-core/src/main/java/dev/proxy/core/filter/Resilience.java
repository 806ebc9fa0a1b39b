package dev.proxy.core.filter;

import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.observe.ClusterObserver;
import java.util.List;

/**
 * Builds the resilience objects of a config snapshot. Called off the event loops when a config is loaded; the
 * objects it returns hold state (counters, buckets, breakers) and are carried over to the next snapshot when the
 * config they were built from did not change.
 */
public interface Resilience {
    /** Plain forwarding: the engine of {@code proxy-core} alone. */
    Resilience NONE = new Resilience() {
        @Override
        public RequestFilter globalLimit(LimitsConfig limits) {
            return null;
        }

        @Override
        public List<RequestFilter> filters(RouteConfig route) {
            return List.of();
        }

        @Override
        public RetryPolicy retryPolicy(RouteConfig route) {
            return RetryPolicy.NONE;
        }

        @Override
        public UpstreamGuard guard(ClusterConfig cluster, ClusterObserver observer) {
            return UpstreamGuard.NONE;
        }
    };

    /** The cap on requests in flight over all routes, or null when there is none. Runs before each route's filters. */
    RequestFilter globalLimit(LimitsConfig limits);

    /** The route's admission filters in chain order: concurrency limit, rate limit, fault. */
    List<RequestFilter> filters(RouteConfig route);

    RetryPolicy retryPolicy(RouteConfig route);

    /** The cluster's circuit breaker, or {@link UpstreamGuard#NONE}; it tells {@code observer} of its transitions. */
    UpstreamGuard guard(ClusterConfig cluster, ClusterObserver observer);
}
