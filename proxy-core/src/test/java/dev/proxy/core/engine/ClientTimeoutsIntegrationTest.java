package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import dev.proxy.core.testing.TestProxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client connections that hold a slot and say nothing, over raw sockets: each is answered or closed by the request
 * header timeout (or the TLS handshake timeout), never left to the much longer idle timeout. The idle timeout is a
 * minute and the sockets' read timeout 30 s, so a close seen here can only come from the shorter timer.
 */
class ClientTimeoutsIntegrationTest {
    private static final int READ_TIMEOUT_MILLIS = 30_000;

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    private TestProxy proxy(String server) throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        return closer.keep(TestProxy.start("""
                server:
                %s
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(server, backend.address())));
    }

    private static final String LIMITS = "  limits: { requestHeaderTimeout: 300ms, idleTimeout: 60s, tlsHandshakeTimeout: 300ms }";

    /** Everything the server sends until it closes; fails if it does not close within the read timeout. */
    private static String readToClose(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was not closed; read so far: " + out, e);
        } catch (IOException e) {
            // a reset after the answer is a close too
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void answers408AndClosesAConnectionThatSendsNothing() throws Exception {
        TestProxy proxy = proxy(LIMITS);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.setReadTimeoutMillis(READ_TIMEOUT_MILLIS);
            String answer = readToClose(c.input());
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("x-proxy-error: request_header_timeout");
        }
    }

    @Test
    void answers408AndClosesAConnectionThatSendsNothingWithHttp2Off() throws Exception {
        TestProxy proxy = proxy(LIMITS + "\n  http2: { enabled: false }");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.setReadTimeoutMillis(READ_TIMEOUT_MILLIS);
            assertThat(readToClose(c.input())).startsWith("HTTP/1.1 408 ");
        }
    }

    @Test
    void closesAnHttp2ConnectionThatNeverSendsItsSettings() throws Exception {
        TestProxy proxy = proxy(LIMITS);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.setReadTimeoutMillis(READ_TIMEOUT_MILLIS);
            // the preface alone: the proxy answers with its own SETTINGS, then waits for the client's
            c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            String got = readToClose(c.input());
            assertThat(got).doesNotContain("HTTP/1.1");
        }
    }

    @Test
    void keepsAConnectionThatSendsItsFirstRequestInTime() throws Exception {
        TestProxy proxy = proxy(LIMITS);
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(200);
            assertThat(c.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(200);
        }
    }

    @Test
    void closesATlsConnectionThatNeverStartsItsHandshake() throws Exception {
        TestCertificates.Issued cert = TestCertificates.ca(dir, "ca").server("proxy", "localhost");
        TestProxy proxy = proxy(LIMITS + "\n  tls: { certificates: [ { certificate: %s, key: %s } ] }"
                .formatted(cert.certificate(), cert.key()));
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.setReadTimeoutMillis(READ_TIMEOUT_MILLIS);
            assertThat(readToClose(c.input())).isEmpty();
        }
    }

    @Test
    void answers408AndClosesWhenARequestBodyTricklesBelowTheMinimumRate() throws Exception {
        TestProxy proxy = proxy("  limits: { idleTimeout: 60s, minRequestBodyDataRate: { bytesPerSecond: 100,"
                + " gracePeriod: 1s } }");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.setReadTimeoutMillis(READ_TIMEOUT_MILLIS);
            c.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n");
            Thread trickle = new Thread(() -> {
                // the client's pattern, 5 bytes a second, until the proxy closes: not a wait for a condition
                try {
                    for (int i = 0; i < 1000; i++) {
                        c.send("x");
                        Thread.sleep(200);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the proxy, or the test is over
                }
            });
            trickle.setDaemon(true);
            trickle.start();
            try {
                String answer = readToClose(c.input());
                assertThat(answer).startsWith("HTTP/1.1 408 ").contains("x-proxy-error: client_body_too_slow");
            } finally {
                trickle.interrupt();
            }
        }
    }
}
