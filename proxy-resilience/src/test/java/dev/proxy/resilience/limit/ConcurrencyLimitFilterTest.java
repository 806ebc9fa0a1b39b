package dev.proxy.resilience.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.ConcurrencyLimitConfig;
import dev.proxy.core.filter.Verdict;
import dev.proxy.resilience.FakeClock;
import dev.proxy.resilience.TestRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitFilterTest {
    private final TestRequest request = TestRequest.get();

    @Test
    void rejectsAboveTheCapWithOverloaded() {
        ConcurrencyLimitFilter filter = ConcurrencyLimitFilter.fixed(2);

        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        Verdict rejected = filter.onRequest(request);

        assertThat(rejected.rejects()).isTrue();
        assertThat(rejected.error()).isEqualTo(ProxyError.OVERLOADED);
        assertThat(rejected.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(filter.onRequest(request)).as("preallocated").isSameAs(rejected);
        assertThat(filter.inFlight()).isEqualTo(2);
        assertThat(filter.limit()).isEqualTo(2);
    }

    @Test
    void anEndedRequestFreesItsPlace() {
        ConcurrencyLimitFilter filter = ConcurrencyLimitFilter.fixed(1);
        filter.onRequest(request);
        assertThat(filter.onRequest(request).rejects()).isTrue();

        filter.onEnd(request, 200, null, 1_000_000);

        assertThat(filter.inFlight()).isZero();
        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
    }

    @Test
    void neverAdmitsMoreThanTheCapUnderContention() throws Exception {
        ConcurrencyLimitFilter filter = ConcurrencyLimitFilter.fixed(50);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> admitted = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                admitted.add(pool.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int i = 0; i < 1000; i++) {
                        n += filter.onRequest(request).passes() ? 1 : 0;
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : admitted) {
                total += f.get(10, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(50);
            assertThat(filter.inFlight()).isEqualTo(50);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAdaptiveLimitStartsAtItsInitialLimit() {
        ConcurrencyLimitFilter filter = ConcurrencyLimitFilter.of(new ConcurrencyLimitConfig(100, true, 20, 5),
                new FakeClock());

        assertThat(filter.limit()).isEqualTo(20);
    }

    @Test
    void timeoutsAndSheddingCountAsDropsForTheAdaptiveLimit() {
        FakeClock clock = new FakeClock();
        ConcurrencyLimitFilter filter = ConcurrencyLimitFilter.of(new ConcurrencyLimitConfig(100, true, 50, 5), clock);

        for (int window = 0; window < 5; window++) {
            filter.onRequest(request);
            filter.onEnd(request, 504, ProxyError.UPSTREAM_RESPONSE_TIMEOUT, 1_000_000);
            clock.advance(Duration.ofSeconds(1));
        }
        filter.onRequest(request);
        filter.onEnd(request, 504, ProxyError.ROUTE_TIMEOUT, 1_000_000);

        assertThat(filter.limit()).isLessThan(50);
        assertThat(filter.inFlight()).isZero();
    }
}
