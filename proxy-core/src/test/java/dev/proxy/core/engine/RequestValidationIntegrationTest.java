package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed, ambiguous and oversized requests sent over raw sockets through the real proxy: each is answered by the
 * proxy itself with the stated status and {@code x-proxy-error}, never reaches the backend, and (where the framing
 * of what follows cannot be trusted) costs the client its connection.
 */
class RequestValidationIntegrationTest {
    private static final String CONFIG = """
            server:
              limits: { maxHeaderSize: 4KiB, maxRequestLineSize: 1KiB }
            clusters:
              - name: app
                endpoints: [ { address: %s } ]
            routes:
              - name: api
                match: { pathPrefix: /api/ }
                cluster: app
                maxBodySize: 1KiB
            """;
    private static final int MAX_BODY = 1024;

    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        // echoes the path and the body length, so a test can tell which request got through
        backend = TestBackend.http((ctx, req) -> ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK,
                req.uri() + " " + req.content().readableBytes(), HttpUtil.isKeepAlive(req))));
        proxy = TestProxy.start(CONFIG.formatted(backend.address()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void rejectsContentLengthTogetherWithChunkedTransferEncoding() throws Exception {
        // the classic CL.TE smuggling probe: a front end using Content-Length and a back end using chunked
        // would disagree on where the second request starts
        assertRejectedAndClosed("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 41\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /api/smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsTwoDifferentContentLengths() throws Exception {
        assertRejectedAndClosed("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
                + "\r\nhello!", 400, "bad_request");
    }

    @Test
    void rejectsATransferEncodingWhoseFinalCodingIsNotChunked() throws Exception {
        assertRejectedAndClosed("POST /api/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"
                + "GET /api/smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
        assertRejectedAndClosed("POST /api/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
                + "0\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsAnInvalidHeaderName() throws Exception {
        assertRejectedAndClosed("GET /api/x HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsAHeaderValueWithAControlCharacter() throws Exception {
        assertRejectedAndClosed("GET /api/x HTTP/1.1\r\nHost: a\r\nx-note: a\u0001b\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsABareLineFeedInTheHead() throws Exception {
        assertRejectedAndClosed("GET /api/x HTTP/1.1\r\nHost: a\nx-note: 1\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsAnHttp11RequestWithoutHost() throws Exception {
        assertRejectedAndClosed("GET /api/x HTTP/1.1\r\nx-note: 1\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsTwoHostHeaders() throws Exception {
        assertRejectedAndClosed("GET /api/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request");
    }

    @Test
    void rejectsARequestTargetThatIsNotAnAbsolutePath() throws Exception {
        assertRejectedAndClosed("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
    }

    @Test
    void answers431WhenTheHeaderSectionExceedsMaxHeaderSize() throws Exception {
        StringBuilder request = new StringBuilder("GET /api/x HTTP/1.1\r\nHost: a\r\n");
        // 40 fields of about 130 bytes: no single line is huge, the section as a whole is over 4KiB
        for (int i = 0; i < 40; i++) {
            request.append("x-filler-").append(i).append(": ").append("v".repeat(115)).append("\r\n");
        }
        request.append("\r\n");
        assertThat(request.length()).isGreaterThan(5000);
        assertRejectedAndClosed(request.toString(), 431, "headers_too_large");
    }

    @Test
    void answers414WhenTheRequestLineExceedsMaxRequestLineSize() throws Exception {
        assertRejectedAndClosed("GET /api/" + "a".repeat(2000) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                414, "uri_too_long");
    }

    @Test
    void answers413ForADeclaredContentLengthAboveMaxBodySizeWithoutForwardingTheBody() throws Exception {
        // a body too large to be worth reading and dropping: the proxy answers at once and closes
        assertRejectedAndClosed("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n\r\n"
                + "x".repeat(512), 413, "body_too_large");
    }

    @Test
    void dropsASmallRejectedBodyAndKeepsTheConnection() throws Exception {
        // ProxyExchange.DISCARD_LIMIT: a rejected body of at most 64KiB still to come is read and dropped
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000));
            RawHttp.Response rejected = c.readResponse();
            assertThat(rejected.status()).isEqualTo(413);
            assertThat(rejected.header("x-proxy-error")).isEqualTo("body_too_large");
            assertThat(rejected.header("connection")).isNull();

            c.send("GET /api/after HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("/api/after 0");
        }
        assertThat(backend.requests()).extracting(FullHttpRequest::uri).containsExactly("/api/after");
    }

    @Test
    void forwardsABodyOfExactlyMaxBodySize() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + MAX_BODY + "\r\n\r\n"
                    + "x".repeat(MAX_BODY));
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("/api/upload " + MAX_BODY);
        }
    }

    @Test
    void answers413WhenAChunkedBodyGrowsPastMaxBodySize() throws Exception {
        // sent at once: the limit is crossed while the upstream connection may still be being leased; either way no
        // response byte has been written yet, so ProxyExchange.fail answers 413 and, the body's end being unknown,
        // closes the client connection
        String chunk = "x".repeat(512);
        StringBuilder request = new StringBuilder("POST /api/upload HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 3; i++) {
            request.append("200\r\n").append(chunk).append("\r\n");
        }
        request.append("0\r\n\r\n");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(request.toString());
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.header("x-proxy-error")).isEqualTo("body_too_large");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void answers413AndCutsTheUpstreamWhenAForwardedChunkedBodyGrowsPastMaxBodySize() throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (TestBackend recorder = recordingBackend(received, null);
             TestProxy recorderProxy = TestProxy.start(CONFIG.formatted(recorder.address()));
             RawHttp c = new RawHttp(recorderProxy.port())) {
            // exactly maxBodySize in the first chunk: allowed, and forwarded before the rest is sent
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "400\r\n" + "a".repeat(MAX_BODY) + "\r\n");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> textOf(received).contains("a".repeat(MAX_BODY)));

            // one byte more is over the limit; no response byte has reached the client yet, so it still gets a 413
            c.send("10\r\n" + "b".repeat(16) + "\r\n0\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.header("x-proxy-error")).isEqualTo("body_too_large");
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(c.isClosedByPeer()).isTrue();

            // the half-sent upstream request is abandoned by closing its connection, never completed
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.openConnections() == 0);
            String upstream = textOf(received);
            int headEnd = upstream.indexOf("\r\n\r\n") + 4;
            assertThat(upstream.substring(0, headEnd)).startsWith("POST /api/upload HTTP/1.1\r\n")
                    .containsIgnoringCase("transfer-encoding: chunked\r\n");
            assertThat(upstream.substring(headEnd)).startsWith("400\r\n")
                    .doesNotContain("b")
                    .doesNotContain("\r\n0\r\n\r\n");
        }
    }

    @Test
    void cutsTheStartedResponseWhenAChunkedBodyGrowsPastMaxBodySize() throws Exception {
        // the upstream answers before the request body has ended (as a server may); once response bytes have
        // reached the client a 413 can no longer be sent, so ProxyExchange.fail closes the client connection
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (TestBackend recorder = recordingBackend(received,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
             TestProxy recorderProxy = TestProxy.start(CONFIG.formatted(recorder.address()));
             RawHttp c = new RawHttp(recorderProxy.port())) {
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "400\r\n" + "a".repeat(MAX_BODY) + "\r\n");
            RawHttp.Response started = c.readHeadResponse();
            assertThat(started.status()).isEqualTo(200);
            assertThat(started.header("transfer-encoding")).isEqualToIgnoringCase("chunked");
            byte[] firstChunk = c.input().readNBytes(10);
            assertThat(new String(firstChunk, StandardCharsets.ISO_8859_1)).isEqualTo("5\r\nhello\r\n");

            c.send("10\r\n" + "b".repeat(16) + "\r\n0\r\n\r\n");
            // no last chunk and no stray bytes: the response is visibly cut
            assertThat(c.isClosedByPeer()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.openConnections() == 0);
            String upstream = textOf(received);
            assertThat(upstream.substring(upstream.indexOf("\r\n\r\n") + 4)).doesNotContain("b");
        }
    }

    @Test
    void answers100ContinueThenForwardsTheBodyWithoutTheExpectation() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response interim = c.readResponse();
            assertThat(interim.head()).startsWith("HTTP/1.1 100 Continue\r\n");

            c.send("hello world");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("/api/upload 11");
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("x-test-body-length")).isEqualTo("11");
        assertThat(seen.headers().contains("expect")).isFalse();
    }

    @Test
    void answers417ToAnUnknownExpectation() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /api/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\n"
                    + "hello");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(417);
            assertThat(r.header("x-proxy-error")).isEqualTo("expectation_failed");

            // the short body was read and dropped, so the connection stays in sync and usable
            c.send("GET /api/after HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("/api/after 0");
        }
        assertThat(backend.requests()).extracting(FullHttpRequest::uri).containsExactly("/api/after");
    }

    @Test
    void servesAValidRequestAfterANoRoute404OnTheSameConnection() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /elsewhere HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response notFound = c.readResponse();
            assertThat(notFound.status()).isEqualTo(404);
            assertThat(notFound.header("x-proxy-error")).isEqualTo("no_route");
            assertThat(notFound.header("connection")).isNull();

            c.send("GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response ok = c.readResponse();
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("/api/x 0");
        }
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    /**
     * Sends {@code request} on a new connection and expects the proxy's own error response, then the connection
     * closed by the proxy, and no trace of the request (or anything smuggled in it) at the backend.
     */
    private void assertRejectedAndClosed(String request, int status, String reason) throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(request);
            RawHttp.Response r = c.readResponse();
            assertThat(r).as("a response to %s", request).isNotNull();
            assertThat(r.status()).isEqualTo(status);
            assertThat(r.header("x-proxy-error")).isEqualTo(reason);
            assertThat(r.header("connection")).isEqualToIgnoringCase("close");
            assertThat(c.isClosedByPeer()).as("closed by the proxy").isTrue();
        }
        assertThat(backend.requestCount()).isZero();
        assertThat(backend.acceptedConnections()).isZero();
    }

    /**
     * A backend without an HTTP codec that keeps every byte it receives in {@code received} and, if
     * {@code answer} is not null, writes it once when the first bytes of a connection arrive.
     */
    private static TestBackend recordingBackend(ByteArrayOutputStream received, String answer)
            throws InterruptedException {
        return TestBackend.raw(p -> p.addLast(new ChannelInboundHandlerAdapter() {
            private boolean answered;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                try {
                    synchronized (received) {
                        byte[] bytes = new byte[buf.readableBytes()];
                        buf.readBytes(bytes);
                        received.writeBytes(bytes);
                    }
                } finally {
                    buf.release();
                }
                if (answer != null && !answered) {
                    answered = true;
                    ctx.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.ISO_8859_1));
                }
            }
        }));
    }

    private static String textOf(ByteArrayOutputStream received) {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
