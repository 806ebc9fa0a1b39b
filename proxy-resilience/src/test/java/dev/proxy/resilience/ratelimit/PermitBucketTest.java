package dev.proxy.resilience.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PermitBucketTest {
    private static final long START = 5_000_000_000L;
    private static final long PERIOD = 1_000_000_000L;

    @Test
    void grantsThePermitsOfEachPeriodOnce() {
        PermitBucket bucket = new PermitBucket(START, PERIOD, 2);

        assertThat(bucket.available(START)).isEqualTo(2);
        assertThat(bucket.tryAcquire(START)).isTrue();
        assertThat(bucket.tryAcquire(START + PERIOD - 1)).isTrue();
        assertThat(bucket.tryAcquire(START + PERIOD - 1)).isFalse();
        assertThat(bucket.available(START + PERIOD - 1)).isZero();
        assertThat(bucket.nanosToRefill(START + PERIOD - 1)).isEqualTo(1);

        assertThat(bucket.available(START + PERIOD)).isEqualTo(2);
        assertThat(bucket.tryAcquire(START + PERIOD)).isTrue();
        assertThat(bucket.nanosToRefill(START + PERIOD)).isEqualTo(PERIOD);
    }

    @Test
    void grantsExactlyThePermitsUnderContention() throws Exception {
        PermitBucket bucket = new PermitBucket(START, PERIOD, 1000);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> granted = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                granted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < 1000; i++) {
                        n += bucket.tryAcquire(START + 10) ? 1 : 0;
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : granted) {
                total += f.get(10, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(1000);
        } finally {
            pool.shutdownNow();
        }
    }
}
