package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.engine.ExchangeTimers.Timer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One scheduled task for all of an exchange's timers, driven by a fake clock on an embedded event loop. */
class ExchangeTimersTest {
    private final MockTicker ticker = Ticker.newMockTicker();
    private final EmbeddedChannel channel = EmbeddedChannel.builder().ticker(ticker).build();
    private final long start = ticker.nanoTime();
    private final List<Timer> expired = new ArrayList<>();
    private Consumer<Timer> onExpiry = expired::add;
    private final ExchangeTimers timers = new ExchangeTimers(channel.eventLoop(), ticker::nanoTime,
            t -> onExpiry.accept(t));

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private long at(long millis) {
        return start + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Moves the clock on, runs what is due, and says in how many ms the task runs next (-1: none is scheduled). */
    private long advanceMillis(long millis) {
        ticker.advanceMillis(millis);
        long next = channel.runScheduledPendingTasks();
        return next < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(next);
    }

    @Test
    void schedulesNothingBeforeItIsArmed() {
        timers.set(Timer.ROUTE_DEADLINE, at(10));
        assertThat(advanceMillis(0)).isEqualTo(-1);

        timers.armBy(at(1000));
        assertThat(advanceMillis(0)).as("armed by the earliest deadline set").isEqualTo(10);
        assertThat(advanceMillis(10)).isEqualTo(-1);
        assertThat(expired).containsExactly(Timer.ROUTE_DEADLINE);
    }

    @Test
    void aTimerSetLaterThanTheArmedTaskLeavesTheTaskWhereItIs() {
        timers.set(Timer.ROUTE_DEADLINE, at(300));
        timers.armBy(at(100));
        timers.set(Timer.RESPONSE_HEADER, at(150));
        assertThat(advanceMillis(0)).isEqualTo(100);

        assertThat(advanceMillis(100)).as("nothing passed yet: the task re-arms for the earliest").isEqualTo(50);
        assertThat(expired).isEmpty();
        assertThat(advanceMillis(50)).isEqualTo(150);
        assertThat(expired).containsExactly(Timer.RESPONSE_HEADER);
    }

    @Test
    void aSoonerDeadlineMovesTheTask() {
        timers.set(Timer.ROUTE_DEADLINE, at(300));
        timers.armBy(at(100));
        timers.set(Timer.RETRY_BACKOFF, at(20));
        assertThat(advanceMillis(0)).isEqualTo(20);
        assertThat(advanceMillis(20)).isEqualTo(280);
        assertThat(expired).containsExactly(Timer.RETRY_BACKOFF);
    }

    @Test
    void aClearedTimerDoesNotExpire() {
        timers.armBy(at(100));
        timers.set(Timer.PER_TRY, at(100));
        timers.clear(Timer.PER_TRY);
        assertThat(timers.isSet(Timer.PER_TRY)).isFalse();
        assertThat(advanceMillis(100)).isEqualTo(-1);
        assertThat(expired).isEmpty();

        timers.set(Timer.PER_TRY, at(150));
        assertThat(advanceMillis(0)).as("armed again by the next setting").isEqualTo(50);
    }

    @Test
    void expiresTheEarliestFirstWhenSeveralHavePassed() {
        timers.set(Timer.ROUTE_DEADLINE, at(50));
        timers.armBy(at(100));
        timers.set(Timer.RESPONSE_HEADER, at(40));
        assertThat(advanceMillis(60)).isEqualTo(-1);
        assertThat(expired).containsExactly(Timer.RESPONSE_HEADER, Timer.ROUTE_DEADLINE);
    }

    @Test
    void aTimerIsClearedBeforeItsExpiryRunsAndMaySetItAgain() {
        onExpiry = t -> {
            assertThat(timers.isSet(t)).isFalse();
            expired.add(t);
            if (expired.size() == 1) {
                timers.set(t, at(70));
            }
        };
        timers.armBy(at(50));
        timers.set(Timer.PER_TRY, at(50));
        assertThat(advanceMillis(50)).isEqualTo(20);
        assertThat(advanceMillis(20)).isEqualTo(-1);
        assertThat(expired).containsExactly(Timer.PER_TRY, Timer.PER_TRY);
    }

    @Test
    void aLaterTimerSetByAnExpiryDoesNotDelayAnEarlierOne() {
        // a filter's delay ends and the attempt starts with a response timer beyond the route deadline
        onExpiry = t -> {
            expired.add(t);
            if (t == Timer.FILTER_DELAY) {
                timers.set(Timer.RESPONSE_HEADER, at(210));
            }
        };
        timers.set(Timer.ROUTE_DEADLINE, at(100));
        timers.set(Timer.FILTER_DELAY, at(10));
        timers.armBy(at(10));
        assertThat(advanceMillis(10)).isEqualTo(90);
        assertThat(advanceMillis(90)).isEqualTo(110);
        assertThat(expired).containsExactly(Timer.FILTER_DELAY, Timer.ROUTE_DEADLINE);
    }

    @Test
    void nothingExpiresOrIsArmedAfterStop() {
        timers.set(Timer.ROUTE_DEADLINE, at(100));
        timers.armBy(at(50));
        timers.stop();
        assertThat(advanceMillis(0)).as("the task left the queue").isEqualTo(-1);

        timers.set(Timer.RESPONSE_HEADER, at(120));
        timers.armBy(at(120));
        assertThat(timers.isSet(Timer.RESPONSE_HEADER)).isFalse();
        assertThat(advanceMillis(200)).isEqualTo(-1);
        assertThat(expired).isEmpty();
    }

    @Test
    void anExpiryThatStopsTheTimersLeavesNothingScheduled() {
        onExpiry = t -> {
            expired.add(t);
            timers.stop();
        };
        timers.set(Timer.ROUTE_DEADLINE, at(30));
        timers.set(Timer.RESPONSE_HEADER, at(20));
        timers.armBy(at(20));
        assertThat(advanceMillis(20)).isEqualTo(-1);
        assertThat(advanceMillis(20)).isEqualTo(-1);
        assertThat(expired).containsExactly(Timer.RESPONSE_HEADER);
    }
}
