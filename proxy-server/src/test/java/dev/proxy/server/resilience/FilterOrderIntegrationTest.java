package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The order of the chain, Deadline → ConcurrencyLimit → RateLimit → Fault → CircuitBreaker → Retry → LoadBalance →
 * Forward, seen from outside: a request stopped by one filter leaves no trace in the filters after it.
 */
class FilterOrderIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void aShedRequestDoesNotSpendARateLimitPermit() throws Exception {
        ConcurrentLinkedQueue<ChannelHandlerContext> held = new ConcurrentLinkedQueue<>();
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> held.add(ctx)));
        TestProxy proxy = closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    concurrencyLimit: { max: 1 }
                    rateLimit: { requestsPerSecond: 0.01, burst: 2 }
                """.formatted(backend.address())));
        CompletableFuture<HttpResponse<String>> first = proxy.client().sendAsync(
                HttpRequest.newBuilder(proxy.uri("/1")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> shed = proxy.get("/shed");
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.headers().firstValue("x-proxy-error")).hasValue("overloaded");
        }
        ChannelHandlerContext ctx = held.poll();
        ctx.executor().execute(() -> Proxies.answer(ctx, HttpResponseStatus.OK, true));
        assertThat(first.get().statusCode()).isEqualTo(200);
        // the five shed requests took no permit: the second of the two is still there
        CompletableFuture<HttpResponse<String>> second = proxy.client().sendAsync(
                HttpRequest.newBuilder(proxy.uri("/2")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
        ChannelHandlerContext ctx2 = held.poll();
        ctx2.executor().execute(() -> Proxies.answer(ctx2, HttpResponseStatus.OK, true));
        assertThat(second.get().statusCode()).isEqualTo(200);
        assertThat(proxy.get("/3").statusCode()).isEqualTo(429);
    }

    @Test
    void aRateLimitedRequestMeetsNoFaultAndAFaultNeverReachesTheBreaker() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                    circuitBreaker: { minimumNumberOfCalls: 1, failureRateThreshold: 1 }
                routes:
                  - name: chaos
                    match: { pathPrefix: /chaos }
                    cluster: b
                    rateLimit: { requestsPerSecond: 0.01, burst: 3 }
                    fault: { abort: { percent: 100, status: 503 } }
                  - name: plain
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address())));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = proxy.get("/chaos");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("x-proxy-error")).hasValue("fault_injected");
        }
        assertThat(proxy.get("/chaos").headers().firstValue("x-proxy-error")).hasValue("rate_limited");
        // three injected 503s and the breaker, which opens on a single failure, is still closed
        assertThat(proxy.get("/plain").statusCode()).isEqualTo(200);
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void theRouteDeadlineBoundsEveryRetry() throws Exception {
        TestBackend hanging = closer.keep(TestBackend.http((ctx, req) -> { }));
        TestProxy proxy = closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    timeout: 1s
                    perTryTimeout: 400ms
                    retry: { attempts: 10, on: [timeout], backoff: { base: 1ms, max: 2ms } }
                """.formatted(hanging.address())));
        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.headers().firstValue("x-proxy-error")).hasValue("route_timeout");
        // 400 ms tries inside a 1 s deadline: at most three of them start
        assertThat(hanging.requestCount()).isBetween(2, 3);
    }
}
