package dev.proxy.resilience.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RetryConfig;
import dev.proxy.core.config.RetryOn;
import dev.proxy.resilience.FakeClock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class RouteRetryPolicyTest {
    private static final long MS = 1_000_000;

    private static RetryConfig config(Set<RetryOn> on, Set<Integer> statuses) {
        return new RetryConfig(3, on, statuses, Duration.ofMillis(25), Duration.ofMillis(250), Duration.ofSeconds(1),
                20, 3, 64 * 1024);
    }

    private static RouteRetryPolicy policy(Set<RetryOn> on, Set<Integer> statuses, DoubleSupplier random) {
        return new RouteRetryPolicy(config(on, statuses), new FakeClock(), random);
    }

    private static RouteRetryPolicy policy(Set<RetryOn> on) {
        return policy(on, Set.of(), () -> 0.5);
    }

    @Test
    void takesItsSettingsFromTheConfig() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.RESET));
        assertThat(policy.maxAttempts()).isEqualTo(3);
        assertThat(policy.bufferBodyUpTo()).isEqualTo(64 * 1024);
        assertThat(policy.retryAfterMaxNanos()).isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void connectFailureCoversAnAttemptWhoseConnectionFailedButNotAnOpenBreakerOrAnEmptyCluster() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.CONNECT_FAILURE));
        assertThat(EnumSet.allOf(ProxyError.class).stream().filter(policy::retriesOn))
                .containsExactlyInAnyOrder(ProxyError.UPSTREAM_CONNECT_FAILURE, ProxyError.UPSTREAM_CONNECT_TIMEOUT,
                        ProxyError.POOL_EXHAUSTED, ProxyError.POOL_ACQUIRE_TIMEOUT);
    }

    @Test
    void resetCoversOnlyAnUpstreamReset() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.RESET));
        assertThat(EnumSet.allOf(ProxyError.class).stream().filter(policy::retriesOn))
                .containsExactly(ProxyError.UPSTREAM_RESET);
    }

    @Test
    void timeoutCoversTheAttemptTimeoutsButNotTheRouteDeadline() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.TIMEOUT));
        assertThat(EnumSet.allOf(ProxyError.class).stream().filter(policy::retriesOn))
                .containsExactlyInAnyOrder(ProxyError.UPSTREAM_RESPONSE_TIMEOUT, ProxyError.UPSTREAM_PER_TRY_TIMEOUT,
                        ProxyError.UPSTREAM_IDLE_TIMEOUT);
    }

    @Test
    void neverRetriesWhatTheClientOrTheProxyCaused() {
        RouteRetryPolicy policy = policy(EnumSet.allOf(RetryOn.class));
        for (ProxyError e : EnumSet.of(ProxyError.ROUTE_TIMEOUT, ProxyError.CLIENT_CLOSED, ProxyError.BAD_REQUEST,
                ProxyError.RATE_LIMITED, ProxyError.OVERLOADED, ProxyError.UPSTREAM_BAD_RESPONSE, ProxyError.INTERNAL,
                ProxyError.FAULT_INJECTED)) {
            assertThat(policy.retriesOn(e)).as(e.name()).isFalse();
        }
        assertThat(policy.retriesOn(null)).isFalse();
    }

    @Test
    void gatewayErrorMeans502To504PlusTheListedStatuses() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.GATEWAY_ERROR), Set.of(429), () -> 0.5);
        assertThat(policy.retriesOnStatus(502)).isTrue();
        assertThat(policy.retriesOnStatus(503)).isTrue();
        assertThat(policy.retriesOnStatus(504)).isTrue();
        assertThat(policy.retriesOnStatus(429)).isTrue();
        assertThat(policy.retriesOnStatus(500)).isFalse();
        assertThat(policy.retriesOnStatus(200)).isFalse();
        assertThat(policy.retriesOnStatus(-1)).isFalse();
        assertThat(policy.retriesOnStatus(999)).isFalse();

        RouteRetryPolicy statusesOnly = policy(Set.of(RetryOn.RESET), Set.of(500), () -> 0.5);
        assertThat(statusesOnly.retriesOnStatus(503)).isFalse();
        assertThat(statusesOnly.retriesOnStatus(500)).isTrue();
    }

    @Test
    void backoffCeilingDoublesPerRetryUpToTheMax() {
        RouteRetryPolicy policy = policy(Set.of(RetryOn.RESET));
        assertThat(policy.backoffCeiling(1)).isEqualTo(25 * MS);
        assertThat(policy.backoffCeiling(2)).isEqualTo(50 * MS);
        assertThat(policy.backoffCeiling(3)).isEqualTo(100 * MS);
        assertThat(policy.backoffCeiling(4)).isEqualTo(200 * MS);
        assertThat(policy.backoffCeiling(5)).isEqualTo(250 * MS);
        assertThat(policy.backoffCeiling(64)).isEqualTo(250 * MS);
        assertThat(policy.backoffCeiling(Integer.MAX_VALUE)).isEqualTo(250 * MS);
    }

    @Test
    void backoffIsFullJitterBetweenZeroAndTheCeiling() {
        assertThat(policy(Set.of(), Set.of(), () -> 0.0).backoffNanos(1)).isZero();
        assertThat(policy(Set.of(), Set.of(), () -> 0.5).backoffNanos(2)).isEqualTo(25 * MS);
        assertThat(policy(Set.of(), Set.of(), () -> Math.nextDown(1.0)).backoffNanos(1)).isEqualTo(25 * MS);
        assertThat(policy(Set.of(), Set.of(), () -> Math.nextDown(1.0)).backoffNanos(9)).isEqualTo(250 * MS);

        RouteRetryPolicy real = policy(Set.of(), Set.of(), () -> ThreadLocalRandom.current().nextDouble());
        long max = 0;
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 10_000; i++) {
            long b = real.backoffNanos(3);
            max = Math.max(max, b);
            min = Math.min(min, b);
        }
        assertThat(min).isBetween(0L, 5 * MS);
        assertThat(max).isBetween(95 * MS, 100 * MS);
    }

    @Test
    void budgetIsChargedThroughThePolicy() {
        RouteRetryPolicy policy = new RouteRetryPolicy(new RetryConfig(3, Set.of(RetryOn.RESET), Set.of(),
                Duration.ofMillis(25), Duration.ofMillis(250), Duration.ofSeconds(1), 50, 0, 0), new FakeClock(),
                () -> 0.5);
        assertThat(policy.tryAcquireRetry()).isFalse();
        policy.onRequest();
        policy.onRequest();
        assertThat(policy.budget().savedRetries()).isEqualTo(1);
        assertThat(policy.tryAcquireRetry()).isTrue();
        assertThat(policy.tryAcquireRetry()).isFalse();
    }
}
