package dev.proxy.resilience.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.CircuitBreakerConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import dev.proxy.resilience.FakeClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CircuitBreakerGuardTest {
    private static final long FAST = Duration.ofMillis(10).toNanos();
    private static final OptionalLong NO_RETRY_AFTER = OptionalLong.empty();
    private static final Duration WAIT_IN_OPEN = Duration.ofSeconds(5);

    private final FakeClock clock = new FakeClock();
    private final Endpoint a = new Endpoint(new HostPort("10.0.0.1", 8080), 1);
    private final Endpoint b = new Endpoint(new HostPort("10.0.0.2", 8080), 1);

    /** Opens at 50% failures over at least 4 calls, or 50% calls slower than 1 s; probes with 2 calls. */
    private static CircuitBreakerConfig config(boolean perEndpoint) {
        return new CircuitBreakerConfig(50, Duration.ofSeconds(1), 50, 4, Duration.ofSeconds(10), WAIT_IN_OPEN, 2,
                perEndpoint, Set.of(502, 503, 504), Duration.ofSeconds(60));
    }

    private CircuitBreakerGuard guard() {
        return new CircuitBreakerGuard("app", config(false), clock);
    }

    private static void call(CircuitBreakerGuard guard, Endpoint endpoint, int status) {
        assertThat(guard.tryAcquire(endpoint)).isTrue();
        guard.onResponse(endpoint, status, FAST, NO_RETRY_AFTER);
    }

    private void open(CircuitBreakerGuard guard, Endpoint endpoint) {
        call(guard, endpoint, 200);
        call(guard, endpoint, 200);
        call(guard, endpoint, 502);
        call(guard, endpoint, 503);
        assertThat(guard.breakerState(endpoint)).isEqualTo(State.OPEN);
    }

    private void waitOutOpenState() {
        clock.advance(WAIT_IN_OPEN.plusMillis(1));
    }

    @Test
    void opensAtTheFailureRateAndRejects() {
        CircuitBreakerGuard guard = guard();
        call(guard, a, 200);
        call(guard, a, 200);
        call(guard, a, 502);
        assertThat(guard.breakerState(a)).as("below minimumNumberOfCalls").isEqualTo(State.CLOSED);

        call(guard, a, 504);

        assertThat(guard.breakerState(a)).isEqualTo(State.OPEN);
        assertThat(guard.tryAcquire(a)).isFalse();
        assertThat(guard.tryAcquire(b)).as("one breaker for the cluster").isFalse();
    }

    @Test
    void failuresWithoutAResponseCountButTheClientLeavingDoesNot() {
        CircuitBreakerGuard guard = guard();
        for (int i = 0; i < 10; i++) {
            assertThat(guard.tryAcquire(a)).isTrue();
            guard.onFailure(a, ProxyError.CLIENT_CLOSED, FAST);
            assertThat(guard.tryAcquire(a)).isTrue();
            guard.release(a);
        }
        assertThat(guard.breakerState(a)).isEqualTo(State.CLOSED);

        for (ProxyError e : new ProxyError[] {ProxyError.UPSTREAM_CONNECT_FAILURE, ProxyError.UPSTREAM_RESET,
                ProxyError.UPSTREAM_RESPONSE_TIMEOUT, ProxyError.UPSTREAM_CONNECT_TIMEOUT}) {
            assertThat(guard.tryAcquire(a)).isTrue();
            guard.onFailure(a, e, FAST);
        }
        assertThat(guard.breakerState(a)).isEqualTo(State.OPEN);
    }

    @Test
    void statusesNotListedAsFailuresDoNotCount() {
        CircuitBreakerGuard guard = guard();
        for (int i = 0; i < 20; i++) {
            call(guard, a, i % 2 == 0 ? 404 : 500);
        }
        assertThat(guard.breakerState(a)).isEqualTo(State.CLOSED);
    }

    @Test
    void slowCallsOpenIt() {
        CircuitBreakerGuard guard = guard();
        long slow = Duration.ofMillis(1500).toNanos();
        for (int i = 0; i < 4; i++) {
            assertThat(guard.tryAcquire(a)).isTrue();
            guard.onResponse(a, 200, i % 2 == 0 ? slow : FAST, NO_RETRY_AFTER);
        }
        assertThat(guard.breakerState(a)).isEqualTo(State.OPEN);
    }

    @Test
    void goesHalfOpenAfterTheWaitAndClosesAfterSuccessfulProbes() {
        CircuitBreakerGuard guard = guard();
        open(guard, a);
        clock.advance(WAIT_IN_OPEN.minusMillis(1));
        assertThat(guard.tryAcquire(a)).isFalse();

        clock.advance(Duration.ofMillis(2));
        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.breakerState(a)).isEqualTo(State.HALF_OPEN);
        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.tryAcquire(a)).as("only halfOpenCalls probes").isFalse();

        guard.onResponse(a, 200, FAST, NO_RETRY_AFTER);
        guard.onResponse(a, 204, FAST, NO_RETRY_AFTER);

        assertThat(guard.breakerState(a)).isEqualTo(State.CLOSED);
        assertThat(guard.tryAcquire(a)).isTrue();
    }

    @Test
    void aFailedProbeReopensIt() {
        CircuitBreakerGuard guard = guard();
        open(guard, a);
        waitOutOpenState();

        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.tryAcquire(a)).isTrue();
        guard.onResponse(a, 502, FAST, NO_RETRY_AFTER);
        guard.onFailure(a, ProxyError.UPSTREAM_RESET, FAST);

        assertThat(guard.breakerState(a)).isEqualTo(State.OPEN);
        assertThat(guard.tryAcquire(a)).isFalse();
    }

    @Test
    void aReleasedProbeGivesItsPlaceBack() {
        CircuitBreakerGuard guard = guard();
        open(guard, a);
        waitOutOpenState();
        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.tryAcquire(a)).isFalse();

        guard.release(a);

        assertThat(guard.tryAcquire(a)).isTrue();
    }

    @Test
    void retryAfterHoldsAnOpenBreakerOpenPastTheWait() {
        CircuitBreakerGuard guard = guard();
        call(guard, a, 200);
        call(guard, a, 200);
        call(guard, a, 502);
        assertThat(guard.tryAcquire(a)).isTrue();
        guard.onResponse(a, 503, FAST, OptionalLong.of(Duration.ofSeconds(30).toNanos()));
        assertThat(guard.breakerState(a)).isEqualTo(State.OPEN);

        waitOutOpenState();
        assertThat(guard.tryAcquire(a)).isFalse();
        assertThat(guard.breakerState(a)).as("not half-open early").isEqualTo(State.OPEN);

        clock.advance(Duration.ofSeconds(25));
        assertThat(guard.tryAcquire(a)).isTrue();
        assertThat(guard.breakerState(a)).isEqualTo(State.HALF_OPEN);
    }

    @Test
    void retryAfterIsHeldAtMostRetryAfterMax() {
        CircuitBreakerGuard guard = new CircuitBreakerGuard("app", new CircuitBreakerConfig(50, Duration.ofSeconds(1),
                50, 4, Duration.ofSeconds(10), WAIT_IN_OPEN, 2, false, Set.of(502, 503, 504), Duration.ofSeconds(10)),
                clock);
        open(guard, a);
        // a straggler answered while open
        guard.onResponse(a, 429, FAST, OptionalLong.of(Duration.ofHours(1).toNanos()));

        clock.advance(Duration.ofSeconds(9));
        assertThat(guard.tryAcquire(a)).isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(guard.tryAcquire(a)).isTrue();
    }

    @Test
    void retryAfterAloneDoesNotOpenAClosedBreaker() {
        CircuitBreakerGuard guard = guard();
        assertThat(guard.tryAcquire(a)).isTrue();
        guard.onResponse(a, 429, FAST, OptionalLong.of(Duration.ofSeconds(30).toNanos()));
        assertThat(guard.tryAcquire(a)).isTrue();
        guard.onResponse(a, 503, FAST, OptionalLong.of(Duration.ofSeconds(30).toNanos()));

        assertThat(guard.breakerState(a)).isEqualTo(State.CLOSED);
        assertThat(guard.tryAcquire(a)).isTrue();
    }

    @Test
    void perEndpointBreakersAreIsolated() {
        CircuitBreakerGuard guard = new CircuitBreakerGuard("app", config(true), clock);
        open(guard, a);

        assertThat(guard.tryAcquire(a)).isFalse();
        assertThat(guard.tryAcquire(b)).isTrue();
        guard.onResponse(b, 200, FAST, NO_RETRY_AFTER);
        assertThat(guard.breakerState(b)).isEqualTo(State.CLOSED);
        assertThat(guard.states()).containsOnly(
                org.assertj.core.api.Assertions.entry("app/10.0.0.1:8080", State.OPEN),
                org.assertj.core.api.Assertions.entry("app/10.0.0.2:8080", State.CLOSED));
    }

    @Test
    void aClusterBreakerIsNamedAfterTheCluster() {
        CircuitBreakerGuard guard = guard();
        assertThat(guard.perEndpoint()).isFalse();
        assertThat(guard.states()).containsOnlyKeys("app");
        assertThat(new CircuitBreakerGuard("app", config(true), clock).breakerState(a)).isEqualTo(State.CLOSED);
    }

    @Test
    void aOneSecondWindowBecomesTwoAsTheLockFreeWindowRequires() {
        CircuitBreakerConfig c = new CircuitBreakerConfig(50, Duration.ofSeconds(1), 50, 4, Duration.ofMillis(1500),
                WAIT_IN_OPEN, 2, false, Set.of(502), Duration.ofSeconds(10));
        assertThat(CircuitBreakerGuard.toResilience4j(c, clock).getSlidingWindowSize()).isEqualTo(2);
        CircuitBreakerConfig oneSecond = new CircuitBreakerConfig(50, Duration.ofSeconds(1), 50, 4,
                Duration.ofSeconds(1), WAIT_IN_OPEN, 2, false, Set.of(502), Duration.ofSeconds(10));
        assertThat(CircuitBreakerGuard.toResilience4j(oneSecond, clock).getSlidingWindowSize()).isEqualTo(2);
    }

    @Test
    void eachTransitionIsToldOnceAndTheStatesAreCounted() {
        List<String> transitions = new ArrayList<>();
        CircuitBreakerGuard guard = new CircuitBreakerGuard("app", config(true), clock, new ClusterObserver() {
            @Override
            public void breakerTransition(String state) {
                transitions.add(state);
            }
        });
        call(guard, b, 200);
        open(guard, a);
        assertThat(transitions).containsExactly("open");
        assertThat(guard.breakers("open")).isEqualTo(1);
        assertThat(guard.breakers("closed")).as("b's breaker").isEqualTo(1);

        waitOutOpenState();
        call(guard, a, 200);
        call(guard, a, 200);

        assertThat(transitions).containsExactly("open", "half_open", "closed");
        assertThat(guard.breakers("closed")).isEqualTo(2);
        assertThat(guard.breakers("open")).isZero();
    }
}
