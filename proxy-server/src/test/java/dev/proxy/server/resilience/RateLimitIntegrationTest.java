package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.resilience.ratelimit.RateLimitFilter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.http.HttpRequest.Builder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Rate limits through the running proxy: per route, per client key, and bounded under a flood of keys. */
class RateLimitIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(TestBackend backend, String rateLimit) throws Exception {
        return proxy(backend, rateLimit, "30s");
    }

    private TestProxy proxy(TestBackend backend, String rateLimit, String timeout) throws Exception {
        return closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: limited
                    match: { pathPrefix: / }
                    cluster: b
                    timeout: %s
                    rateLimit: %s
                """.formatted(backend.address(), timeout, rateLimit)));
    }

    private static HttpResponse<String> get(TestProxy proxy, String key) throws Exception {
        Builder b = java.net.http.HttpRequest.newBuilder(proxy.uri("/x"));
        if (key != null) {
            b.header("x-api-key", key);
        }
        return proxy.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRouteLimitAnswers429WithRetryAfterAndRateLimitHeaders() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        // 3 permits every 300 s: the bucket cannot refill during the test
        TestProxy proxy = proxy(backend, "{ requestsPerSecond: 0.01, burst: 3 }");
        for (int i = 0; i < 3; i++) {
            assertThat(get(proxy, null).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = get(proxy, null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("x-proxy-error")).hasValue("rate_limited");
        assertThat(limited.headers().firstValue("ratelimit-limit")).hasValue("3");
        assertThat(limited.headers().firstValue("ratelimit-remaining")).hasValue("0");
        long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        long reset = Long.parseLong(limited.headers().firstValue("ratelimit-reset").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 300L);
        assertThat(reset).isBetween(1L, 300L);
        assertThat(backend.requestCount()).isEqualTo(3);
    }

    @Test
    void aKeyedLimitKeepsEachClientKeyToItsOwnBucket() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy(backend, "{ requestsPerSecond: 0.01, burst: 2, key: header, keyHeader: x-api-key }");
        assertThat(get(proxy, "alice").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "alice").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "alice").statusCode()).isEqualTo(429);
        assertThat(get(proxy, "bob").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "bob").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "bob").statusCode()).isEqualTo(429);
        // requests without the header share one bucket
        assertThat(get(proxy, null).statusCode()).isEqualTo(200);
        assertThat(get(proxy, null).statusCode()).isEqualTo(200);
        assertThat(get(proxy, null).statusCode()).isEqualTo(429);
    }

    @Test
    void aHundredThousandDistinctKeysDoNotGrowTheLimiterBeyondItsBound() throws Exception {
        // a backend that counts and answers without keeping anything, so that only the proxy's memory is measured
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(new HttpServerCodec(),
                new SimpleChannelInboundHandler<HttpObject>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                        if (msg instanceof LastHttpContent) {
                            ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "k", true));
                        }
                    }
                })));
        TestProxy proxy = proxy(backend, "{ requestsPerSecond: 0.01, burst: 1, key: header, keyHeader: x-api-key, "
                + "maxKeys: 1000 }");
        RateLimitFilter filter = (RateLimitFilter) proxy.server().snapshot().target("limited").orElseThrow().filter(0);
        int keys = 100_000;
        int batch = 100;   // below the proxy's pipelining depth of 128
        StringBuilder requests = new StringBuilder();
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int sent = 0; sent < keys; sent += batch) {
                requests.setLength(0);
                for (int i = sent; i < sent + batch; i++) {
                    requests.append("GET /k HTTP/1.1\r\nHost: a\r\nx-api-key: key-").append(i).append("\r\n\r\n");
                }
                c.send(requests.toString().getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < batch; i++) {
                    assertThat(c.readResponse().status()).isEqualTo(200);
                }
            }
        }
        assertThat(filter.keyCount()).isLessThanOrEqualTo(1000);
        // a recent key is still remembered, and limited
        assertThat(get(proxy, "key-99999").statusCode()).isEqualTo(429);
    }

    @Test
    void aQueueingLimitLetsARequestWaitForItsTurnAndRejectsOneThatWouldWaitLonger() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        // one permit a second; a request may wait up to one second for it
        TestProxy proxy = proxy(backend, "{ requestsPerSecond: 1, burst: 1, maxQueueTime: 1s }");
        // takes the current period's permit, or waits for the next one (at most a second away)
        assertThat(get(proxy, null).statusCode()).isEqualTo(200);

        // of two more at once, one gets the next permit within a second; the other's would be over a second away
        CompletableFuture<HttpResponse<String>> a = getAsync(proxy);
        CompletableFuture<HttpResponse<String>> b = getAsync(proxy);
        List<Integer> statuses = Stream.of(a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS))
                .map(HttpResponse::statusCode).sorted().toList();

        assertThat(statuses).containsExactly(200, 429);
        assertThat(backend.requestCount()).isEqualTo(2);
    }

    @Test
    void aQueuedRequestCountsAgainstTheRouteDeadline() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        // one permit per 100 s, so the second request's turn is far beyond the route's 300 ms
        TestProxy proxy = proxy(backend, "{ requestsPerSecond: 0.01, burst: 1, maxQueueTime: 1h }", "300ms");
        assertThat(get(proxy, null).statusCode()).isEqualTo(200);

        HttpResponse<String> queued = get(proxy, null);

        assertThat(queued.statusCode()).isEqualTo(504);
        assertThat(queued.headers().firstValue("x-proxy-error")).hasValue("route_timeout");
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(TestProxy proxy) {
        return proxy.client().sendAsync(java.net.http.HttpRequest.newBuilder(proxy.uri("/q")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
