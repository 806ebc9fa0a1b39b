package dev.proxy.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.OutlierDetectionConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EndpointHealthTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Endpoint a = endpoint(1);
    private final Endpoint b = endpoint(2);
    private final Endpoint c = endpoint(3);
    private final Endpoint d = endpoint(4);

    private static Endpoint endpoint(int n) {
        return new Endpoint(new HostPort("10.0.0." + n, 80), 1);
    }

    private EndpointHealth detector(int failures, int maxPercent, int panic) {
        return new EndpointHealth(new OutlierDetectionConfig(failures, Duration.ofSeconds(10),
                Duration.ofSeconds(60), maxPercent, panic), List.of(a, b, c, d), now::get);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private static void fail(EndpointHealth detector, Endpoint e, int times) {
        for (int i = 0; i < times; i++) {
            detector.gatewayFailure(e);
        }
    }

    @Test
    void ejectsAfterTheConfiguredNumberOfConsecutiveFailures() {
        EndpointHealth detector = detector(3, 50, 0);
        fail(detector, a, 2);
        assertThat(detector.isAvailable(a)).isTrue();
        detector.gatewayFailure(a);
        assertThat(detector.isAvailable(a)).isFalse();
        assertThat(detector.ejectedCount()).isEqualTo(1);
    }

    @Test
    void theVersionMovesOnEveryChangeOfAvailabilityAndOnlyThen() {
        EndpointHealth detector = detector(2, 50, 0);
        long v0 = detector.version();
        detector.gatewayFailure(a);
        detector.success(b);
        assertThat(detector.version()).isEqualTo(v0);

        detector.gatewayFailure(a);
        long ejected = detector.version();
        assertThat(ejected).isNotEqualTo(v0);
        advance(Duration.ofSeconds(9));
        assertThat(detector.version()).isEqualTo(ejected);
        // the ejection ends on the clock, with no call into the detector: the version still moves
        advance(Duration.ofSeconds(2));
        long ended = detector.version();
        assertThat(ended).isNotEqualTo(ejected);
        assertThat(detector.isAvailable(a)).isTrue();

        detector.setActiveHealthy(c, true);
        assertThat(detector.version()).isEqualTo(ended);
        detector.setActiveHealthy(c, false);
        assertThat(detector.version()).isNotEqualTo(ended);
    }

    @Test
    void aSuccessResetsTheCount() {
        EndpointHealth detector = detector(3, 50, 0);
        fail(detector, a, 2);
        detector.success(a);
        fail(detector, a, 2);
        assertThat(detector.isAvailable(a)).isTrue();
    }

    @Test
    void returnsAfterTheEjectionTimeAndStaysOutLongerWhenItFailsAgainSoon() {
        EndpointHealth detector = detector(1, 50, 0);
        detector.gatewayFailure(a);
        advance(Duration.ofSeconds(9));
        assertThat(detector.isAvailable(a)).isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(detector.isAvailable(a)).isTrue();

        detector.gatewayFailure(a);
        advance(Duration.ofSeconds(19));
        assertThat(detector.isAvailable(a)).as("second ejection lasts 2 x 10 s").isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(detector.isAvailable(a)).isTrue();

        // a long healthy spell resets the multiplier
        advance(Duration.ofMinutes(5));
        detector.gatewayFailure(a);
        advance(Duration.ofSeconds(10));
        assertThat(detector.isAvailable(a)).isTrue();
    }

    @Test
    void neverEjectsMoreThanTheMaximumShare() {
        EndpointHealth detector = detector(1, 50, 0);
        detector.gatewayFailure(a);
        detector.gatewayFailure(b);
        detector.gatewayFailure(c);
        assertThat(detector.ejectedCount()).isEqualTo(2);
        assertThat(detector.isAvailable(c)).isTrue();
    }

    @Test
    void panicsWhenTooFewEndpointsAreLeft() {
        EndpointHealth detector = detector(1, 100, 50);
        detector.gatewayFailure(a);
        assertThat(detector.isPanicking()).isFalse();
        detector.gatewayFailure(b);
        assertThat(detector.isPanicking()).as("2 of 4 available is not below 50%").isFalse();
        detector.gatewayFailure(c);
        assertThat(detector.isPanicking()).isTrue();
    }

    @Test
    void ejectionAwareBalancerSkipsEjectedEndpointsUnlessPanicking() {
        EndpointHealth detector = detector(1, 100, 50);
        EjectionAwareBalancer balancer = new EjectionAwareBalancer(
                dev.proxy.core.balancer.LoadBalancer.roundRobin(List.of(a, b, c, d)), detector, List.of(a, b, c, d));
        detector.gatewayFailure(b);
        for (int i = 0; i < 40; i++) {
            assertThat(balancer.pick(null, null)).isPresent().get().isNotEqualTo(b);
        }
        detector.gatewayFailure(a);
        detector.gatewayFailure(c);
        // 1 of 4 left: below the panic threshold, so every endpoint gets traffic again
        java.util.Set<Endpoint> seen = new java.util.HashSet<>();
        for (int i = 0; i < 8; i++) {
            seen.add(balancer.pick(null, null).orElseThrow());
        }
        assertThat(seen).containsExactlyInAnyOrder(a, b, c, d);
    }

    @Test
    void aChangedEndpointSetKeepsTheStateOfTheEndpointsThatStay() {
        EndpointHealth before = detector(1, 100, 0);
        before.gatewayFailure(a);
        before.setActiveHealthy(b, false);
        Endpoint e = endpoint(5);
        EndpointHealth after = new EndpointHealth(new OutlierDetectionConfig(1, Duration.ofSeconds(10),
                Duration.ofSeconds(60), 100, 0), List.of(a, b, e), now::get, before,
                ClusterObserver.NONE);
        assertThat(after.isAvailable(a)).as("still ejected").isFalse();
        assertThat(after.isAvailable(b)).as("still failing its checks").isFalse();
        assertThat(after.isAvailable(e)).as("new: healthy until told otherwise").isTrue();
        assertThat(after.ejectedCount()).isEqualTo(1);
    }

    @Test
    void eachEjectionIsReportedToTheClusterObserverOnce() {
        AtomicInteger ejections = new AtomicInteger();
        ClusterObserver counting = new ClusterObserver() {
            @Override
            public void ejected() {
                ejections.incrementAndGet();
            }
        };
        EndpointHealth health = new EndpointHealth(new OutlierDetectionConfig(2, Duration.ofSeconds(10),
                Duration.ofSeconds(60), 100, 0), List.of(a, b), now::get, null, counting);
        health.gatewayFailure(a);
        health.success(b);
        assertThat(ejections).as("one failure of two, and a success elsewhere").hasValue(0);
        health.gatewayFailure(a);
        health.gatewayFailure(a);
        assertThat(ejections).as("ejected once, the third failure finds it ejected").hasValue(1);
        assertThat(health.ejectedCount()).isEqualTo(1);
    }
}
