package dev.proxy.resilience;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.config.RoutePolicies;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.resilience.breaker.CircuitBreakerGuard;
import dev.proxy.resilience.fault.FaultFilter;
import dev.proxy.resilience.limit.ConcurrencyLimitFilter;
import dev.proxy.resilience.ratelimit.RateLimitFilter;
import dev.proxy.resilience.retry.RouteRetryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Turns the resilience sections of the config into the objects the engine calls: the one place that does so. Called
 * off the event loops when a config is loaded; each call returns new objects with fresh state.
 *
 * <p>Stateless apart from the clock and random source it hands to what it builds; thread-safe.
 */
public final class ResilienceFactory implements Resilience {
    /** {@link ThreadLocalRandom}, so event loops share no state. */
    private static final DoubleSupplier THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextDouble();

    private final LongSupplier nanoClock;
    private final DoubleSupplier random;

    /** With the system's monotonic clock and thread-local randomness. */
    public ResilienceFactory() {
        this(System::nanoTime, THREAD_LOCAL_RANDOM);
    }

    /**
     * @param nanoClock a monotonic nanosecond clock, as {@link System#nanoTime}
     * @param random returns a uniformly random double in {@code [0, 1)}; called from every event loop at once
     */
    public ResilienceFactory(LongSupplier nanoClock, DoubleSupplier random) {
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.random = requireNonNull(random, "random");
    }

    @Override
    public RequestFilter globalLimit(LimitsConfig limits) {
        return limits.maxInFlightRequests() > 0 ? ConcurrencyLimitFilter.fixed(limits.maxInFlightRequests()) : null;
    }

    @Override
    public List<RequestFilter> filters(RouteConfig route) {
        RoutePolicies policies = route.policies();
        List<RequestFilter> filters = new ArrayList<>(3);
        policies.concurrencyLimit().ifPresent(c -> filters.add(ConcurrencyLimitFilter.of(c, nanoClock)));
        policies.rateLimit().ifPresent(r -> filters.add(new RateLimitFilter(route.name(), r, nanoClock)));
        policies.fault().ifPresent(f -> filters.add(new FaultFilter(f, random)));
        return List.copyOf(filters);
    }

    @Override
    public RetryPolicy retryPolicy(RouteConfig route) {
        return route.policies().retry()
                .<RetryPolicy>map(r -> new RouteRetryPolicy(r, nanoClock, random))
                .orElse(RetryPolicy.NONE);
    }

    @Override
    public UpstreamGuard guard(ClusterConfig cluster, ClusterObserver observer) {
        return cluster.circuitBreaker()
                .<UpstreamGuard>map(b -> new CircuitBreakerGuard(cluster.name(), b, nanoClock, observer))
                .orElse(UpstreamGuard.NONE);
    }
}
