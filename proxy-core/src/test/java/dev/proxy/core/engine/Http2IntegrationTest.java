package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import dev.proxy.core.testing.TestProxy;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 from clients through the running proxy to HTTP/1.1 upstreams: ALPN h2 over TLS with the JDK client (many
 * streams on one connection, a large body both ways, the proxy's own errors, no connection-specific headers), h2c
 * with prior knowledge beside HTTP/1.1 on one plain port, and the protections: the advertised and enforced stream
 * limit, the rapid-reset guard, and a client reset that cuts the upstream connection.
 */
class Http2IntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final AtomicInteger clientConnections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final ProxyObserver connections = new ProxyObserver() {
        @Override
        public void connectionOpened() {
            clientConnections.incrementAndGet();
        }

        @Override
        public void http2StreamOpened() {
            streams.incrementAndGet();
        }

        @Override
        public void http2StreamReset() {
            resets.incrementAndGet();
        }
    };

    /** Echoes POST bodies; {@code /app/hang} never answers; {@code /app/partial} sends a head and 16 bytes of 1 MB. */
    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request) {
        String uri = request.uri();
        if (uri.startsWith("/app/hang")) {
            return;
        }
        if (uri.startsWith("/app/partial")) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            HttpUtil.setContentLength(head, 1_000_000);
            ctx.write(head);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("0123456789abcdef", StandardCharsets.US_ASCII)));
            return;
        }
        if (request.method().name().equals("POST")) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    request.content().retainedDuplicate());
            HttpUtil.setContentLength(r, r.content().readableBytes());
            ctx.writeAndFlush(r);
            return;
        }
        ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "got " + uri, true));
    }

    /** One cluster at the backend's address ({@code %s}), routed from {@code /app}. */
    private static final String ROUTES = """
            clusters:
              - name: app
                endpoints: [ { address: %s } ]
            routes:
              - name: app
                match: { pathPrefix: /app }
                cluster: app
            """;

    private TestProxy proxy(String server, TestBackend backend) throws InterruptedException {
        return closer.keep(TestProxy.start("server:\n" + server + "\n" + ROUTES.formatted(backend.address()),
                LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, connections));
    }

    private TestProxy tlsProxy(TestBackend backend) throws Exception {
        TestCertificates ca = TestCertificates.ca(dir, "ca");
        TestCertificates.Issued cert = ca.server("proxy", "127.0.0.1");
        return proxy("""
                  tls:
                    certificates:
                      - { certificate: %s, key: %s }
                """.formatted(cert.certificate(), cert.key()), backend);
    }

    private HttpClient h2Client() throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(TestCertificates.trusting(dir.resolve("ca.crt")))
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static HttpRequest.Builder request(TestProxy proxy, String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port() + path))
                .timeout(Duration.ofSeconds(20));
    }

    @Test
    void alpnH2CarriesManyStreamsOnOneConnection() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = tlsProxy(backend);
        HttpClient client = h2Client();

        var first = client.send(request(proxy, "/app/first").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("got /app/first");
        assertThat(first.headers().firstValue("connection")).isEmpty();
        assertThat(first.headers().firstValue("keep-alive")).isEmpty();

        List<CompletableFuture<java.net.http.HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(client.sendAsync(request(proxy, "/app/n" + i).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 50; i++) {
            var r = all.get(i).get();
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.body()).isEqualTo("got /app/n" + i);
        }
        assertThat(backend.requestCount()).isEqualTo(51);
        assertThat(clientConnections.get()).isEqualTo(1);
        // the frame-to-HTTP conversion's own headers stay in the proxy
        assertThat(backend.lastRequest().headers().names()).noneMatch(n -> n.toLowerCase().startsWith("x-http2-"));
        assertThat(backend.lastRequest().headers().get(HttpHeaderNames.HOST)).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(backend.lastRequest().headers().get("x-forwarded-proto")).isEqualTo("https");
    }

    @Test
    void aLargeBodyGoesUpAndComesBackIntact() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = tlsProxy(backend);
        byte[] body = new byte[1024 * 1024];
        new Random(7).nextBytes(body);

        var r = h2Client().send(request(proxy, "/app/echo").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(body);
        assertThat(backend.lastRequest().headers().getInt("x-test-body-length")).isEqualTo(body.length);
    }

    @Test
    void theProxysOwnErrorsTravelAsHttp2() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = tlsProxy(backend);
        HttpClient client = h2Client();

        var r = client.send(request(proxy, "/elsewhere").build(), java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("x-proxy-error")).hasValue("no_route");
        assertThat(r.headers().firstValue("connection")).isEmpty();
        // the connection carries on
        var ok = client.send(request(proxy, "/app/after").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(clientConnections.get()).isEqualTo(1);
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void viaSaysTheRequestCameInHttp2AndTheResponseInHttp11() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = tlsProxy(backend);

        var r = h2Client().send(request(proxy, "/app/via").build(), java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        // each entry names the protocol its hop received the message in (RFC 9110 §7.6.3): the stream's head
        // reaches the engine as HTTP/1.1, but the client spoke HTTP/2, and the upstream answered in HTTP/1.1
        assertThat(backend.lastRequest().headers().getAll(HttpHeaderNames.VIA)).containsExactly("2 proxy");
        assertThat(r.headers().allValues("via")).containsExactly("1.1 proxy");
    }

    @Test
    void aTlsClientWithoutH2StillGetsHttp11() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = tlsProxy(backend);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(TestCertificates.trusting(dir.resolve("ca.crt"))).build();

        var r = client.send(request(proxy, "/app/one").build(), java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(r.body()).isEqualTo("got /app/one");
    }

    @Test
    void h2cWithPriorKnowledgeAndHttp11ShareThePlainPort() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("  limits: { idleTimeout: 60s }", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/app/h2c", true);
            h2.request(3, "GET", "/nowhere", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1) && h2.ended(3));
            assertThat(h2.status(1)).isEqualTo("200");
            assertThat(h2.dataBytes(1)).isEqualTo("got /app/h2c".length());
            assertThat(h2.status(3)).isEqualTo("404");
        }
        var http11 = proxy.get("/app/http11");
        assertThat(http11.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(http11.body()).isEqualTo("got /app/http11");
        assertThat(backend.requestCount()).isEqualTo(2);
    }

    @Test
    void aClientStallingInsideThePrefaceGetsTheHeaderTimeout() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("  limits: { requestHeaderTimeout: 300ms }", backend);

        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            // could still become HTTP/2 or HTTP/1.1 (a request with method PRI): the detector waits, the timer runs
            s.getOutputStream().write("PRI * HT".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("request_header_timeout");
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void aResponseCutUpstreamResetsItsStreamOnly() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/app/partial", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.dataBytes(1) == 16);

            backend.closeAllConnections();

            // the client sent its whole request, so only an explicit reset tells it the response will not end
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.resetError(1) != null);
            assertThat(h2.resetError(1)).isEqualTo(Http2Error.CANCEL.code());
            assertThat(h2.ended(1)).isFalse();
            h2.request(3, "GET", "/app/next", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(3));
            assertThat(h2.status(3)).isEqualTo("200");
        }
    }

    @Test
    void expectContinueGetsItsInterimResponseOnTheStream() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "POST", "/app/upload", false, "expect", "100-continue", "content-length", "5");
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.allStatuses(1) != null);
            assertThat(h2.allStatuses(1)).isEqualTo("100");
            h2.data(1, "hello".getBytes(StandardCharsets.US_ASCII), true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
            assertThat(h2.allStatuses(1)).isEqualTo("100,200");
            assertThat(h2.dataBytes(1)).isEqualTo(5);
        }
        assertThat(backend.lastRequest().headers().contains(HttpHeaderNames.EXPECT)).isFalse();
    }

    @Test
    void aWebSocketLookingRequestIsAnOrdinaryOneOverHttp2() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            // HTTP/2 has no Connection or Upgrade headers (the codec refuses them); the rest of a handshake is inert
            h2.request(1, "GET", "/app/ws", true, "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==",
                    "sec-websocket-version", "13");
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
            assertThat(h2.status(1)).isEqualTo("200");
        }
        assertThat(backend.lastRequest().uri()).isEqualTo("/app/ws");
        assertThat(backend.lastRequest().headers().contains(HttpHeaderNames.UPGRADE)).isFalse();
        assertThat(backend.lastRequest().headers().get(HttpHeaderNames.CONNECTION)).isNull();
    }

    @Test
    void maxConcurrentStreamsIsAdvertisedAndEnforced() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("  http2: { maxConcurrentStreams: 2, maxHeaderListSize: 8KiB }", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.serverSettings() != null);
            assertThat(h2.serverSettings().maxConcurrentStreams()).isEqualTo(2L);
            assertThat(h2.serverSettings().maxHeaderListSize()).isEqualTo(8192L);
            assertThat(h2.serverSettings().initialWindowSize()).isEqualTo(1024 * 1024);
            // the connection's window grows too (it starts at 64 KiB whatever SETTINGS say): Netty raises it by twice
            // what the stream window was raised, so one stream cannot take all of it
            await().atMost(Duration.ofSeconds(10)).untilAsserted(
                    () -> assertThat(h2.connectionWindowIncrements()).isEqualTo(2L * (1024 * 1024 - 65_535)));
            // this client ignores the limit: the third stream open at once is refused, the others are served
            h2.request(1, "GET", "/app/hang", true);
            h2.request(3, "GET", "/app/hang", true);
            h2.request(5, "GET", "/app/third", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.resetError(5) != null);
            assertThat(h2.resetError(5)).isEqualTo(Http2Error.REFUSED_STREAM.code());
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.requestCount() == 2);
            assertThat(h2.isOpen()).isTrue();
            // a finished stream frees its slot
            h2.reset(1, Http2Error.CANCEL);
            h2.request(7, "GET", "/app/fourth", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(7));
            assertThat(h2.status(7)).isEqualTo("200");
        }
    }

    @Test
    void aRapidResetFloodClosesTheConnection() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("  http2: { maxResetsPerWindow: 50, resetWindow: 30s }", backend);
        int opened = 0;

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            // batches of open-and-reset, each followed by a PING: its answer says the server has read the batch, so
            // the client stops writing as soon as the server gives up (bytes it never reads would turn its close
            // into a TCP reset, and the GOAWAY could be lost)
            while (h2.isOpen() && h2.goAwayError() < 0 && opened < 1000) {
                for (int i = 0; i < 10; i++, opened++) {
                    int id = 1 + 2 * opened;
                    h2.request(id, "GET", "/app/hang", true);
                    h2.reset(id, Http2Error.CANCEL);
                }
                h2.ping();
                h2.flush();
                long acks = opened / 10;
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> h2.pingAcks() >= acks || h2.goAwayError() >= 0 || !h2.isOpen());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> !h2.isOpen());
            assertThat(h2.goAwayError()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
        }
        // the guard trips just past 50 resets, long before the 1000 streams this client would open
        assertThat(opened).isBetween(51, 60);
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().connectionCount() == 0);
        // a stream reset in the same read as its HEADERS ends before its request is sent upstream
        assertThat(backend.requestCount()).isLessThan(opened / 2);
    }

    @Test
    void aStreamResetMidResponseClosesItsUpstreamConnectionOnly() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/app/partial", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.dataBytes(1) == 16);
            assertThat(backend.openConnections()).isEqualTo(1);

            h2.reset(1, Http2Error.CANCEL);
            h2.flush();
            // the half-read response cannot be reused: its connection is closed, not pooled
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);

            h2.request(3, "GET", "/app/next", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(3));
            assertThat(h2.status(3)).isEqualTo("200");
            assertThat(h2.isOpen()).isTrue();
            assertThat(backend.acceptedConnections()).isEqualTo(2);
            assertThat(streams.get()).isEqualTo(2);
            assertThat(resets.get()).isEqualTo(1);
        }
    }
    @Test
    void aHeaderListAboveTheLimitIsAnswered431() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(Http2IntegrationTest::respond));
        TestProxy proxy = proxy("  http2: { maxHeaderListSize: 4KiB }", backend);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            // above the limit but within 1.25 times it: beyond that Netty stops answering per stream and sends GOAWAY
            h2.request(1, "GET", "/app/big", true, "x-big", "a".repeat(4600));
            h2.request(3, "GET", "/app/small", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.status(1) != null && h2.ended(3));
            assertThat(h2.status(1)).isEqualTo("431");
            // the stream is refused, not the connection
            assertThat(h2.status(3)).isEqualTo("200");
            assertThat(backend.requestCount()).isEqualTo(1);
        }
    }

    @Test
    void drainingSendsGoAwayAndLetsOpenStreamsFinish() throws Exception {
        CompletableFuture<ChannelHandlerContext> held = new CompletableFuture<>();
        TestBackend backend = closer.keep(TestBackend.http((ctx, request) -> {
            if (request.uri().equals("/app/held")) {
                held.complete(ctx);
            } else {
                respond(ctx, request);
            }
        }));
        // not kept by the closer: this test shuts it down, and a server is shut down once
        TestProxy proxy = TestProxy.start(ROUTES.formatted(backend.address()));
        CompletableFuture<Void> shutdown = null;
        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/app/held", true);
            h2.flush();
            ChannelHandlerContext upstream = held.get(10, java.util.concurrent.TimeUnit.SECONDS);
            shutdown = CompletableFuture.runAsync(
                    () -> proxy.server().shutdown(Duration.ofSeconds(20)));

            await().atMost(Duration.ofSeconds(10)).until(() -> h2.goAwayError() >= 0);
            assertThat(h2.goAwayError()).isEqualTo(Http2Error.NO_ERROR.code());
            assertThat(shutdown).isNotDone();
            upstream.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "late", true));

            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
            assertThat(h2.status(1)).isEqualTo("200");
            assertThat(h2.dataBytes(1)).isEqualTo(4);
            shutdown.get(20, java.util.concurrent.TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> !h2.isOpen());
        } finally {
            if (shutdown == null) {
                proxy.close();
            }
        }
    }
}
