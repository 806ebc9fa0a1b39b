package dev.proxy.resilience.ratelimit;

import java.util.concurrent.CompletionStage;

/**
 * Where the permits of a limit shared by a fleet come from: a counter per period that every replica draws on.
 * Implemented on Redis by {@link RedisTokenSource}; tests may pass their own.
 */
public interface TokenSource {
    /**
     * Takes up to {@code want} of the {@code limit} permits of the period in force for {@code key}. Never blocks; the
     * stage completes (on the source's own thread) with the grant, or exceptionally when the source cannot answer
     * within its timeout.
     *
     * @param periodMillis the length of a period; the source cuts time into periods on its own clock
     */
    CompletionStage<Grant> take(String key, int limit, long periodMillis, int want);

    /**
     * Permits taken from the period in force.
     *
     * @param permits how many, 0 when the period has none left
     * @param millisLeft until the period ends, on the source's clock
     */
    record Grant(int permits, long millisLeft) {
    }
}
