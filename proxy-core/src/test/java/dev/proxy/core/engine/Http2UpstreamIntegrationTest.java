package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.ProxyError;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import dev.proxy.core.testing.TestProxy;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 to upstreams ({@code protocol: h2}): h2c with prior knowledge, and over TLS with ALPN; {@code Via} naming
 * each hop's protocol.
 */
class Http2UpstreamIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    /** Echoes the request body, and says which protocol the request came in on. */
    private static final TestBackend.Responder ECHO = (ctx, req) -> {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer(req.content()));
        r.headers().set("x-stream", req.headers().get("x-http2-stream-id", "none"));
        r.headers().set("x-scheme", req.headers().get("x-http2-scheme", "none"));
        HttpUtil.setContentLength(r, r.content().readableBytes());
        ctx.writeAndFlush(r);
    };

    private TestProxy proxy(String cluster) throws InterruptedException {
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(cluster.indent(4))));
    }

    @Test
    void requestsGoOverOneCleartextHttp2ConnectionStreamAfterStream() throws Exception {
        TestBackend backend = closer.keep(TestBackend.h2(null, ECHO));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                """.formatted(backend.address()));

        String previous = "";
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString("body " + i)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("body " + i);
            String stream = r.headers().firstValue("x-stream").orElseThrow();
            assertThat(stream).as("an HTTP/2 stream id").isNotEqualTo("none").isNotEqualTo(previous);
            assertThat(r.headers().firstValue("x-scheme")).hasValue("http");
            previous = stream;
        }
        assertThat(backend.acceptedConnections()).as("one connection, a stream per request").isEqualTo(1);
        assertThat(backend.lastRequest().headers().get("x-forwarded-for")).isEqualTo("127.0.0.1");
    }

    @Test
    void viaTellsTheClientTheUpstreamAnsweredInHttp2() throws Exception {
        TestBackend backend = closer.keep(TestBackend.h2(null, ECHO));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                """.formatted(backend.address()));

        HttpResponse<String> r = proxy.get("/via");

        assertThat(r.statusCode()).isEqualTo(200);
        // the stream's response reaches the engine as HTTP/1.1; the cluster's protocol says what it came in
        assertThat(r.headers().allValues("via")).containsExactly("2 proxy");
        assertThat(backend.lastRequest().headers().getAll(HttpHeaderNames.VIA)).containsExactly("1.1 proxy");
    }

    @Test
    void viaSaysHttp2OnBothHopsWhenBothSpeakIt() throws Exception {
        TestBackend backend = closer.keep(TestBackend.h2(null, ECHO));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                """.formatted(backend.address()));

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/via", true, "via", "1.1 edge");
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
            assertThat(h2.status(1)).isEqualTo("200");
            assertThat(h2.responseHeaders(1).getAll("via")).extracting(CharSequence::toString)
                    .containsExactly("2 proxy");
        }
        assertThat(backend.lastRequest().headers().getAll(HttpHeaderNames.VIA)).containsExactly("1.1 edge, 2 proxy");
    }

    @Test
    void aLargeBodyGoesThroughWhole() throws Exception {
        TestBackend backend = closer.keep(TestBackend.h2(null, ECHO));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                """.formatted(backend.address()));
        byte[] body = new byte[3 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + i / 7);
        }
        HttpResponse<byte[]> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/big"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Arrays.equals(r.body(), body)).as("the 3 MiB body, byte for byte").isTrue();
    }

    @Test
    void overTlsTheProtocolIsAgreedInTheHandshake() throws Exception {
        TestCertificates ca = TestCertificates.ca(dir, "ca");
        TestCertificates.Issued cert = ca.server("h2", "backend.internal");
        SslContext h2 = SslContextBuilder.forServer(cert.certificate().toFile(), cert.key().toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        TestBackend secure = closer.keep(TestBackend.h2(h2, ECHO));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                tls: { trustedCa: %s, serverName: backend.internal }
                """.formatted(secure.address(), ca.caFile()));

        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/tls"))
                .POST(HttpRequest.BodyPublishers.ofString("over h2 and tls")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.headers().firstValue("x-proxy-error").orElse("")).isEqualTo(200);
        assertThat(r.body()).isEqualTo("over h2 and tls");
        assertThat(r.headers().firstValue("x-scheme")).hasValue("https");
    }

    @Test
    void anUpstreamThatSpeaksOnlyHttp1IsAGatewayError() throws Exception {
        TestBackend http1 = closer.keep(TestBackend.http(TestBackend.ok("http/1.1 only")));
        TestProxy proxy = proxy("""
                endpoints: [ { address: %s } ]
                protocol: h2
                timeouts: { responseHeader: 5s }
                """.formatted(http1.address()));

        HttpResponse<String> r = proxy.get("/x");
        assertThat(r.statusCode()).isBetween(502, 504);
        assertThat(r.headers().firstValue("x-proxy-error")).isPresent()
                .hasValueSatisfying(reason -> assertThat(reason).isIn(ProxyError.UPSTREAM_RESET.reason(),
                        ProxyError.UPSTREAM_BAD_RESPONSE.reason(), ProxyError.UPSTREAM_RESPONSE_TIMEOUT.reason()));
    }
}
