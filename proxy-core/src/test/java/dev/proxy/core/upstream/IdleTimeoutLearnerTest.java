package dev.proxy.core.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The learner on a fake clock: what it keeps, how it relaxes, and the limits it gives the pool. */
class IdleTimeoutLearnerTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final IdleTimeoutLearner learner = new IdleTimeoutLearner(clock::get, true);

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void setsNoLimitBeforeAnyIdleCloseIsSeen() {
        assertThat(learner.learnedNanos()).isZero();
        assertThat(learner.reuseLimitNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(learner.nonIdempotentLimitNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void keepsTheShortestIdleTimeAtWhichTheUpstreamClosed() {
        learner.observeIdleClose(ms(1_200));
        learner.observeIdleClose(ms(1_000));
        learner.observeIdleClose(ms(1_500));

        assertThat(learner.learnedNanos()).isEqualTo(ms(1_000));
        assertThat(learner.reuseLimitNanos()).isEqualTo(ms(750));
        assertThat(learner.nonIdempotentLimitNanos()).isEqualTo(ms(500));
    }

    @Test
    void takesACloseRightAfterUseAsTheFloorNotAsAnIdleTimeout() {
        learner.observeIdleClose(ms(3));

        assertThat(learner.learnedNanos()).isEqualTo(IdleTimeoutLearner.FLOOR_NANOS);
    }

    @Test
    void relaxesSlowlyWithoutNewObservationsSoARaisedTimeoutIsRelearned() {
        learner.observeIdleClose(ms(1_000));

        clock.addAndGet(IdleTimeoutLearner.RELAX_PERIOD_NANOS / 10);
        assertThat(learner.learnedNanos()).isEqualTo(ms(1_100));
        clock.addAndGet(IdleTimeoutLearner.RELAX_PERIOD_NANOS * 9 / 10);
        assertThat(learner.learnedNanos()).isEqualTo(ms(2_000));

        // the upstream now closes after 5 s: once the relaxed value passes it, the next close sets it there
        clock.addAndGet(IdleTimeoutLearner.RELAX_PERIOD_NANOS * 4);
        learner.observeIdleClose(ms(5_000));
        assertThat(learner.learnedNanos()).isEqualTo(ms(5_000));
    }

    @Test
    void ignoresALongerCloseWhileTheShorterOneStillHolds() {
        learner.observeIdleClose(ms(1_000));
        clock.addAndGet(IdleTimeoutLearner.RELAX_PERIOD_NANOS / 10);

        learner.observeIdleClose(ms(1_500));

        assertThat(learner.learnedNanos()).isEqualTo(ms(1_100));
    }

    @Test
    void learnsNothingWhenSwitchedOff() {
        IdleTimeoutLearner off = new IdleTimeoutLearner(clock::get, false);
        off.observeIdleClose(ms(1_000));

        assertThat(off.learnedNanos()).isZero();
        assertThat(off.reuseLimitNanos()).isEqualTo(Long.MAX_VALUE);
    }
}
