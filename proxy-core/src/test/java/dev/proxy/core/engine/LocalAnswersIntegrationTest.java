package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Routes that answer by themselves, through the real proxy on loopback: redirects and direct responses, written
 * without any upstream, on a connection that stays usable.
 */
class LocalAnswersIntegrationTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.http(TestBackend.ok("upstream"));
        resources.add(backend);
        proxy = TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: to-https
                    match: { host: shop.example }
                    redirect: { scheme: https }
                  - name: moved
                    match: { pathPrefix: /old/ }
                    redirect: { host: new.example, port: 8443, prefixRewrite: /new/, status: 308 }
                  - name: maintenance
                    match: { pathPrefix: /down }
                    directResponse: { status: 503, body: "<h1>back soon</h1>", contentType: text/html }
                    headers:
                      response:
                        set: { cache-control: no-store, retry-after: "120" }
                        remove: [ x-request-id ]
                  - name: rest
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address()));
        resources.add(proxy);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void redirectsToHttpsKeepingHostPathAndQueryButNotThePlainPort() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /a/../cart?item=7 HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(301);
            assertThat(r.header("location")).isEqualTo("https://shop.example/cart?item=7");
            assertThat(r.header("content-length")).isEqualTo("0");
            assertThat(r.header("x-request-id")).isNotNull();

            // the connection stays usable, and the next route still forwards
            c.send("GET /x HTTP/1.1\r\nHost: other.example\r\n\r\n");
            RawHttp.Response next = c.readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("upstream");
        }
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void rewritesTheMatchedPrefixWithTheGivenHostPortAndStatus() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /old/docs/1?lang=en HTTP/1.1\r\nHost: a.example\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(308);
            assertThat(r.header("location")).isEqualTo("http://new.example:8443/new/docs/1?lang=en");
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void answersWithTheDirectResponseAndTheRoutesResponseEdits() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /down HTTP/1.1\r\nHost: a.example\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body()).isEqualTo("<h1>back soon</h1>");
            assertThat(r.header("content-type")).isEqualTo("text/html");
            assertThat(r.header("content-length")).isEqualTo("18");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.header("retry-after")).isEqualTo("120");
            assertThat(r.header("x-proxy-error")).isNull();
            // the id is echoed before the route's response edits, which may remove it
            assertThat(r.header("x-request-id")).isNull();

            c.send("HEAD /down HTTP/1.1\r\nHost: a.example\r\n\r\n");
            RawHttp.Response head = c.readHeadResponse();
            assertThat(head.status()).isEqualTo(503);
            assertThat(head.header("content-length")).isEqualTo("18");

            // a small body the route never reads is dropped, and the connection carries on
            c.send("POST /down HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.readResponse().body()).isEqualTo("<h1>back soon</h1>");
            c.send("GET /down HTTP/1.1\r\nHost: a.example\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(503);
        }
        assertThat(backend.requestCount()).isZero();
        assertThat(backend.acceptedConnections()).isZero();
    }

    @Test
    void answersHttp2StreamsWithoutConnectionHeaders() throws Exception {
        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/old/a?b=c", true);
            h2.request(3, "GET", "/down", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1) && h2.ended(3));
            assertThat(h2.status(1)).isEqualTo("308");
            assertThat(h2.responseHeaders(1).get("location").toString())
                    .isEqualTo("http://new.example:8443/new/a?b=c");
            assertThat(h2.status(3)).isEqualTo("503");
            assertThat(h2.dataBytes(3)).isEqualTo("<h1>back soon</h1>".length());
            assertThat(h2.responseHeaders(3).get("cache-control").toString()).isEqualTo("no-store");
            assertThat(h2.responseHeaders(3).contains("connection")).isFalse();
            assertThat(h2.isOpen()).isTrue();
        }
        assertThat(backend.requestCount()).isZero();
    }
}
