package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 message semantics through the real proxy on loopback: bodies that must not exist (HEAD, 204, 304), both
 * framings of a body in both directions, HTTP/1.0 clients, pipelining, rewrites, routing, weighted clusters,
 * forwarding headers and upstream connection handling.
 */
class HttpSemanticsIntegrationTest {
    private static final List<String> CHUNKS = List.of("first-", "x".repeat(40_000), "-last");

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        // proxies were started after their backends, so they close first
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void answersHeadWithoutABodyAndKeepsTheConnectionInSync() throws Exception {
        TestBackend backend = backend(TestBackend.ok("hello"));
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response head = c.readHeadResponse();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("5");

            // had the proxy sent the 5 body bytes, they would precede the next status line
            c.send("GET /g HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response get = c.readResponse();
            assertThat(get.head()).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(get.body()).isEqualTo("hello");
        }
        assertThat(backend.requests()).extracting(r -> r.method().name()).containsExactly("HEAD", "GET");
        assertThat(backend.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void forwards204And304WithoutABodyAndReusesTheConnection() throws Exception {
        TestBackend backend = backend((ctx, req) -> {
            FullHttpResponse r;
            if (req.uri().equals("/204")) {
                r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            } else if (req.uri().equals("/304")) {
                // a 304 may carry the Content-Length of the representation it stands for (RFC 9110 §8.6)
                r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
                r.headers().set(HttpHeaderNames.ETAG, "\"v1\"").set(HttpHeaderNames.CONTENT_LENGTH, 5);
            } else {
                r = TestBackend.text(HttpResponseStatus.OK, req.uri(), true);
            }
            ctx.writeAndFlush(r);
        });
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /204 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response noContent = c.readResponse();
            assertThat(noContent.head()).startsWith("HTTP/1.1 204 ");
            assertThat(noContent.header("transfer-encoding")).isNull();

            c.send("GET /304 HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawHttp.Response notModified = c.readResponse();
            assertThat(notModified.head()).startsWith("HTTP/1.1 304 ");
            assertThat(notModified.header("etag")).isEqualTo("\"v1\"");
            assertThat(notModified.header("transfer-encoding")).isNull();

            c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response after = c.readResponse();
            assertThat(after.head()).startsWith("HTTP/1.1 200 OK\r\n");
            assertThat(after.body()).isEqualTo("/after");
        }
        assertThat(backend.requestCount()).isEqualTo(3);
        assertThat(backend.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void forwardsAChunkedRequestBodyWhole() throws Exception {
        TestBackend backend = backend(HttpSemanticsIntegrationTest::echo);
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.send("5\r\nhello\r\n");
            c.send("1\r\n \r\n");
            c.send("5\r\nworld\r\n0\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("POST /upload hello world");

            // both hops still agree on where messages end
            c.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo("GET /next ");
        }
        assertThat(backend.requests().get(0).headers().get("x-test-body-length")).isEqualTo("11");
        assertThat(backend.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void forwardsAChunkedResponseChunkedAndIntact() throws Exception {
        TestBackend backend = backend(HttpSemanticsIntegrationTest::respondChunked);
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n");
                RawHttp.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("transfer-encoding")).isEqualToIgnoringCase("chunked");
                assertThat(r.header("content-length")).isNull();
                assertThat(r.body()).isEqualTo(String.join("", CHUNKS));
            }
        }
    }

    @Test
    void answersAnHttp10ClientCompletelyThenCloses() throws Exception {
        TestBackend backend = backend(TestBackend.ok("hello"));
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /old HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            // each hop's own protocol: the upstream answered in HTTP/1.1
            assertThat(r.header("via")).isEqualTo("1.1 proxy");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(seen.headers().get("via")).isEqualTo("1.0 proxy");
    }

    @Test
    void delimitsAChunkedUpstreamBodyByCloseForAnHttp10Client() throws Exception {
        TestBackend backend = backend(HttpSemanticsIntegrationTest::respondChunked);
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /stream HTTP/1.0\r\n\r\n");
            // neither Content-Length nor chunked: readResponse reads up to the close
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("transfer-encoding")).isNull();
            assertThat(r.header("content-length")).isNull();
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(r.body()).isEqualTo(String.join("", CHUNKS));
        }
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        TestBackend backend = backend(slowFirstEcho("/one"));
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /two HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /three HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo("GET /one ");
            assertThat(c.readResponse().body()).isEqualTo("GET /two ");
            assertThat(c.readResponse().body()).isEqualTo("GET /three ");
        }
        assertThat(backend.requests()).extracting(FullHttpRequest::uri).containsExactly("/one", "/two", "/three");
    }

    @Test
    void answersAPipelinedRequestWithABody() throws Exception {
        TestBackend backend = backend(slowFirstEcho("/one"));
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(c.readResponse().body()).isEqualTo("GET /one ");
            RawHttp.Response second = c.readResponse();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).isEqualTo("POST /two abc");
        }
    }

    @Test
    void rewritesThePathPrefixAndTheHost() throws Exception {
        TestBackend backend = backend(HttpSemanticsIntegrationTest::echo);
        TestProxy proxy = proxy("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    rewrite: { pathPrefix: / }
                    cluster: app
                  - name: internal
                    match: { pathPrefix: /internal/ }
                    rewrite: { host: internal.example }
                    cluster: app
                """.formatted(backend.address()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /api/users?x=1 HTTP/1.1\r\nHost: public.example\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
            FullHttpRequest rewrittenPath = backend.lastRequest();
            assertThat(rewrittenPath.uri()).isEqualTo("/users?x=1");
            assertThat(rewrittenPath.headers().get("host")).isEqualTo("public.example");

            c.send("GET /internal/status HTTP/1.1\r\nHost: Public.Example:8080\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
            FullHttpRequest rewrittenHost = backend.lastRequest();
            assertThat(rewrittenHost.uri()).isEqualTo("/internal/status");
            assertThat(rewrittenHost.headers().getAll("host")).containsExactly("internal.example");
            assertThat(rewrittenHost.headers().get("x-forwarded-host")).isEqualTo("Public.Example:8080");
        }
    }

    @Test
    void routesByWildcardHost() throws Exception {
        TestBackend wildcard = backend(TestBackend.ok("wildcard"));
        TestBackend fallback = backend(TestBackend.ok("fallback"));
        TestProxy proxy = proxy("""
                clusters:
                  - name: wildcard
                    endpoints: [ { address: %s } ]
                  - name: fallback
                    endpoints: [ { address: %s } ]
                routes:
                  - name: tenants
                    match: { host: "*.example.com", pathPrefix: / }
                    cluster: wildcard
                  - name: rest
                    match: { pathPrefix: / }
                    cluster: fallback
                """.formatted(wildcard.address(), fallback.address()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(bodyFor(c, "GET", "api.example.com", "")).isEqualTo("wildcard");
            assertThat(bodyFor(c, "GET", "API.Example.COM:8443", "")).isEqualTo("wildcard");
            assertThat(bodyFor(c, "GET", "deep.api.example.com", "")).isEqualTo("wildcard");
            assertThat(bodyFor(c, "GET", "example.com", "")).isEqualTo("fallback");
            assertThat(bodyFor(c, "GET", "notexample.com", "")).isEqualTo("fallback");
        }
        assertThat(wildcard.requests()).extracting(r -> r.headers().get("host"))
                .containsExactly("api.example.com", "API.Example.COM:8443", "deep.api.example.com");
        assertThat(fallback.requestCount()).isEqualTo(2);
    }

    @Test
    void routesByMethodAndByHeader() throws Exception {
        TestBackend special = backend(TestBackend.ok("special"));
        TestBackend fallback = backend(TestBackend.ok("fallback"));
        TestProxy proxy = proxy("""
                clusters:
                  - name: special
                    endpoints: [ { address: %s } ]
                  - name: fallback
                    endpoints: [ { address: %s } ]
                routes:
                  - name: writes
                    match: { pathPrefix: /, methods: [ POST, PUT ] }
                    cluster: special
                  - name: beta
                    match: { pathPrefix: /, headers: { x-variant: beta } }
                    cluster: special
                  - name: rest
                    match: { pathPrefix: / }
                    cluster: fallback
                """.formatted(special.address(), fallback.address()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(bodyFor(c, "GET", "a", "")).isEqualTo("fallback");
            assertThat(bodyFor(c, "POST", "a", "Content-Length: 0\r\n")).isEqualTo("special");
            assertThat(bodyFor(c, "PUT", "a", "Content-Length: 0\r\n")).isEqualTo("special");
            assertThat(bodyFor(c, "GET", "a", "x-variant: beta\r\n")).isEqualTo("special");
            assertThat(bodyFor(c, "GET", "a", "x-variant: alpha\r\n")).isEqualTo("fallback");
            assertThat(bodyFor(c, "DELETE", "a", "")).isEqualTo("fallback");
        }
        assertThat(special.requests()).extracting(r -> r.method().name()).containsExactly("POST", "PUT", "GET");
        assertThat(fallback.requests()).extracting(r -> r.method().name()).containsExactly("GET", "GET", "DELETE");
    }

    @Test
    void routesAndForwardsThePathWithDotSegmentsRemoved() throws Exception {
        TestBackend admin = backend(HttpSemanticsIntegrationTest::echo);
        TestBackend pub = backend(HttpSemanticsIntegrationTest::echo);
        TestProxy proxy = proxy("""
                clusters:
                  - name: admin
                    endpoints: [ { address: %s } ]
                  - name: public
                    endpoints: [ { address: %s } ]
                routes:
                  - name: admin
                    match: { pathPrefix: /admin }
                    cluster: admin
                  - name: public
                    match: { pathPrefix: /public }
                    cluster: public
                """.formatted(admin.address(), pub.address()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /public/../admin HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo("GET /admin ");
            c.send("GET /public/./docs/../index?q=1 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readResponse().body()).isEqualTo("GET /public/index?q=1 ");
        }
        assertThat(admin.requests()).extracting(FullHttpRequest::uri).containsExactly("/admin");
        assertThat(pub.requests()).extracting(FullHttpRequest::uri).containsExactly("/public/index?q=1");
    }

    @Test
    void splitsTrafficAcrossWeightedClusters() throws Exception {
        TestBackend major = backend(TestBackend.ok("major"));
        TestBackend minor = backend(TestBackend.ok("minor"));
        TestProxy proxy = proxy("""
                clusters:
                  - name: major
                    endpoints: [ { address: %s } ]
                  - name: minor
                    endpoints: [ { address: %s } ]
                routes:
                  - name: canary
                    match: { pathPrefix: / }
                    weightedClusters:
                      - { cluster: major, weight: 90 }
                      - { cluster: minor, weight: 10 }
                """.formatted(major.address(), minor.address()));
        int total = 2000;
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < total; i++) {
                c.send("GET /r" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(c.readResponse().status()).isEqualTo(200);
            }
        }
        // The minor count of a fair 10% split is Binomial(2000, 0.1): mean 200, standard deviation sqrt(180) ≈ 13.4.
        // [120, 280] is the mean ± 80, about ± 6 standard deviations; the exact binomial tails outside it sum to
        // about 6e-9, so a correct proxy fails this roughly once in 170 million runs, while an even split (~1000),
        // a swapped one (~1800) or an ignored weight (0 or 2000) fails every time.
        assertThat(minor.requestCount()).isBetween(120, 280);
        assertThat(major.requestCount() + minor.requestCount()).isEqualTo(total);
    }

    @Test
    void appendsToXForwardedForAndVia() throws Exception {
        TestBackend backend = backend((ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.OK, "ok", true);
            r.headers().set(HttpHeaderNames.VIA, "1.1 origin-cache");
            ctx.writeAndFlush(r);
        });
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.1.1.1\r\nVia: 1.1 edge\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("via")).isEqualTo("1.1 origin-cache, 1.1 proxy");
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().getAll("x-forwarded-for")).containsExactly("10.1.1.1, 127.0.0.1");
        assertThat(seen.headers().getAll("via")).containsExactly("1.1 edge, 1.1 proxy");
    }

    @Test
    void closesAnUpstreamConnectionThatAnsweredConnectionCloseButKeepsTheClientOne() throws Exception {
        // the backend announces the close but leaves the closing to the proxy
        TestBackend backend = backend((ctx, req) -> ctx.writeAndFlush(
                TestBackend.text(HttpResponseStatus.OK, req.uri(), !req.uri().equals("/close"))));
        TestProxy proxy = proxy(singleRoute(backend));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /close HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response first = c.readResponse();
            assertThat(first.body()).isEqualTo("/close");
            assertThat(first.header("connection")).isNull();
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);

            c.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("/next");
        }
        assertThat(backend.acceptedConnections()).isEqualTo(2);
    }

    @Test
    void answers404WhenNoRouteMatches() throws Exception {
        TestBackend backend = backend(TestBackend.ok("hello"));
        TestProxy proxy = proxy("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                """.formatted(backend.address()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /other HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.header("x-proxy-error")).isEqualTo("no_route");
            assertThat(r.body()).contains("no_route");
        }
        assertThat(backend.requestCount()).isZero();
    }

    private TestBackend backend(TestBackend.Responder responder) throws InterruptedException {
        TestBackend backend = TestBackend.http(responder);
        resources.add(backend);
        return backend;
    }

    private TestProxy proxy(String yaml) throws InterruptedException {
        TestProxy proxy = TestProxy.start(yaml);
        resources.add(proxy);
        return proxy;
    }

    private static String singleRoute(TestBackend backend) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address());
    }

    /** Sends one body-less request on {@code c} and returns the body of its 200 response. */
    private static String bodyFor(RawHttp c, String method, String host, String extraHeaders) throws Exception {
        c.send(method + " /x HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders + "\r\n");
        RawHttp.Response r = c.readResponse();
        assertThat(r.status()).as("%s %s", method, host).isEqualTo(200);
        return r.body();
    }

    /** Like {@link #echo}, but the answer to {@code slowPath} comes 100ms late, so any reordering would show. */
    private static TestBackend.Responder slowFirstEcho(String slowPath) {
        return (ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.OK, describe(req), true);
            if (req.uri().equals(slowPath)) {
                ctx.executor().schedule(() -> ctx.writeAndFlush(r), 100, TimeUnit.MILLISECONDS);
            } else {
                ctx.writeAndFlush(r);
            }
        };
    }

    /** Answers with the method, the target and the body of the request, so a test sees what arrived. */
    private static void echo(ChannelHandlerContext ctx, FullHttpRequest req) {
        ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, describe(req), HttpUtil.isKeepAlive(req)));
    }

    private static String describe(FullHttpRequest req) {
        return req.method() + " " + req.uri() + " " + req.content().toString(StandardCharsets.UTF_8);
    }

    /** A response head with {@code Transfer-Encoding: chunked}, then {@link #CHUNKS} one by one, then the end. */
    private static void respondChunked(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        ctx.write(head);
        for (String chunk : CHUNKS) {
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(chunk, StandardCharsets.UTF_8)));
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
}
