package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** HTTP/1.1 framing edges over raw sockets: Content-Length lists, TE, and request-line versions. */
class FramingEdgesIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestBackend backend;

    private TestProxy proxy() throws Exception {
        backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address())));
    }

    @Test
    void answers400AndClosesOnAContentLengthListOfDifferentValues() throws Exception {
        TestProxy proxy = proxy();
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!")
                    .readResponse();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("x-proxy-error")).isEqualTo("bad_request");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void collapsesAContentLengthListOfIdenticalValues() throws Exception {
        TestProxy proxy = proxy();
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello")
                    .readResponse();
            assertThat(r.status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().get(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo("5");
    }

    @Test
    void doesNotForwardTeTrailersToAnHttp1Upstream() throws Exception {
        TestProxy proxy = proxy();
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(c.send("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: TE\r\n\r\n").readResponse()
                    .status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().contains(HttpHeaderNames.TE)).isFalse();
    }

    @Test
    void answers505ToARequestLineWithAnotherVersion() throws Exception {
        TestProxy proxy = proxy();
        for (String version : new String[] {"HTTP/2.0", "HTTP/3.1"}) {
            try (RawHttp c = new RawHttp(proxy.port())) {
                RawHttp.Response r = c.send("GET / " + version + "\r\nHost: a\r\n\r\n").readResponse();
                assertThat(r.status()).as(version).isEqualTo(505);
                assertThat(c.isClosedByPeer()).isTrue();
            }
        }
        assertThat(backend.requestCount()).isZero();
    }
}
