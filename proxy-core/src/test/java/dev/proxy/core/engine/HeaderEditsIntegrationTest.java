package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A route's {@code headers} edits through the real proxy on loopback: what the upstream receives, what the client
 * receives, their order against the proxy's own header rules, and that a route without edits is left alone.
 */
class HeaderEditsIntegrationTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void editsTheRequestSentUpstreamBeforeTheForwardingHeaders() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /api/x HTTP/1.1\r\nHost: Shop.Example:8443\r\nX-Debug: 1\r\nX-Env: dev\r\nX-Tag: client\r\n"
                    + "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().getAll("x-env")).containsExactly("prod");
        assertThat(seen.headers().get("x-client")).isEqualTo("ip=127.0.0.1 route=api");
        assertThat(seen.headers().get("x-original-host")).isEqualTo("Shop.Example:8443");
        assertThat(seen.headers().getAll("x-tag")).containsExactly("client", "proxy");
        assertThat(seen.headers().contains("x-debug")).isFalse();
        // the client's chain was removed by the edit, then the proxy wrote its own entry
        assertThat(seen.headers().getAll("x-forwarded-for")).containsExactly("127.0.0.1");
        // the proxy's own rules still run after the edits: a client cannot forge these
        assertThat(seen.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.headers().get(HttpHeaderNames.HOST)).isEqualTo("app.internal");
        assertThat(seen.headers().get("via")).isEqualTo("1.1 proxy");
    }

    @Test
    void editsTheResponseBeforeViaAndKeepsItsFraming() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /api/y HTTP/1.1\r\nHost: shop.example\r\n\r\n");
                RawHttp.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("/api/y");
                assertThat(r.header("server")).isNull();
                assertThat(r.header("cache-control")).isEqualTo("no-store");
                assertThat(r.head()).containsIgnoringCase("x-served-by: api\r\n");
                assertThat(r.head()).contains("x-served-by: backend\r\n");
                assertThat(r.header("via")).isEqualTo("1.1 proxy");
                assertThat(r.header("content-length")).isEqualTo("6");
            }
        }
        // both answers on one client connection and one upstream connection: the edits left the framing alone
        assertThat(backend.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void aRouteWithoutEditsLeavesTheHeadersAlone() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /plain HTTP/1.1\r\nHost: shop.example\r\nX-Debug: 1\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("server")).isEqualTo("backend/1.0");
            assertThat(r.header("cache-control")).isNull();
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("x-debug")).isEqualTo("1");
        assertThat(seen.headers().contains("x-env")).isFalse();
    }

    @Test
    void editsAnHttp2StreamsRequestAndResponseToo() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend);
        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/api/h2", true, "x-debug", "1", "x-tag", "client");
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
            assertThat(h2.status(1)).isEqualTo("200");
            assertThat(h2.responseHeaders(1).get("cache-control").toString()).isEqualTo("no-store");
            assertThat(h2.responseHeaders(1).contains("server")).isFalse();
            assertThat(h2.responseHeaders(1).getAll("x-served-by")).extracting(CharSequence::toString)
                    .containsExactly("backend", "api");
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("x-env")).isEqualTo("prod");
        assertThat(seen.headers().get("x-original-host")).isEqualTo("test");
        assertThat(seen.headers().getAll("x-tag")).containsExactly("client", "proxy");
        assertThat(seen.headers().contains("x-debug")).isFalse();
        assertThat(seen.headers().get("via")).isEqualTo("2 proxy");
    }

    private TestBackend backend() throws InterruptedException {
        TestBackend backend = TestBackend.http((ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.OK, req.uri(), true);
            r.headers().set(HttpHeaderNames.SERVER, "backend/1.0").add("x-served-by", "backend");
            ctx.writeAndFlush(r);
        });
        resources.add(backend);
        return backend;
    }

    private TestProxy proxy(TestBackend backend) throws InterruptedException {
        TestProxy proxy = TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                    rewrite: { host: app.internal }
                    headers:
                      request:
                        set: { X-Env: prod, x-client: "ip=${client_ip} route=${route}", x-original-host: "${host}" }
                        add: { x-tag: proxy }
                        remove: [ x-debug, x-forwarded-for ]
                      response:
                        set: { cache-control: no-store }
                        add: { x-served-by: "${route}" }
                        remove: [ Server ]
                  - name: plain
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address()));
        resources.add(proxy);
        return proxy;
    }
}
