package dev.proxy.resilience.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.resilience.FakeClock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GradientLimitTest {
    private final FakeClock clock = new FakeClock();

    /** One window of requests with this latency, with the cap fully used (so latency is what decides). */
    private void window(GradientLimit limit, long rttMillis) {
        window(limit, rttMillis, limit.current());
    }

    private void window(GradientLimit limit, long rttMillis, int inFlight) {
        for (int i = 0; i < 20; i++) {
            limit.onSample(TimeUnit.MILLISECONDS.toNanos(rttMillis), inFlight, false);
        }
        clock.advance(Duration.ofSeconds(1));
    }

    private void windows(GradientLimit limit, int count, long rttMillis) {
        for (int i = 0; i < count; i++) {
            window(limit, rttMillis);
        }
    }

    @Test
    void shrinksWhenLatencyRisesAndGrowsBackWhenItFalls() {
        GradientLimit limit = new GradientLimit(5, 200, 20, clock);
        windows(limit, 30, 10);
        int steady = limit.current();
        assertThat(steady).as("grows while latency is steady").isGreaterThan(20);

        windows(limit, 10, 100);
        int overloaded = limit.current();
        assertThat(overloaded).isLessThan(steady * 7 / 10);

        windows(limit, 200, 10);
        assertThat(limit.current()).isGreaterThanOrEqualTo(steady);
    }

    @Test
    void staysWithinMinAndMax() {
        GradientLimit limit = new GradientLimit(5, 60, 20, clock);
        windows(limit, 500, 10);
        assertThat(limit.current()).isEqualTo(60);

        windows(limit, 500, 1000);
        assertThat(limit.current()).isBetween(5, 60);

        for (int i = 0; i < 200; i++) {
            limit.onSample(TimeUnit.SECONDS.toNanos(5), limit.current(), true);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(limit.current()).isEqualTo(5);
    }

    @Test
    void aWindowWithADropCutsTheLimitByATenth() {
        GradientLimit limit = new GradientLimit(5, 200, 100, clock);
        clock.advance(Duration.ofSeconds(1));

        limit.onSample(TimeUnit.SECONDS.toNanos(30), 100, true);

        assertThat(limit.current()).isEqualTo(90);
    }

    @Test
    void doesNotGrowWhileMostOfTheCapIsUnused() {
        GradientLimit limit = new GradientLimit(5, 200, 40, clock);
        for (int i = 0; i < 50; i++) {
            window(limit, 10, 3);
        }
        assertThat(limit.current()).isEqualTo(40);
    }

    @Test
    void aWindowNeedsEnoughSamplesToBeJudged() {
        GradientLimit limit = new GradientLimit(5, 200, 40, clock);
        clock.advance(Duration.ofSeconds(1));
        for (int i = 0; i < GradientLimit.MIN_SAMPLES - 1; i++) {
            limit.onSample(TimeUnit.SECONDS.toNanos(10), 40, false);
        }
        assertThat(limit.baselineNanos()).as("window still open").isZero();

        limit.onSample(TimeUnit.SECONDS.toNanos(10), 40, false);

        assertThat(limit.baselineNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(10));
    }
}
