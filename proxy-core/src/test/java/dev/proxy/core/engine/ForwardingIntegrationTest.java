package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ForwardingIntegrationTest {
    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.http(TestBackend.ok("hello"));
        proxy = TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void forwardsAGetAndItsResponse() throws Exception {
        HttpResponse<String> r = proxy.get("/x?y=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello");
        assertThat(r.headers().firstValue("via")).hasValue("1.1 proxy");
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.uri()).isEqualTo("/x?y=1");
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo("127.0.0.1");
        assertThat(seen.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.headers().get("host")).isEqualTo("127.0.0.1:" + proxy.port());
    }

    @Test
    void reusesUpstreamConnectionsAcrossSequentialRequests() throws Exception {
        for (int i = 0; i < 1000; i++) {
            assertThat(proxy.get("/r" + i).statusCode()).isEqualTo(200);
        }
        assertThat(backend.requestCount()).isEqualTo(1000);
        assertThat(backend.acceptedConnections()).isLessThanOrEqualTo(2);
    }

    @Test
    void removesHopByHopHeadersIncludingThoseNamedInConnection() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-secret\r\nx-secret: 1\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Authorization: basic x\r\nTE: trailers, deflate\r\nUpgrade: h2c\r\n"
                    + "x-kept: yes\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().names()).doesNotContainAnyElementsOf(java.util.List.of(
                "connection", "Connection", "x-secret", "keep-alive", "Keep-Alive", "proxy-authorization",
                "Proxy-Authorization", "upgrade", "Upgrade"));
        assertThat(seen.headers().get("x-kept")).isEqualTo("yes");
        // TE is hop-by-hop: an HTTP/1.1 upstream gets none (an HTTP/2 one keeps "trailers", for gRPC)
        assertThat(seen.headers().getAll("te")).isEmpty();
    }

    @Test
    void overwritesForwardedProtoAndHostSoAClientCannotForgeThem() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET / HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: bank.example\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.headers().get("x-forwarded-host")).isEqualTo("shop.example");
    }

    @Test
    void sendsTheAuthorityOfAnAbsoluteFormRequestAsHostAndAnOriginFormTarget() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET http://api.example:8080/v1/items?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.uri()).isEqualTo("/v1/items?q=1");
        assertThat(seen.headers().get("host")).isEqualTo("api.example:8080");
    }

    @Test
    void givesAnHttp10RequestWithoutHostTheEndpointAsHost() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /old HTTP/1.0\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello");
        }
        assertThat(backend.lastRequest().headers().get("host")).isEqualTo(backend.address());
    }

    @Test
    void decodesPercentEncodedDotsBeforeRemovingDotSegments() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /public/%2e%2E/admin HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().uri()).isEqualTo("/admin");
    }
}
