package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS listener of a whole running proxy: OpenSSL from netty-tcnative, handshakes and certificate expiry on
 * /metrics (which promtool accepts), and a renewed certificate picked up from its file without a restart.
 */
class TlsServerIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ProxyApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    @Test
    void servesTlsShowsItInTheMetricsAndTakesARenewedCertificateFromItsFile() throws Exception {
        TestCertificates ca = TestCertificates.ca(dir, "ca");
        TestCertificates.Issued api = ca.server("api", "api.example.com");
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("secure")));
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                  tls:
                    certificates:
                      - { certificate: %s, key: %s, serverNames: [api.example.com] }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    cluster: app
                """.formatted(api.certificate(), api.key(), backend.address()), "tls.yaml"), false);
        assertThat(OpenSsl.isAvailable()).as("netty-tcnative ships with the server").isTrue();

        assertThat(serial(request())).isEqualTo(api.x509().getSerialNumber());

        PrometheusText m = PrometheusText.parse(admin("/metrics"));
        assertThat(m.sum("proxy_tls_handshakes_total", "protocol", "TLSv1.3")).isEqualTo(1);
        assertThat(m.sum("proxy_tls_provider", "provider", "openssl")).isEqualTo(1);
        assertThat(m.sum("proxy_tls_certificate_expiry_seconds", "certificate", "api.example.com"))
                .isBetween((double) TimeUnit.DAYS.toSeconds(88), (double) TimeUnit.DAYS.toSeconds(90));
        Promtool.assertMetricsPass(m.body());

        // a renewal as cert-manager does it: new files in place of the old
        TestCertificates.Issued renewed = ca.server("renewed", "api.example.com");
        Files.copy(renewed.key(), api.key(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.certificate(), api.certificate(), StandardCopyOption.REPLACE_EXISTING);
        await().atMost(Duration.ofSeconds(10)).until(() -> serial(request())
                .equals(renewed.x509().getSerialNumber()));
    }

    /** A TLS request to the proxy with SNI api.example.com; returns the socket's session's peer certificate. */
    private X509Certificate request() throws Exception {
        try (SSLSocket s = (SSLSocket) trustingContext().getSocketFactory().createSocket("127.0.0.1",
                app.proxy().address().getPort())) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("api.example.com")));
            s.setSSLParameters(p);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("secure");
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private javax.net.ssl.SSLContext trustingContext() throws Exception {
        // a fresh context each time: the JDK would otherwise resume the first session and show its certificate
        return TestCertificates.trusting(dir.resolve("ca.crt"));
    }

    private static BigInteger serial(X509Certificate c) {
        return c.getSerialNumber();
    }

    private String admin(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.admin().address().getPort()
                + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
