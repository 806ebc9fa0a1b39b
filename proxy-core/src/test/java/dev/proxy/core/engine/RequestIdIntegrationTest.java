package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code X-Request-Id} through the real proxy: generated, sent upstream, echoed, kept only when trusted. */
class RequestIdIntegrationTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void givesEachRequestANewIdSentUpstreamAndEchoed() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy("", backend);
        List<String> ids = new ArrayList<>();
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 2; i++) {
                // by default a client's id is not believed: it could pose as another request in the logs
                c.send("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: forged\r\n\r\n");
                RawHttp.Response r = c.readResponse();
                assertThat(r.status()).isEqualTo(200);
                String id = r.header("x-request-id");
                assertThat(UUID.fromString(id).version()).isEqualTo(4);
                FullHttpRequest seen = backend.lastRequest();
                assertThat(seen.headers().getAll("x-request-id")).containsExactly(id);
                // the route's edit reads the same id
                assertThat(seen.headers().get("x-trace-note")).isEqualTo("id=" + id);
                ids.add(id);
            }
        }
        assertThat(ids).doesNotHaveDuplicates().doesNotContain("forged");
    }

    @Test
    void keepsAWellFormedClientIdWhenTrustedAndReplacesAMalformedOne() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy("""
                server:
                  requestId: { trustClient: true }
                """, backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: from-the-edge-42\r\n\r\n");
            RawHttp.Response kept = c.readResponse();
            assertThat(kept.header("x-request-id")).isEqualTo("from-the-edge-42");
            assertThat(backend.lastRequest().headers().get("x-request-id")).isEqualTo("from-the-edge-42");

            c.send("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: <script>\r\n\r\n");
            RawHttp.Response replaced = c.readResponse();
            assertThat(UUID.fromString(replaced.header("x-request-id")).version()).isEqualTo(4);
            assertThat(backend.lastRequest().headers().get("x-request-id")).isEqualTo(replaced.header("x-request-id"));
        }
    }

    @Test
    void theProxysOwnAnswersCarryTheIdToo() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy("", backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(404);
            assertThat(UUID.fromString(r.header("x-request-id")).version()).isEqualTo(4);
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void offPassesTheClientsHeaderUntouchedAndEchoesNothing() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy("""
                server:
                  requestId: { enabled: false }
                """, backend);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /api/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: client-7\r\n\r\n");
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-request-id")).isNull();
        }
        assertThat(backend.lastRequest().headers().getAll("x-request-id")).containsExactly("client-7");
    }

    private TestBackend backend() throws InterruptedException {
        TestBackend backend = TestBackend.http(TestBackend.ok("ok"));
        resources.add(backend);
        return backend;
    }

    private TestProxy proxy(String server, TestBackend backend) throws InterruptedException {
        TestProxy proxy = TestProxy.start(server + """
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                    headers:
                      request:
                        set: { x-trace-note: "id=${request_id}" }
                """.formatted(backend.address()));
        resources.add(proxy);
        return proxy;
    }
}
