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
}
