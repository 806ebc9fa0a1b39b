package dev.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.CircuitBreakerConfig;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.ConcurrencyLimitConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.FaultConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.config.RetryConfig;
import dev.proxy.core.config.RetryOn;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.RouteMatch;
import dev.proxy.core.config.RoutePolicies;
import dev.proxy.core.config.WeightedCluster;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.resilience.breaker.CircuitBreakerGuard;
import dev.proxy.resilience.fault.FaultFilter;
import dev.proxy.resilience.limit.ConcurrencyLimitFilter;
import dev.proxy.resilience.ratelimit.RateLimitFilter;
import dev.proxy.resilience.retry.RouteRetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResilienceFactoryTest {
    private final ResilienceFactory factory = new ResilienceFactory();

    private static LimitsConfig limits(int maxInFlight) {
        return new LimitsConfig(10_000, 64 * 1024, 8 * 1024, 1024, Duration.ofSeconds(10), Duration.ofSeconds(60),
                maxInFlight);
    }

    private static RouteConfig route(RoutePolicies policies) {
        return RouteConfig.builder("r", new RouteMatch(Optional.empty(), PathMatch.ANY, Set.of(), Map.of()),
                List.of(new WeightedCluster("app", 1))).maxBodySize(1024).policies(policies).build();
    }

    private static ClusterConfig cluster(Optional<CircuitBreakerConfig> breaker) {
        ClusterConfig.Builder b = ClusterConfig.builder("app",
                List.of(new EndpointConfig(new HostPort("10.0.0.1", 8080), 1)));
        breaker.ifPresent(b::circuitBreaker);
        return b.build();
    }

    @Test
    void aGlobalLimitOnlyWhenMaxInFlightRequestsIsSet() {
        assertThat(factory.globalLimit(limits(0))).isNull();
        assertThat(factory.globalLimit(limits(500))).isInstanceOfSatisfying(ConcurrencyLimitFilter.class,
                f -> assertThat(f.limit()).isEqualTo(500));
    }

    @Test
    void buildsARoutesFiltersInChainOrder() {
        RoutePolicies policies = new RoutePolicies(Duration.ZERO, Optional.empty(), Optional.empty(),
                Optional.of(new RateLimitConfig(10, 10, false, Optional.empty(), 10, Duration.ofMinutes(1))),
                Optional.of(ConcurrencyLimitConfig.fixed(10)),
                Optional.of(new FaultConfig(Optional.empty(), Optional.of(new FaultConfig.Abort(1, 503)),
                        Optional.empty())),
                Optional.empty());

        assertThat(factory.filters(route(policies))).hasExactlyElementsOfTypes(ConcurrencyLimitFilter.class,
                RateLimitFilter.class, FaultFilter.class);
        assertThat(factory.filters(route(RoutePolicies.NONE))).isEmpty();
    }

    @Test
    void noRetryWithoutARetrySection() {
        assertThat(factory.retryPolicy(route(RoutePolicies.NONE))).isSameAs(RetryPolicy.NONE);

        RetryConfig retry = new RetryConfig(2, Set.of(RetryOn.RESET), Set.of(), Duration.ofMillis(25),
                Duration.ofMillis(250), Duration.ofSeconds(1), 20, 3, 0);
        RoutePolicies policies = new RoutePolicies(Duration.ZERO, Optional.empty(), Optional.of(retry),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(factory.retryPolicy(route(policies))).isInstanceOf(RouteRetryPolicy.class);
    }

    @Test
    void noGuardWithoutACircuitBreaker() {
        assertThat(factory.guard(cluster(Optional.empty()), ClusterObserver.NONE)).isSameAs(UpstreamGuard.NONE);

        CircuitBreakerConfig breaker = new CircuitBreakerConfig(50, Duration.ofSeconds(60), 100, 20,
                Duration.ofSeconds(10), Duration.ofSeconds(15), 5, false, Set.of(502, 503, 504),
                Duration.ofSeconds(60));
        assertThat(factory.guard(cluster(Optional.of(breaker)), ClusterObserver.NONE))
                .isInstanceOf(CircuitBreakerGuard.class);
    }
}
