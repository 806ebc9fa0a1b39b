package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.resilience.limit.ConcurrencyLimitFilter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retries through the running proxy: when they happen, where they go, what they send, and what bounds them. */
class RetryIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(String retry, String extraRoute, TestBackend... backends) throws Exception {
        StringBuilder endpoints = new StringBuilder();
        for (TestBackend b : backends) {
            endpoints.append(endpoints.length() == 0 ? "" : ", ").append("{ address: ").append(b.address()).append(" }");
        }
        return proxy(retry, extraRoute, endpoints.toString());
    }

    private TestProxy proxy(String retry, String extraRoute, String endpoints) throws Exception {
        return closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ %s ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    retry: %s
                %s
                """.formatted(endpoints, retry, extraRoute.indent(4))));
    }

    @Test
    void retriesAGatewayErrorOnTheOtherEndpoint() throws Exception {
        TestBackend failing = closer.keep(TestBackend.http(Proxies.statuses(n -> HttpResponseStatus.SERVICE_UNAVAILABLE)));
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms }, budget: { percent: 100 } }", "",
                failing, healthy);
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = proxy.get("/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("fine");
        }
        // every attempt that met the failing endpoint was repeated on the other one
        assertThat(failing.requestCount()).isPositive();
        assertThat(healthy.requestCount()).isEqualTo(10);
    }

    @Test
    void returnsTheLastAnswerWhenAttemptsRunOut() throws Exception {
        TestBackend failing = closer.keep(TestBackend.http(Proxies.statuses(n -> HttpResponseStatus.BAD_GATEWAY)));
        TestProxy proxy = proxy("{ attempts: 3, backoff: { base: 1ms, max: 2ms } }", "", failing);
        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("502 from backend");
        assertThat(failing.requestCount()).isEqualTo(3);
    }

    @Test
    void doesNotRepeatAPostThatReachedTheUpstream() throws Exception {
        TestBackend failing = closer.keep(TestBackend.http(Proxies.statuses(n -> HttpResponseStatus.SERVICE_UNAVAILABLE)));
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms } }", "", failing, healthy);
        int served = 0;
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/order"))
                    .POST(HttpRequest.BodyPublishers.ofString("buy")).build(), HttpResponse.BodyHandlers.ofString());
            served += r.statusCode() == 200 ? 1 : 0;
            assertThat(r.statusCode()).isIn(200, 503);
        }
        assertThat(served).isEqualTo(2);
        assertThat(failing.requestCount() + healthy.requestCount()).isEqualTo(4);
    }

    @Test
    void repeatsAPostThatNeverReachedTheUpstream() throws Exception {
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms }, budget: { percent: 100 } }", "",
                "{ address: 127.0.0.1:" + closedPort + " }, { address: " + healthy.address() + " }");
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/order"))
                    .POST(HttpRequest.BodyPublishers.ofString("buy " + i)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        }
        assertThat(healthy.requestCount()).isEqualTo(4);
    }

    @Test
    void sendsABufferedBodyAgainOnTheRetry() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        TestBackend.Responder recordAnd = (ctx, req) -> {
            bodies.add(req.content().toString(StandardCharsets.UTF_8));
            Proxies.answer(ctx, bodies.size() == 1 ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                    HttpUtil.isKeepAlive(req));
        };
        TestBackend backend = closer.keep(TestBackend.http(recordAnd));
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms }, bufferBodyUpTo: 64KiB }", "",
                backend);
        String body = "x".repeat(40_000) + "end";
        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/doc"))
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(bodies).containsExactly(body, body);
    }

    @Test
    void replaysTheBodyWhenTheUpstreamResetsAfterReadingIt() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        TestBackend resetting = closer.keep(TestBackend.http((ctx, req) -> {
            bodies.add("reset:" + req.content().readableBytes());
            ctx.channel().close();
        }));
        TestBackend healthy = closer.keep(TestBackend.http((ctx, req) -> {
            bodies.add(req.content().toString(StandardCharsets.UTF_8));
            Proxies.answer(ctx, HttpResponseStatus.OK, HttpUtil.isKeepAlive(req));
        }));
        TestProxy proxy = proxy("{ attempts: 2, on: [reset], backoff: { base: 1ms, max: 2ms }, "
                + "budget: { percent: 100 } }", "", resetting, healthy);
        String body = "b".repeat(30_000);
        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/doc"))
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(bodies).containsExactly("reset:30000", body);
    }

    @Test
    void aClientThatLeavesDuringTheBackoffEndsTheExchange() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> {
            var r = TestBackend.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "later", true);
            r.headers().set("retry-after", "60");
            ctx.writeAndFlush(r);
        }));
        TestProxy proxy = proxy("{ attempts: 2, retryAfterMax: 120s, budget: { percent: 100 } }",
                "timeout: 300s\nconcurrencyLimit: { max: 10 }", backend);
        ConcurrencyLimitFilter limit = (ConcurrencyLimitFilter) proxy.server().snapshot().target("all")
                .orElseThrow().filter(0);
        RawHttp c = new RawHttp(proxy.port());
        c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.requestCount() == 1);
        assertThat(limit.inFlight()).isEqualTo(1);
        c.close();
        // the exchange ended at once: its retry timer is cancelled and it counts out of the limit
        await().atMost(Duration.ofSeconds(10)).until(() -> limit.inFlight() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().connectionCount() == 0);
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void doesNotRetryOnceABodyLargerThanTheBufferHasGone() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Proxies.statuses(n -> n == 0
                ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK)));
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms }, bufferBodyUpTo: 1KiB }", "",
                backend);
        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/doc"))
                .PUT(HttpRequest.BodyPublishers.ofString("y".repeat(5000))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void perTryTimeoutMovesOnFromAHangingEndpoint() throws Exception {
        TestBackend hanging = closer.keep(TestBackend.http((ctx, req) -> { }));
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("{ attempts: 2, on: [timeout], backoff: { base: 1ms, max: 2ms }, "
                + "budget: { percent: 100 } }", "perTryTimeout: 200ms", hanging, healthy);
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = proxy.get("/x");
            assertThat(r.statusCode()).isEqualTo(200);
        }
        assertThat(hanging.requestCount()).isPositive();
        assertThat(healthy.requestCount()).isEqualTo(4);
    }

    @Test
    void perTryTimeoutWithoutRetryAnswers504() throws Exception {
        TestBackend hanging = closer.keep(TestBackend.http((ctx, req) -> { }));
        TestProxy proxy = proxy("{ attempts: 1 }", "perTryTimeout: 100ms", hanging);
        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.headers().firstValue("x-proxy-error")).hasValue("upstream_per_try_timeout");
    }

    @Test
    void waitsForAShortRetryAfterAndPassesOnALongOne() throws Exception {
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> {
            arrivals.add(System.nanoTime());
            boolean first = arrivals.size() % 2 == 1;
            var r = TestBackend.text(first ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                    first ? "busy" : "fine", true);
            if (first) {
                r.headers().set("retry-after", req.uri().equals("/short") ? "1" : "30");
            }
            ctx.writeAndFlush(r);
        }));
        TestProxy proxy = proxy("{ attempts: 2, retryAfterMax: 2s, backoff: { base: 1ms, max: 2ms } }", "",
                backend);
        HttpResponse<String> shortWait = proxy.get("/short");
        assertThat(shortWait.statusCode()).isEqualTo(200);
        assertThat(arrivals).hasSize(2);
        assertThat(Duration.ofNanos(arrivals.get(1) - arrivals.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(950));

        HttpResponse<String> longWait = proxy.get("/long");
        assertThat(longWait.statusCode()).isEqualTo(503);
        assertThat(longWait.headers().firstValue("retry-after")).hasValue("30");
        assertThat(arrivals).hasSize(3);
    }

    @Test
    void tellsTheUpstreamHowMuchOfTheDeadlineIsLeft() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("{ attempts: 1 }", "timeout: 5s\ndeadlineHeader: x-request-timeout-ms", backend);
        assertThat(proxy.get("/x").statusCode()).isEqualTo(200);
        long left = Long.parseLong(backend.lastRequest().headers().get("x-request-timeout-ms"));
        assertThat(left).isBetween(1L, 5000L);
    }

    @Test
    void theBudgetBoundsRetriesWhenEveryRequestFails() throws Exception {
        TestBackend failing = closer.keep(TestBackend.http(Proxies.statuses(n -> HttpResponseStatus.SERVICE_UNAVAILABLE)));
        TestProxy proxy = proxy("""
                { attempts: 3, backoff: { base: 1ms, max: 2ms }, budget: { percent: 20, minRetriesPerSecond: 1 } }""",
                "", failing);
        int requests = 400;
        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            inFlight.add(proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri("/x")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            if (inFlight.size() == 16) {
                for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                    assertThat(f.get().statusCode()).isEqualTo(503);
                }
                inFlight.clear();
            }
        }
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
            assertThat(f.get().statusCode()).isEqualTo(503);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int retries = failing.requestCount() - requests;
        // without a budget every request would be tried 3 times: 800 retries
        assertThat(retries).isPositive();
        assertThat((double) retries).isLessThanOrEqualTo(0.2 * requests + Math.ceil(seconds) * 1 + 2);
    }

    @Test
    void theRetriedRequestIsTheSameRequest() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Proxies.statuses(n -> n == 0
                ? HttpResponseStatus.BAD_GATEWAY : HttpResponseStatus.OK)));
        TestProxy proxy = proxy("{ attempts: 2, backoff: { base: 1ms, max: 2ms } }", "", backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nx-custom: 1\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(200);
        }
        List<FullHttpRequest> seen = backend.requests();
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).uri()).isEqualTo(seen.get(0).uri()).isEqualTo("/a?b=c");
        assertThat(seen.get(1).headers().get("x-custom")).isEqualTo("1");
        assertThat(seen.get(1).headers().getAll("x-forwarded-for")).isEqualTo(seen.get(0).headers().getAll("x-forwarded-for"));
    }
}
