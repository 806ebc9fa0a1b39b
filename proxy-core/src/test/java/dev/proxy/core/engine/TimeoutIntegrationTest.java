package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.upstream.PoolStats;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each timeout of the request path, hit by a real slow peer, answers with its own status and reason. */
class TimeoutIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(String endpoint, String clusterExtra, String routeExtra, String server)
            throws InterruptedException {
        return closer.keep(TestProxy.start("""
                server:
                %s
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                %s
                """.formatted(server, endpoint, clusterExtra, routeExtra)));
    }

    private static PoolStats pool(TestProxy proxy) {
        return proxy.server().snapshot().clusters().get("b").poolStats();
    }

    /** A backend that reads requests and never answers. */
    private TestBackend silentBackend() throws InterruptedException {
        return closer.keep(TestBackend.http((ctx, req) -> { }));
    }

    /** A backend that sends a response head and the first bytes of a 1 MB body, then stalls. */
    private TestBackend stallingMidBodyBackend() throws InterruptedException {
        return closer.keep(TestBackend.http((ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest req) -> {
            DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1_000_000);
            ctx.write(head);
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("partial", StandardCharsets.US_ASCII)));
        }));
    }

    @Test
    void answers504WhenTheUpstreamDoesNotSendAResponseHead() throws Exception {
        TestBackend backend = silentBackend();
        TestProxy proxy = proxy(backend.address(), "    timeouts: { responseHeader: 300ms }", "", "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.header("x-proxy-error")).isEqualTo("upstream_response_timeout");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0 && backend.openConnections() == 0);
    }

    @Test
    void answers504WhenTheRouteDeadlinePassesFirst() throws Exception {
        TestBackend backend = silentBackend();
        TestProxy proxy = proxy(backend.address(), "    timeouts: { responseHeader: 30s }", "    timeout: 300ms", "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.header("x-proxy-error")).isEqualTo("route_timeout");
            // a request that timed out before its response keeps the client connection usable
            assertThat(c.isClosedByPeer()).isFalse();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0);
    }

    @Test
    void cutsTheClientConnectionWhenTheDeadlinePassesMidResponse() throws Exception {
        TestBackend backend = stallingMidBodyBackend();
        TestProxy proxy = proxy(backend.address(), "", "    timeout: 400ms", "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /stall HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response head = c.readHeadResponse();
            assertThat(head.status()).isEqualTo(200);
            byte[] partial = c.input().readNBytes(7);
            assertThat(new String(partial, StandardCharsets.US_ASCII)).isEqualTo("partial");
            // the response was cut, so the proxy must close rather than pretend it ended
            assertThat(c.input().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0 && backend.openConnections() == 0);
    }

    @Test
    void closesBothSidesWhenTheUpstreamGoesIdleMidBody() throws Exception {
        TestBackend backend = stallingMidBodyBackend();
        TestProxy proxy = proxy(backend.address(), "    timeouts: { idle: 300ms }", "    timeout: 30s", "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /stall HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readHeadResponse().status()).isEqualTo(200);
            c.input().readNBytes(7);
            assertThat(c.input().read()).isEqualTo(-1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0 && backend.openConnections() == 0);
    }

    @Test
    void answers408ToAClientThatSendsItsHeadTooSlowly() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        TestProxy proxy = proxy(backend.address(), "", "", "  limits: { requestHeaderTimeout: 300ms }");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.header("x-proxy-error")).isEqualTo("request_header_timeout");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void keepsAnIdleKeepAliveConnectionUntilTheIdleTimeoutThenClosesIt() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        TestProxy proxy = proxy(backend.address(), "", "",
                "  limits: { requestHeaderTimeout: 10s, idleTimeout: 400ms }");
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(200);
            c.setReadTimeoutMillis(5000);
            assertThat(c.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void answers408WhenTheClientStopsSendingItsBody() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        TestProxy proxy = proxy(backend.address(), "", "", "  limits: { idleTimeout: 400ms }");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.header("x-proxy-error")).isEqualTo("client_body_timeout");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0 && backend.openConnections() == 0);
    }

    @Test
    void answers502WhenTheUpstreamRefusesTheConnection() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TestProxy proxy = proxy("127.0.0.1:" + port, "", "", "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("x-proxy-error")).isEqualTo("upstream_connect_failure");
        }
        assertThat(pool(proxy).open()).isZero();
    }

    @Test
    void answers504WhenTheUpstreamDoesNotCompleteTheHandshake() throws Exception {
        // A listener that never accepts, with its accept queue filled: the kernel drops further SYNs, so a connect
        // hangs as it would towards a host that went away.
        ServerSocket full = closer.keep(new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()));
        List<Socket> fillers = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                fillers.add(s);
                try {
                    s.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()), 200);
                } catch (IOException e) {
                    break;
                }
            }
            TestProxy proxy = proxy("127.0.0.1:" + full.getLocalPort(), "    timeouts: { connect: 300ms }", "", "");
            try (RawHttp c = new RawHttp(proxy.port())) {
                RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertThat(r.status()).isEqualTo(504);
                assertThat(r.header("x-proxy-error")).isEqualTo("upstream_connect_timeout");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> pool(proxy).open() == 0);
        } finally {
            for (Socket s : fillers) {
                s.close();
            }
        }
    }
}
