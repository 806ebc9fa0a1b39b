package dev.proxy.resilience.retry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.resilience.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
    private final FakeClock clock = new FakeClock();

    @Test
    void grantsAtMostThePercentageOfRequests() {
        RetryBudget budget = new RetryBudget(20, 0, clock);
        int granted = 0;
        for (int i = 0; i < 1000; i++) {
            budget.onRequest();
            granted += budget.tryAcquire() ? 1 : 0; // every request fails and wants a retry
        }
        assertThat(granted).isBetween(195, 200);
    }

    @Test
    void creditSavedWhileCalmIsCapped() {
        RetryBudget budget = new RetryBudget(20, 0, clock);
        for (int i = 0; i < 100_000; i++) {
            budget.onRequest();
        }
        int granted = 0;
        while (budget.tryAcquire()) {
            granted++;
        }
        assertThat(granted).isEqualTo(20);

        RetryBudget small = new RetryBudget(1, 0, clock);
        for (int i = 0; i < 100_000; i++) {
            small.onRequest();
        }
        assertThat(small.savedRetries()).isEqualTo(10);
    }

    @Test
    void theReserveGrantsMinRetriesPerSecond() {
        RetryBudget budget = new RetryBudget(0, 5, clock);
        int burst = 0;
        while (budget.tryAcquire()) {
            burst++;
        }
        assertThat(burst).isEqualTo(5);

        int granted = 0;
        for (int step = 0; step < 100; step++) { // 10 s in steps of 100 ms, asking 10 times each step
            clock.advance(Duration.ofMillis(100));
            for (int i = 0; i < 10; i++) {
                granted += budget.tryAcquire() ? 1 : 0;
            }
        }
        assertThat(granted).isBetween(49, 50);
    }

    @Test
    void aReserveBelowOnePerSecondStillGrantsOneAtATime() {
        RetryBudget budget = new RetryBudget(0, 0.5, clock);
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isFalse();
        clock.advance(Duration.ofMillis(1999));
        assertThat(budget.tryAcquire()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(budget.tryAcquire()).isTrue();
    }

    @Test
    void noPercentAndNoReserveMeansNoRetries() {
        RetryBudget budget = new RetryBudget(0, 0, clock);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }
        assertThat(budget.tryAcquire()).isFalse();
    }

    @Test
    void retriesStayWithinPercentOfRequestsPlusTheReserveOverARandomWorkload() {
        double minPerSecond = 3;
        RetryBudget budget = new RetryBudget(20, minPerSecond, clock);
        SplittableRandom random = new SplittableRandom(42);
        long requests = 0;
        long retries = 0;
        long elapsed = 0;
        for (int i = 0; i < 200_000; i++) {
            long step = random.nextLong(2_000_000); // up to 2 ms between events: bursts and lulls
            clock.advanceNanos(step);
            elapsed += step;
            if (random.nextInt(3) == 0) {
                budget.onRequest();
                requests++;
            } else if (budget.tryAcquire()) {
                retries++;
            }
            double bound = 0.20 * requests + minPerSecond * (elapsed / 1e9) + minPerSecond + 1;
            if (retries > bound) {
                throw new AssertionError(retries + " retries after " + requests + " requests in " + elapsed + "ns");
            }
        }
        assertThat(retries).isGreaterThan((long) (0.19 * requests));
    }

    @Test
    void concurrentCallersTogetherStayWithinTheBudget() throws Exception {
        RetryBudget budget = new RetryBudget(10, 0, clock);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> granted = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                granted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < 10_000; i++) {
                        budget.onRequest();
                        n += budget.tryAcquire() ? 1 : 0;
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : granted) {
                total += f.get(10, TimeUnit.SECONDS);
            }
            assertThat(total).isBetween(7_990, 8_000); // 10% of 80,000 requests
        } finally {
            pool.shutdownNow();
        }
    }
}
