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
import dev.proxy.resilience.ratelimit.GlobalLimitHealth;
import dev.proxy.resilience.ratelimit.GlobalRateLimitFilter;
import dev.proxy.resilience.ratelimit.RateLimitFilter;
import dev.proxy.resilience.ratelimit.TokenSource;
import dev.proxy.resilience.retry.RouteRetryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private final Optional<TokenSource> globalTokens;
    private final GlobalLimitHealth globalHealth;

    /** With the system's monotonic clock and thread-local randomness, and no Redis. */
    public ResilienceFactory() {
        this(System::nanoTime, THREAD_LOCAL_RANDOM);
    }

    /**
     * With the system's monotonic clock and thread-local randomness.
     *
     * @param globalTokens where the limits with {@code scope: global} draw their permits (Redis); empty when the config
     *     has none. Not closed here: its owner closes it after the last snapshot using it is gone.
     */
    public ResilienceFactory(Optional<TokenSource> globalTokens) {
        this(System::nanoTime, THREAD_LOCAL_RANDOM, globalTokens);
    }

    /**
     * @param nanoClock a monotonic nanosecond clock, as {@link System#nanoTime}
     * @param random returns a uniformly random double in {@code [0, 1)}; called from every event loop at once
     */
    public ResilienceFactory(LongSupplier nanoClock, DoubleSupplier random) {
        this(nanoClock, random, Optional.empty());
    }

    private ResilienceFactory(LongSupplier nanoClock, DoubleSupplier random, Optional<TokenSource> globalTokens) {
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.random = requireNonNull(random, "random");
        this.globalTokens = requireNonNull(globalTokens, "globalTokens");
        this.globalHealth = new GlobalLimitHealth(nanoClock);
    }

    /** How the Redis of the global rate limits is doing: for the meters and readiness. */
    public GlobalLimitHealth globalLimitHealth() {
        return globalHealth;
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
        policies.rateLimit().ifPresent(r -> filters.add(r.global()
                ? new GlobalRateLimitFilter(route.name(), r, globalTokens.orElseThrow(() -> new IllegalStateException(
                        "route " + route.name() + " has a global rate limit but the proxy has no Redis")),
                        globalHealth, nanoClock)
                : new RateLimitFilter(route.name(), r, nanoClock)));
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
