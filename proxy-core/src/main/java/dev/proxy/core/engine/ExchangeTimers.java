package dev.proxy.core.engine;

import dev.proxy.core.runtime.RoutePlan;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The timers of one {@link ProxyExchange}, on one task in the event loop's scheduler. Each timer is a deadline kept in
 * a field, and the task is armed for no later than the earliest of them. When the task runs it expires the earliest
 * deadline that has passed, if any, and arms itself again for the earliest one left. Clearing a timer, or setting one
 * later than the armed task, touches only a field.
 *
 * <p>Why one task: each schedule or cancel sifts through the event loop's priority queue, and a request has up to
 * three timers running at once (route deadline, response head, per try), nearly always cancelled before they expire.
 * With one task, a request costs one insertion, when it first waits for something, and one removal, when it ends.
 *
 * <p>Before {@link #armBy} nothing is scheduled: the exchange runs synchronously up to its first wait, so no timer can
 * fire before that anyway. After {@link #stop} nothing expires and nothing is armed again. Confined to the exchange's
 * event loop.
 */
final class ExchangeTimers {
    /** What a deadline bounds; the exchange maps each to its error or to its next step. */
    enum Timer {
        /** The whole request: the route's timeout, or the gRPC caller's if that is sooner. */
        ROUTE_DEADLINE,
        /** From the last request byte forwarded to the upstream's response head. */
        RESPONSE_HEADER,
        /** One attempt, from its connection to the upstream's response head. */
        PER_TRY,
        /** An admission filter's delay, after which the next filter runs. */
        FILTER_DELAY,
        /** The backoff before the next attempt. */
        RETRY_BACKOFF
    }

    private static final Timer[] TIMERS = Timer.values();
    /** A timer that is not set: a deadline that never comes, so finding the earliest needs no special case. */
    private static final long NEVER = Long.MAX_VALUE;

    private final EventExecutor loop;
    private final LongSupplier nanoClock;
    private final Consumer<Timer> onExpiry;
    private final long[] deadlines = new long[TIMERS.length];
    private final Runnable fire = this::fire;
    private ScheduledFuture<?> task;
    private long taskAtNanos;
    private boolean armed;
    private boolean stopped;

    /**
     * @param loop the exchange's event loop, which runs the task
     * @param nanoClock the clock of the deadlines, advancing at the pace of {@code loop}'s own
     * @param onExpiry called on {@code loop} with each timer that expired, once per setting
     */
    ExchangeTimers(EventExecutor loop, LongSupplier nanoClock, Consumer<Timer> onExpiry) {
        this.loop = loop;
        this.nanoClock = nanoClock;
        this.onExpiry = onExpiry;
        Arrays.fill(deadlines, NEVER);
    }

    /**
     * The time a request has on {@code route}: the route's timeout, or a gRPC caller's own deadline when that is
     * sooner (a call its caller has given up on is not worth an upstream's time); {@link RoutePlan#NO_TIMEOUT} for
     * none.
     */
    static long routeTimeoutNanos(RoutePlan route, HttpRequest request) {
        long timeoutNanos = route.timeoutNanos();
        if (Grpc.isGrpc(request)) {
            long callerNanos = Grpc.timeoutNanos(request.headers().get(Grpc.GRPC_TIMEOUT));
            // Grpc.NO_TIMEOUT and a zero timeout both leave the route's own
            if (callerNanos > 0 && (!route.hasTimeout() || callerNanos < timeoutNanos)) {
                timeoutNanos = callerNanos;
            }
        }
        return timeoutNanos;
    }

    /** Sets {@code timer} to expire at {@code deadlineNanos} on the clock, replacing its previous setting. */
    void set(Timer timer, long deadlineNanos) {
        if (stopped) {
            return;
        }
        deadlines[timer.ordinal()] = deadlineNanos;
        if (armed) {
            runBy(deadlineNanos);
        }
    }

    /** Clears {@code timer}; the task stays where it is and, if it runs first, only arms itself again. */
    void clear(Timer timer) {
        deadlines[timer.ordinal()] = NEVER;
    }

    boolean isSet(Timer timer) {
        return deadlines[timer.ordinal()] != NEVER;
    }

    /**
     * Makes the task run no later than at {@code nanos}, nor later than any deadline set; from then on {@link #set}
     * keeps it so. Passing the earliest that a timer still to be set can expire spares moving the task when it is set.
     */
    void armBy(long nanos) {
        if (stopped) {
            return;
        }
        armed = true;
        runBy(Math.min(nanos, earliest()));
    }

    /**
     * An attempt starts: the task runs no later than its first own timer could expire, counted from now (both start
     * later: the response-head timer when the request has gone, the per-try timer when the connection is there), so
     * that setting them moves nothing.
     *
     * @param perTryNanos the route's per-try timeout, {@link RoutePlan#NO_TIMEOUT} for none
     */
    void attemptStarting(long nowNanos, long responseHeaderNanos, long perTryNanos) {
        armBy(nowNanos + (perTryNanos == RoutePlan.NO_TIMEOUT ? responseHeaderNanos
                : Math.min(responseHeaderNanos, perTryNanos)));
    }

    /** The attempt's connection is there: its per-try timer starts, unless running already or there is none. */
    void startPerTry(long perTryNanos) {
        if (perTryNanos != RoutePlan.NO_TIMEOUT && !isSet(Timer.PER_TRY)) {
            set(Timer.PER_TRY, nanoClock.getAsLong() + perTryNanos);
        }
    }

    /** The whole request has gone upstream: the wait for the response head starts, unless running already. */
    void startResponseHeader(long responseHeaderNanos) {
        if (!isSet(Timer.RESPONSE_HEADER)) {
            set(Timer.RESPONSE_HEADER, nanoClock.getAsLong() + responseHeaderNanos);
        }
    }

    /** The attempt has its answer, or has ended: its own timers stop. */
    void clearAttempt() {
        clear(Timer.RESPONSE_HEADER);
        clear(Timer.PER_TRY);
    }

    /** Clears every timer and removes the task, for good: called when the exchange ends. */
    void stop() {
        stopped = true;
        Arrays.fill(deadlines, NEVER);
        ScheduledFuture<?> t = task;
        task = null;
        if (t != null) {
            // Removed, not left to run and find nothing: the task holds the exchange (its request, the body kept for a
            // retry) and would stay queued for up to a response-header timeout after the end. At tens of thousands of
            // requests a second that is hundreds of thousands of dead entries, each sift of the queue deeper for them.
            t.cancel(false);
        }
    }

    private void runBy(long nanos) {
        if (nanos == NEVER) {
            return;
        }
        if (task != null) {
            if (taskAtNanos <= nanos) {
                return;
            }
            // a deadline sooner than the task (a filter's delay, a retry's backoff, a short per-try timeout after a
            // long wait): only then does the task move
            task.cancel(false);
        }
        taskAtNanos = nanos;
        task = loop.schedule(fire, Math.max(0, nanos - nanoClock.getAsLong()), TimeUnit.NANOSECONDS);
    }

    private long earliest() {
        long min = NEVER;
        for (long d : deadlines) {
            min = Math.min(min, d);
        }
        return min;
    }

    private void fire() {
        task = null;
        if (stopped) {
            return;
        }
        int due = -1;
        long dueAt = NEVER;
        for (int i = 0; i < deadlines.length; i++) {
            if (deadlines[i] < dueAt) {
                due = i;
                dueAt = deadlines[i];
            }
        }
        if (due < 0 || dueAt > nanoClock.getAsLong()) {
            // armed early, for a timer set later than that or cleared since: nothing has passed yet
            runBy(dueAt);
            return;
        }
        deadlines[due] = NEVER;
        try {
            onExpiry.accept(TIMERS[due]);
        } finally {
            // what the expiry set has a task by its deadline already; this covers the deadlines set before it
            if (!stopped) {
                runBy(earliest());
            }
        }
    }
}
