package dev.proxy.resilience.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.Verdict;
import dev.proxy.resilience.FakeClock;
import dev.proxy.resilience.TestRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RateLimitFilterTest {
    private final FakeClock clock = new FakeClock();

    private static RateLimitConfig route(double perSecond, int burst) {
        return new RateLimitConfig(perSecond, burst, false, Optional.empty(), 100, Duration.ofMinutes(10));
    }

    private static RateLimitConfig queueing(double perSecond, int burst, Duration maxQueueTime) {
        return new RateLimitConfig(perSecond, burst, false, Optional.empty(), 100, Duration.ofMinutes(10),
                maxQueueTime);
    }

    private static Map<String, String> headers(Verdict v) {
        HttpHeaders h = v.headers();
        return h.names().stream().collect(Collectors.toMap(String::toLowerCase, h::get));
    }

    @Test
    void allowsTheBurstThenRejectsWithRetryAfterAndRateLimitHeaders() {
        RateLimitFilter filter = new RateLimitFilter(route(1, 3), clock); // 3 every 3 s
        TestRequest request = TestRequest.get();

        for (int i = 0; i < 3; i++) {
            assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        }
        Verdict rejected = filter.onRequest(request);

        assertThat(rejected.error()).isEqualTo(ProxyError.RATE_LIMITED);
        assertThat(rejected.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(headers(rejected)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "retry-after", "3",
                "ratelimit-limit", "3",
                "ratelimit-remaining", "0",
                "ratelimit-reset", "3"));
    }

    @Test
    void retryAfterCountsWholeSecondsUntilTheRefillAndIsAtLeastOne() {
        RateLimitFilter filter = new RateLimitFilter(route(1, 3), clock);
        TestRequest request = TestRequest.get();
        for (int i = 0; i < 3; i++) {
            filter.onRequest(request);
        }

        clock.advance(Duration.ofMillis(1500));
        assertThat(filter.onRequest(request).headers().get("Retry-After")).isEqualTo("2");

        clock.advance(Duration.ofMillis(1499));
        Verdict lastMillisecond = filter.onRequest(request);
        assertThat(lastMillisecond.headers().get("Retry-After")).isEqualTo("1");
        assertThat(lastMillisecond.headers().get("RateLimit-Reset")).isEqualTo("1");
    }

    @Test
    void refillsAfterThePeriodWithoutCarryingUnusedPermitsOver() {
        RateLimitFilter filter = new RateLimitFilter(route(10, 5), clock); // 5 every 500 ms
        TestRequest request = TestRequest.get();
        for (int i = 0; i < 5; i++) {
            filter.onRequest(request);
        }
        assertThat(filter.onRequest(request).rejects()).isTrue();

        clock.advance(Duration.ofMillis(500));
        for (int i = 0; i < 5; i++) {
            assertThat(filter.onRequest(request).passes()).isTrue();
        }
        assertThat(filter.onRequest(request).rejects()).isTrue();

        clock.advance(Duration.ofSeconds(10)); // idle for 20 periods
        for (int i = 0; i < 5; i++) {
            assertThat(filter.onRequest(request).passes()).isTrue();
        }
        assertThat(filter.onRequest(request).rejects()).isTrue();
    }

    @Test
    void keysByClientIpIsolateClients() {
        RateLimitFilter filter = new RateLimitFilter(new RateLimitConfig(1, 2, true, Optional.empty(), 100,
                Duration.ofMinutes(10)), clock);
        TestRequest a = TestRequest.from("192.0.2.1");
        TestRequest b = TestRequest.from("2001:db8::1");

        filter.onRequest(a);
        filter.onRequest(a);
        assertThat(filter.onRequest(a).rejects()).isTrue();

        assertThat(filter.onRequest(b).passes()).isTrue();
        assertThat(filter.keyCount()).isEqualTo(2);
    }

    @Test
    void keysByHeaderIsolateItsValuesAndShareOneBucketWithoutIt() {
        RateLimitFilter filter = new RateLimitFilter(new RateLimitConfig(1, 1, false, Optional.of("x-api-key"), 100,
                Duration.ofMinutes(10)), clock);

        assertThat(filter.onRequest(TestRequest.from("192.0.2.1").with("x-api-key", "alpha")).passes()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.2").with("x-api-key", "alpha")).rejects()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.1").with("x-api-key", "beta")).passes()).isTrue();

        assertThat(filter.onRequest(TestRequest.from("192.0.2.3")).passes()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.4")).rejects()).isTrue();
    }

    @Test
    void keysByClientIpAndHeaderTogether() {
        RateLimitFilter filter = new RateLimitFilter(new RateLimitConfig(1, 1, true, Optional.of("x-user"), 100,
                Duration.ofMinutes(10)), clock);

        assertThat(filter.onRequest(TestRequest.from("192.0.2.1").with("x-user", "u")).passes()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.1").with("x-user", "u")).rejects()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.2").with("x-user", "u")).passes()).isTrue();
        assertThat(filter.onRequest(TestRequest.from("192.0.2.1").with("x-user", "v")).passes()).isTrue();
        assertThat(filter.keyCount()).isEqualTo(3);
    }

    @Test
    void aFloodOfDistinctKeysStaysWithinMaxKeys() {
        RateLimitFilter filter = new RateLimitFilter(new RateLimitConfig(1, 1, false, Optional.of("x-key"), 1000,
                Duration.ofMinutes(10)), clock);
        TestRequest request = TestRequest.get();

        for (int i = 0; i < 100_000; i++) {
            request.request().headers().set("x-key", "k" + i);
            assertThat(filter.onRequest(request).passes()).isTrue();
        }
        filter.cleanUp();

        assertThat(filter.keyCount()).isLessThanOrEqualTo(1000);
    }

    @Test
    void forgetsKeysIdleForKeyIdleTime() {
        RateLimitFilter filter = new RateLimitFilter(new RateLimitConfig(1, 1, true, Optional.empty(), 1000,
                Duration.ofMinutes(1)), clock);
        for (int i = 1; i <= 10; i++) {
            filter.onRequest(TestRequest.from("192.0.2." + i));
        }
        filter.cleanUp();
        assertThat(filter.keyCount()).isEqualTo(10);

        clock.advance(Duration.ofMinutes(2));
        filter.cleanUp();

        assertThat(filter.keyCount()).isZero();
    }

    @Test
    void aRouteLimitTracksNoKeys() {
        RateLimitFilter filter = new RateLimitFilter(route(100, 100), clock);
        filter.onRequest(TestRequest.get());
        assertThat(filter.keyCount()).isZero();
    }

    @Test
    void queuesARequestOverTheLimitForItsTurnAndRejectsOneThatWouldWaitLonger() {
        RateLimitFilter filter = new RateLimitFilter(queueing(1, 1, Duration.ofSeconds(2)), clock); // 1 a second
        TestRequest request = TestRequest.get();
        clock.advance(Duration.ofMillis(250));

        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        Verdict second = filter.onRequest(request);
        Verdict third = filter.onRequest(request);
        Verdict fourth = filter.onRequest(request);

        // each queued request holds the next free permit: the next period, then the one after
        assertThat(second.passes()).isFalse();
        assertThat(second.rejects()).isFalse();
        assertThat(second.delayNanos()).isEqualTo(Duration.ofMillis(750).toNanos());
        assertThat(second.asksAgain()).isFalse();
        assertThat(third.delayNanos()).isEqualTo(Duration.ofMillis(1750).toNanos());
        // its wait (2.75 s) would exceed maxQueueTime: rejected, told when the queue has room again
        assertThat(fourth.error()).isEqualTo(ProxyError.RATE_LIMITED);
        assertThat(headers(fourth)).containsEntry("retry-after", "3");
    }

    @Test
    void queuedPermitsAreTakenFromLaterPeriods() {
        RateLimitFilter filter = new RateLimitFilter(queueing(10, 2, Duration.ofMillis(200)), clock); // 2 per 200 ms
        TestRequest request = TestRequest.get();
        filter.onRequest(request);
        filter.onRequest(request);
        assertThat(filter.onRequest(request).delayNanos()).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(filter.onRequest(request).delayNanos()).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(filter.onRequest(request).rejects()).isTrue();

        // the next period's two permits went to the queued requests
        clock.advance(Duration.ofMillis(200));
        assertThat(filter.onRequest(request).delayNanos()).isEqualTo(Duration.ofMillis(200).toNanos());

        clock.advance(Duration.ofSeconds(5)); // idle: the permits are topped up to burst, no more
        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        assertThat(filter.onRequest(request)).isSameAs(Verdict.PASS);
        assertThat(filter.onRequest(request).passes()).isFalse();
    }

    @Test
    void withoutQueueTimeNothingIsQueued() {
        RateLimitFilter filter = new RateLimitFilter(route(1000, 1), clock);
        TestRequest request = TestRequest.get();
        filter.onRequest(request);
        // the next permit is a millisecond away, but the limit does not queue
        assertThat(filter.onRequest(request).rejects()).isTrue();
    }

    @Test
    void asksAgainOnTheNextLoopTurnWhenAnotherThreadHoldsTheLimiter() {
        GuardedLimiter limiter = new GuardedLimiter("t", io.github.resilience4j.ratelimiter.RateLimiterConfig.custom()
                .limitForPeriod(1).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build(),
                clock);
        limiter.busy.set(true);
        assertThat(limiter.reserve()).isEqualTo(GuardedLimiter.BUSY);

        limiter.busy.set(false);
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isEqualTo(GuardedLimiter.REJECTED);
    }

    @Test
    void threadsContendingForOneLimitAdmitExactlyTheBurst() throws Exception {
        int burst = 20_000;
        RateLimitFilter filter = new RateLimitFilter(route(1, burst), clock); // the clock stands still
        int threads = 4;
        java.util.concurrent.atomic.AtomicInteger passed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger rejected = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                TestRequest request = TestRequest.get();
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < burst / 2; i++) {
                    Verdict v = filter.onRequest(request);
                    while (v.asksAgain()) {
                        v = filter.onRequest(request);
                    }
                    (v.passes() ? passed : rejected).incrementAndGet();
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join(60_000);
        }

        assertThat(passed.get()).isEqualTo(burst);
        assertThat(rejected.get()).isEqualTo(threads * burst / 2 - burst);
    }
}
