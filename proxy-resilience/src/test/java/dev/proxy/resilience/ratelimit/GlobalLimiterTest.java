package dev.proxy.resilience.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.resilience.FakeClock;
import dev.proxy.resilience.ratelimit.GlobalLimiter.Decision;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The lease logic of a global limit, socket-free: a fake clock, and a source whose answers the test gives. */
class GlobalLimiterTest {
    private final FakeClock clock = new FakeClock();
    private final GlobalLimitHealth health = new GlobalLimitHealth(clock);
    private final FakeSource source = new FakeSource();
    // 100 per second in periods of 1 s, drawn 10 at a time
    private final GlobalLimiter limiter = new GlobalLimiter(source, health, "k", 100, 1000, 10, clock);

    /** Records each draw; the test completes them. */
    private static final class FakeSource implements TokenSource {
        final Deque<CompletableFuture<Grant>> draws = new ArrayDeque<>();

        @Override
        public CompletionStage<Grant> take(String key, int limit, long periodMillis, int want) {
            CompletableFuture<Grant> f = new CompletableFuture<>();
            draws.add(f);
            return f;
        }

        void grant(int permits, long millisLeft) {
            draws.removeFirst().complete(new Grant(permits, millisLeft));
        }

        void fail() {
            draws.removeFirst().completeExceptionally(new TimeoutException("slow"));
        }
    }

    @Test
    void theFirstRequestOfAPeriodWaitsForOneDrawAndTheNextSpendTheShareLocally() {
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.WAIT);
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.WAIT);
        assertThat(source.draws).hasSize(1);   // one draw under way, not one per request

        source.grant(10, 600);
        for (int i = 0; i < 4; i++) {
            assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);
        }
        assertThat(source.draws).isEmpty();
        // half of the share spent: the next share is drawn ahead of need, while requests are still admitted
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);
        assertThat(source.draws).hasSize(1);
        source.grant(10, 590);
        // the 5 left and the 10 drawn, without another wait
        for (int i = 0; i < 15; i++) {
            assertThat(limiter.tryAcquire()).as("request %d", i).isEqualTo(Decision.ADMIT);
            if (!source.draws.isEmpty()) {
                source.grant(0, 590);   // the fleet has none left: the rest of the period is refused
            }
        }
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.REJECT);
        assertThat(health.calls()).isEqualTo(3);
    }

    @Test
    void aSpentPeriodRejectsWithoutAskingAgainUntilItEnds() {
        limiter.tryAcquire();
        source.grant(3, 400);   // the fleet had only 3 left in this period
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);
        }
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.REJECT);
        assertThat(limiter.nanosToPeriodEnd()).isEqualTo(Duration.ofMillis(400).toNanos());
        assertThat(source.draws).isEmpty();

        clock.advance(Duration.ofMillis(400));   // the next period: its share must be drawn
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.WAIT);
        source.grant(10, 1000);
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);
    }

    @Test
    void aShareExpiresWithItsPeriod() {
        limiter.tryAcquire();
        source.grant(10, 200);
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);

        clock.advance(Duration.ofMillis(200));
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.WAIT);
    }

    @Test
    void aFailedDrawMakesTheLimitUnavailableForASecondThenRedisIsTriedAgain() {
        limiter.tryAcquire();
        source.fail();
        assertThat(health.degraded()).isTrue();
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.UNAVAILABLE);
        assertThat(source.draws).isEmpty();   // left alone meanwhile
        assertThat(health.fallbacks()).isEqualTo(1);
        assertThat(health.errors()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.WAIT);
        source.grant(10, 1000);
        assertThat(health.degraded()).isFalse();
        assertThat(limiter.tryAcquire()).isEqualTo(Decision.ADMIT);
    }
}
