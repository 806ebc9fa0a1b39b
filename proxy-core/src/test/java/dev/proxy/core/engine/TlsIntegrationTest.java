package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.ProxyError;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS through the running proxy with real certificates: SNI choosing among several, client certificates (required,
 * untrusted, missing, forwarded as an identity routes match on), the handshakes reported, certificates reloaded, and
 * TLS to upstreams with their certificate and name verified.
 */
class TlsIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private TestCertificates ca;
    private TestCertificates.Issued fallback;
    private TestCertificates.Issued api;
    private TestCertificates.Issued wildcard;
    private final List<String> handshakes = new CopyOnWriteArrayList<>();
    private final ProxyObserver recorder = new ProxyObserver() {
        @Override
        public void tlsHandshake(boolean success, String protocolOrReason, long nanos) {
            handshakes.add((success ? "ok " : "failed ") + protocolOrReason);
        }
    };

    @BeforeEach
    void certificates() throws Exception {
        ca = TestCertificates.ca(dir, "test-ca");
        fallback = ca.server("fallback", "fallback.local");
        api = ca.server("api", "api.example.com");
        wildcard = ca.server("wildcard", "*.example.com");
    }

    private TestProxy proxy(String backend, String clientAuth, String routes) throws InterruptedException {
        return closer.keep(TestProxy.start("""
                server:
                  tls:
                    certificates:
                      - { certificate: %s, key: %s }
                      - { certificate: %s, key: %s, serverNames: [api.example.com] }
                      - { certificate: %s, key: %s, serverNames: ["*.example.com"] }
                    %s
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                %s
                """.formatted(fallback.certificate(), fallback.key(), api.certificate(), api.key(),
                wildcard.certificate(), wildcard.key(), clientAuth, backend, routes),
                LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, recorder));
    }

    private static final String ALL = """
              - name: all
                match: { pathPrefix: / }
                cluster: app
            """;

    /** A TLS client socket to the proxy that sends {@code sni} (none when null). */
    private SSLSocket connect(TestProxy proxy, SSLContext context, String sni) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", proxy.port());
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    private static String exchange(SSLSocket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            String text = out.toString(StandardCharsets.US_ASCII);
            int head = text.indexOf("\r\n\r\n");
            if (head >= 0) {
                int cl = text.toLowerCase().indexOf("content-length: ");
                int len = Integer.parseInt(text.substring(cl + 16, text.indexOf("\r\n", cl)).trim());
                if (text.length() >= head + 4 + len) {
                    return text;
                }
            }
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    private static String subject(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    @Test
    void sniChoosesTheCertificateAndTheRequestGoesThrough() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy(backend.address(), "", ALL);
        // a context per connection: the JDK client would resume the first session and show its certificate again
        try (SSLSocket s = connect(proxy, ca.clientContext(null), "api.example.com")) {
            assertThat(subject(s)).isEqualTo("CN=api.example.com");
            assertThat(exchange(s, "GET /x HTTP/1.1\r\nHost: api.example.com\r\n\r\n")).startsWith("HTTP/1.1 200")
                    .endsWith("fine");
        }
        try (SSLSocket s = connect(proxy, ca.clientContext(null), "shop.example.com")) {
            assertThat(subject(s)).isEqualTo("CN=*.example.com");
        }
        try (SSLSocket s = connect(proxy, ca.clientContext(null), null)) {
            assertThat(subject(s)).as("no SNI: the first certificate").isEqualTo("CN=fallback.local");
        }
        try (SSLSocket s = connect(proxy, ca.clientContext(null), "other.org")) {
            assertThat(subject(s)).isEqualTo("CN=fallback.local");
        }
        assertThat(backend.lastRequest().headers().get("x-forwarded-proto")).isEqualTo("https");
        await().atMost(Duration.ofSeconds(5)).until(() -> handshakes.size() == 4);
        assertThat(handshakes).allMatch(h -> h.equals("ok TLSv1.3"));
    }

    @Test
    void plainHttpOnTheTlsPortIsRefusedAndReported() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy(backend.address(), "", ALL);
        try (RawHttp plain = new RawHttp(proxy.port())) {
            plain.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(plain.isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> handshakes.contains("failed not_tls"));
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void requiredClientCertificatesAreCheckedAndTheIdentityForwardedForRouting() throws Exception {
        TestBackend a = closer.keep(TestBackend.http(TestBackend.ok("team-a")));
        TestBackend other = closer.keep(TestBackend.http(TestBackend.ok("anyone")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                server:
                  tls:
                    certificates:
                      - { certificate: %s, key: %s }
                    clientAuth: { mode: required, trustedCa: %s, forwardHeader: x-client-identity }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                  - name: others
                    endpoints: [ { address: %s } ]
                routes:
                  - name: team-a
                    match: { headers: { x-client-identity: "spiffe://example.org/ns/a" } }
                    cluster: app
                  - name: others
                    match: { pathPrefix: / }
                    cluster: others
                """.formatted(fallback.certificate(), fallback.key(), ca.caFile(), a.address(), other.address()),
                LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, recorder));
        TestCertificates.Issued teamA = ca.client("team-a", "CN=svc-a,O=example", "spiffe://example.org/ns/a");
        TestCertificates.Issued teamB = ca.client("team-b", "CN=svc-b,O=example", null);
        TestCertificates stranger = TestCertificates.ca(Files.createDirectory(dir.resolve("other")), "other-ca");
        TestCertificates.Issued untrusted = stranger.client("mallory", "CN=mallory", "spiffe://example.org/ns/a");

        try (SSLSocket s = connect(proxy, ca.clientContext(teamA), null)) {
            // a client cannot claim an identity by sending the header itself: it is replaced
            assertThat(exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\nx-client-identity: spiffe://evil\r\n\r\n"))
                    .endsWith("team-a");
        }
        assertThat(a.lastRequest().headers().getAll("x-client-identity"))
                .containsExactly("spiffe://example.org/ns/a");
        try (SSLSocket s = connect(proxy, ca.clientContext(teamB), null)) {
            assertThat(exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\nx-client-identity: spiffe://example.org/ns/a"
                    + "\r\n\r\n")).endsWith("anyone");
        }
        // the subject in RFC 2253 order: the last RDN of the certificate first
        assertThat(other.lastRequest().headers().get("x-client-identity")).isEqualTo("O=example,CN=svc-b");

        TestProxy p = proxy;
        assertThatThrownBy(() -> {
            try (SSLSocket s = connect(p, ca.clientContext(null), null)) {
                exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            }
        }).as("no client certificate").isInstanceOf(IOException.class);
        assertThatThrownBy(() -> {
            try (SSLSocket s = connect(p, stranger.clientContext(untrusted), null)) {
                exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            }
        }).as("a certificate of another CA").isInstanceOf(IOException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> handshakes.stream().filter(h -> h.startsWith("failed"))
                .count() == 2);
        assertThat(handshakes).contains("failed no_client_certificate", "failed untrusted_client_certificate");
    }

    @Test
    void aHeaderEditCarriesTheVerifiedIdentityAndNeverTheClientsOwnValue() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("ok")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                server:
                  tls:
                    certificates:
                      - { certificate: %s, key: %s }
                    clientAuth: { mode: optional, trustedCa: %s }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                    headers:
                      request:
                        set: { x-peer: "${tls_identity}" }
                """.formatted(fallback.certificate(), fallback.key(), ca.caFile(), backend.address()),
                LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, recorder));
        TestCertificates.Issued teamA = ca.client("team-a", "CN=svc-a,O=example", "spiffe://example.org/ns/a");

        try (SSLSocket s = connect(proxy, ca.clientContext(teamA), null)) {
            assertThat(exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\nx-peer: spiffe://evil\r\n\r\n")).endsWith("ok");
        }
        assertThat(backend.lastRequest().headers().getAll("x-peer")).containsExactly("spiffe://example.org/ns/a");
        assertThat(backend.lastRequest().headers().get("x-forwarded-proto")).isEqualTo("https");
        // no certificate (optional): the variable is absent, so the set leaves no value, not the client's
        try (SSLSocket s = connect(proxy, ca.clientContext(null), null)) {
            assertThat(exchange(s, "GET /x HTTP/1.1\r\nHost: a\r\nx-peer: spiffe://evil\r\n\r\n")).endsWith("ok");
        }
        assertThat(backend.lastRequest().headers().contains("x-peer")).isFalse();
    }

    @Test
    void reloadedCertificatesServeNewHandshakesWhileOpenConnectionsGoOn() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy(backend.address(), "", ALL);
        SSLContext client = ca.clientContext(null);
        SSLSocket open = closer.keep(connect(proxy, client, "api.example.com"));
        assertThat(exchange(open, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")).endsWith("fine");

        TestCertificates.Issued renewed = ca.server("api-renewed", "api.example.com", "api2.example.com");
        Files.copy(renewed.certificate(), api.certificate(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.key(), api.key(), StandardCopyOption.REPLACE_EXISTING);
        assertThat(proxy.server().tls().orElseThrow().reload()).isTrue();

        try (SSLSocket s = connect(proxy, ca.clientContext(null), "api.example.com")) {
            assertThat(((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber())
                    .isEqualTo(renewed.x509().getSerialNumber());
        }
        assertThat(exchange(open, "GET /y HTTP/1.1\r\nHost: a\r\n\r\n")).as("the old connection").endsWith("fine");

        Files.writeString(api.key(), "not a key");
        assertThat(proxy.server().tls().orElseThrow().reload()).as("a broken file keeps the old ones").isFalse();
        try (SSLSocket s = connect(proxy, ca.clientContext(null), "api.example.com")) {
            assertThat(subject(s)).isEqualTo("CN=api.example.com");
        }
    }

    @Test
    void anExpiredCertificateIsVisibleBeforeClientsComplain() throws Exception {
        TestCertificates.Issued old = ca.expired("old", "old.example.com");
        TestProxy proxy = closer.keep(TestProxy.start("""
                server:
                  tls:
                    certificates:
                      - { certificate: %s, key: %s, serverNames: [old.example.com] }
                clusters:
                  - name: app
                    endpoints: [ { address: 127.0.0.1:9 } ]
                routes:
                  - name: all
                    cluster: app
                """.formatted(old.certificate(), old.key())));
        assertThat(proxy.server().tls().orElseThrow().expiries().get("old.example.com"))
                .isBefore(java.time.Instant.now());
        assertThatThrownBy(() -> connect(proxy, ca.clientContext(null), "old.example.com"))
                .as("clients refuse it").isInstanceOf(IOException.class);
    }

    @Test
    void upstreamTlsVerifiesTheCertificateAndItsName() throws Exception {
        TestCertificates.Issued backendCert = ca.server("backend", "backend.internal");
        TestBackend secure = closer.keep(TestBackend.https(SslContextBuilder.forServer(backendCert.certificate()
                .toFile(), backendCert.key().toFile()).build(), TestBackend.ok("over tls")));
        TestCertificates.Issued expiredCert = ca.expired("backend-old", "backend.internal");
        TestBackend expired = closer.keep(TestBackend.https(SslContextBuilder.forServer(expiredCert.certificate()
                .toFile(), expiredCert.key().toFile()).build(), TestBackend.ok("stale")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: good
                    endpoints: [ { address: %1$s } ]
                    tls: { trustedCa: %3$s, serverName: backend.internal }
                  - name: misnamed
                    endpoints: [ { address: %1$s } ]
                    tls: { trustedCa: %3$s, serverName: other.internal }
                  - name: untrusted
                    endpoints: [ { address: %1$s } ]
                    tls: { serverName: backend.internal }
                  - name: expired
                    endpoints: [ { address: %2$s } ]
                    tls: { trustedCa: %3$s, serverName: backend.internal }
                routes:
                  - { name: good, match: { pathPrefix: /good/ }, cluster: good }
                  - { name: misnamed, match: { pathPrefix: /misnamed/ }, cluster: misnamed }
                  - { name: untrusted, match: { pathPrefix: /untrusted/ }, cluster: untrusted }
                  - { name: expired, match: { pathPrefix: /expired/ }, cluster: expired }
                """.formatted(secure.address(), expired.address(), ca.caFile())));

        for (int i = 0; i < 3; i++) {
            var r = proxy.get("/good/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("over tls");
        }
        assertThat(secure.acceptedConnections()).as("kept alive over TLS").isEqualTo(1);
        for (String path : new String[] {"/misnamed/x", "/untrusted/x", "/expired/x"}) {
            var r = proxy.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(502);
            assertThat(r.headers().firstValue("x-proxy-error")).as(path)
                    .hasValue(ProxyError.UPSTREAM_TLS_FAILURE.reason());
        }
        assertThat(expired.requestCount()).isZero();
    }

    @Test
    void anUpstreamRefusingTheMissingClientCertificateIsATlsFailureUnderTls13AsUnderTls12() throws Exception {
        TestCertificates.Issued backendCert = ca.server("backend", "backend.internal");
        StringBuilder yaml = new StringBuilder("clusters:\n");
        for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
            TestBackend strict = closer.keep(TestBackend.https(SslContextBuilder.forServer(
                            backendCert.certificate().toFile(), backendCert.key().toFile())
                    .protocols(protocol).clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE)
                    .trustManager(ca.caFile().toFile()).build(), TestBackend.ok("never")));
            yaml.append("  - name: ").append(protocol.replace('.', '-')).append('\n')
                    .append("    endpoints: [ { address: ").append(strict.address()).append(" } ]\n")
                    .append("    tls: { trustedCa: ").append(ca.caFile()).append(", serverName: backend.internal }\n");
        }
        yaml.append("routes:\n")
                .append("  - { name: v13, match: { pathPrefix: /v13/ }, cluster: TLSv1-3 }\n")
                .append("  - { name: v12, match: { pathPrefix: /v12/ }, cluster: TLSv1-2 }\n");
        TestProxy proxy = closer.keep(TestProxy.start(yaml.toString()));

        // under TLS 1.3 the proxy's handshake is done before the upstream checks for a client certificate: its
        // refusal comes as an alert after the request was sent, and is a TLS failure all the same
        for (String path : new String[] {"/v13/x", "/v12/x"}) {
            var r = proxy.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(502);
            assertThat(r.headers().firstValue("x-proxy-error")).as(path)
                    .hasValue(ProxyError.UPSTREAM_TLS_FAILURE.reason());
        }
    }
}
