package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.ProxyProtocolRejection;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.LogCapture;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PROXY protocol on a real listener, over raw sockets: v1 and v2 headers written by hand, on a plain and a TLS
 * listener, in {@code optional} and {@code required} mode; what the header declares is the client the upstream's
 * {@code X-Forwarded-For}, the {@code ${client_ip}} header variable and the observers (the access log's source) see.
 */
class ProxyProtocolIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final List<ProxyProtocolRejection> rejections = new CopyOnWriteArrayList<>();
    private final List<String> clients = new CopyOnWriteArrayList<>();
    private final ProxyObserver recorder = new ProxyObserver() {
        @Override
        public void proxyProtocolRejected(ProxyProtocolRejection reason) {
            rejections.add(reason);
        }

        @Override
        public ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
            return new ExchangeObserver() {
                @Override
                public void ended(ExchangeRecord record) {
                    clients.add(record.client().getAddress().getHostAddress());
                }
            };
        }
    };
    private TestBackend backend;

    @BeforeEach
    void backend() throws InterruptedException {
        backend = closer.keep(TestBackend.http(TestBackend.ok("ok")));
    }

    private TestProxy proxy(String server) throws InterruptedException {
        return closer.keep(TestProxy.start(server + """
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                    headers:
                      request:
                        set: { x-client: "${client_ip}" }
                """.formatted(backend.address()), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, recorder));
    }

    static final String GET = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";

    /** A v2 header: the signature, version 2 with {@code command}, {@code family}, then {@code body}. */
    static byte[] v2(int command, int family, byte[] body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.write(0x20 | command);
        b.write(family);
        b.write(body.length >> 8);
        b.write(body.length & 0xff);
        b.writeBytes(body);
        return b.toByteArray();
    }

    /** A v2 PROXY header for TCP over IPv4 from {@code 192.0.2.10:5555} to {@code 10.0.0.1:80}, with a NOOP TLV. */
    static byte[] v2Tcp4() {
        return v2(0x1, 0x11, new byte[] {(byte) 192, 0, 2, 10, 10, 0, 0, 1, 0x15, (byte) 0xb3, 0, 80,
                0x04, 0, 2, 'h', 'i'});
    }

    /** A v2 PROXY header for TCP over IPv6 from {@code [2001:db8::10]:6666} to {@code [2001:db8::1]:443}. */
    static byte[] v2Tcp6() {
        byte[] body = new byte[36];
        body[0] = 0x20;
        body[1] = 0x01;
        body[2] = 0x0d;
        body[3] = (byte) 0xb8;
        body[15] = 0x10;
        System.arraycopy(body, 0, body, 16, 16);
        body[31] = 0x01;
        body[32] = 0x1a;
        body[33] = 0x0a;
        body[35] = (byte) (443 & 0xff);
        body[34] = (byte) (443 >> 8);
        return v2(0x1, 0x21, body);
    }

    static byte[] concat(byte[] a, String b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Sends {@code bytes} on a new connection and reads one response; the upstream saw {@link #backend}'s last. */
    private static RawHttp.Response exchange(TestProxy proxy, byte[] bytes) throws IOException {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(bytes);
            return c.readResponse();
        }
    }

    private void assertUpstreamSawClient(String ip) {
        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo(ip);
        assertThat(seen.headers().get("x-client")).isEqualTo(ip);
        // the observer hears of the end possibly after the client has its response: wait for this request's, and
        // as each test waits so after every request, the last one heard of is this one
        int requests = backend.requestCount();
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.size() >= requests);
        assertThat(clients).hasSize(requests);
        assertThat(clients.get(clients.size() - 1)).isEqualTo(ip);
    }

    @Test
    void v1AndV2HeadersNameTheClientOnAPlainListener() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: required }\n");

        RawHttp.Response r = exchange(proxy, ("PROXY TCP4 192.0.2.10 10.0.0.1 5555 80\r\n" + GET)
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(r.status()).isEqualTo(200);
        assertUpstreamSawClient("192.0.2.10");

        assertThat(exchange(proxy, ("PROXY TCP6 2001:db8::10 2001:db8::1 6666 443\r\n" + GET)
                .getBytes(StandardCharsets.US_ASCII)).status()).isEqualTo(200);
        assertUpstreamSawClient("2001:db8:0:0:0:0:0:10");

        assertThat(exchange(proxy, concat(v2Tcp4(), GET)).status()).isEqualTo(200);
        assertUpstreamSawClient("192.0.2.10");

        assertThat(exchange(proxy, concat(v2Tcp6(), GET)).status()).isEqualTo(200);
        assertUpstreamSawClient("2001:db8:0:0:0:0:0:10");

        // LOCAL (the balancer's own health check) and UNKNOWN name no client: the TCP peer is the client
        assertThat(exchange(proxy, concat(v2(0x0, 0x00, new byte[0]), GET)).status()).isEqualTo(200);
        assertUpstreamSawClient("127.0.0.1");
        assertThat(exchange(proxy, ("PROXY UNKNOWN\r\n" + GET).getBytes(StandardCharsets.US_ASCII)).status())
                .isEqualTo(200);
        assertUpstreamSawClient("127.0.0.1");
        assertThat(rejections).isEmpty();
    }

    @Test
    void theDeclaredClientHoldsForEveryRequestOfTheConnection() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: required }\n");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(("PROXY TCP4 198.51.100.3 10.0.0.1 1234 80\r\n" + GET).getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse().status()).isEqualTo(200);
            c.send(GET);
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.requests()).hasSize(2)
                .allSatisfy(req -> assertThat(req.headers().get("x-forwarded-for")).isEqualTo("198.51.100.3"));
    }

    @Test
    void everyStreamOfAnHttp2ConnectionHasTheDeclaredClient() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: required }\n");
        try (RawHttp2 h2 = RawHttp2.connect(proxy.port(), v2Tcp4())) {
            h2.request(1, "GET", "/one", true);
            h2.request(3, "GET", "/two", true);
            h2.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1) && h2.ended(3));
            assertThat(h2.status(1)).isEqualTo("200");
            assertThat(h2.status(3)).isEqualTo("200");
        }
        assertThat(backend.requests()).hasSize(2).allSatisfy(req -> {
            assertThat(req.headers().get("x-forwarded-for")).isEqualTo("192.0.2.10");
            assertThat(req.headers().get("x-client")).isEqualTo("192.0.2.10");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> clients.size() == 2);
        assertThat(clients).containsOnly("192.0.2.10");
    }

    @Test
    void requiredModeClosesAConnectionWithoutAHeader() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: required }\n");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(GET);
            assertThat(c.isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rejections.contains(ProxyProtocolRejection.MISSING));
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void optionalModeTakesBothAHeaderAndPlainTraffic() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: optional }\n");
        assertThat(exchange(proxy, concat(v2Tcp4(), GET)).status()).isEqualTo(200);
        assertUpstreamSawClient("192.0.2.10");
        assertThat(exchange(proxy, GET.getBytes(StandardCharsets.US_ASCII)).status()).isEqualTo(200);
        assertUpstreamSawClient("127.0.0.1");
        // a request shorter than a v2 signature is decided at its first byte, not held for more
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("G");
            c.send("ET / HTTP/1.0\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(rejections).isEmpty();
    }

    @Test
    void aMalformedHeaderClosesTheConnectionAndIsCounted() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: optional }\n");
        LogCapture log = closer.keep(LogCapture.open());
        for (byte[] bad : List.of(
                "PROXY TCP4 999.0.0.1 10.0.0.1 5555 80\r\n".getBytes(StandardCharsets.US_ASCII),
                "PROXY TCP4 192.0.2.1\r\n".getBytes(StandardCharsets.US_ASCII),
                ("PROXY " + "x".repeat(200) + "\r\n").getBytes(StandardCharsets.US_ASCII),
                v2(0x1, 0x11, new byte[] {1, 2, 3}),
                v2(0xf, 0x11, new byte[12]))) {
            try (RawHttp c = new RawHttp(proxy.port())) {
                c.send(concat(bad, GET));
                assertThat(c.isClosedByPeer()).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rejections.size() == 5);
        assertThat(rejections).containsOnly(ProxyProtocolRejection.MALFORMED);
        assertThat(backend.requestCount()).isZero();
        assertThat(log.warnings()).as("a peer's bad input is no warning of the proxy's").isEmpty();
    }

    @Test
    void aPeerThatResetsBeforeItsHeaderLeavesNoWarning() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: required }\n");
        LogCapture log = closer.keep(LogCapture.open());
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("PRO");
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().connectionCount() == 1);
            c.socket().setSoLinger(true, 0);   // close with a reset
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().connectionCount() == 0);
        assertThat(log.warnings()).isEmpty();
        assertThat(rejections).isEmpty();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedByTheHeaderTimeout() throws Exception {
        TestProxy proxy = proxy("server:\n  proxyProtocol: { mode: optional }\n  limits: { requestHeaderTimeout: 300ms }\n");
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(c.isClosedByPeer()).isTrue();
        }
        // one that stopped inside what could still be a signature too
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("PRO");
            assertThat(c.isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rejections.size() == 2);
        assertThat(rejections).containsOnly(ProxyProtocolRejection.TIMEOUT);
    }

    @Test
    void trustedOnlyRefusesAHeaderFromAnUntrustedPeer() throws Exception {
        TestProxy proxy = proxy("""
                server:
                  trustedProxies: [10.0.0.0/8]
                  proxyProtocol: { mode: optional, trustedOnly: true }
                """);
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(concat(v2Tcp4(), GET));
            assertThat(c.isClosedByPeer()).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rejections.contains(ProxyProtocolRejection.UNTRUSTED_PEER));
        // its plain traffic is still served, as itself
        assertThat(exchange(proxy, GET.getBytes(StandardCharsets.US_ASCII)).status()).isEqualTo(200);
        assertUpstreamSawClient("127.0.0.1");
        assertThat(backend.requestCount()).isOne();
    }

    @Test
    void theHeaderComesBeforeTheTlsHandshakeOnATlsListener() throws Exception {
        TestCertificates ca = TestCertificates.ca(dir, "test-ca");
        TestCertificates.Issued cert = ca.server("proxy", "proxy.local");
        TestProxy proxy = proxy("""
                server:
                  proxyProtocol: { mode: optional }
                  tls:
                    certificates: [ { certificate: %s, key: %s } ]
                """.formatted(cert.certificate(), cert.key()));
        SSLContext context = ca.clientContext(null);

        assertThat(tlsExchange(proxy, context, v2Tcp6())).startsWith("HTTP/1.1 200");
        assertUpstreamSawClient("2001:db8:0:0:0:0:0:10");
        assertThat(tlsExchange(proxy, context, "PROXY TCP4 192.0.2.44 10.0.0.1 5555 443\r\n"
                .getBytes(StandardCharsets.US_ASCII))).startsWith("HTTP/1.1 200");
        assertUpstreamSawClient("192.0.2.44");
        assertThat(tlsExchange(proxy, context, new byte[0])).as("optional: a ClientHello at once").startsWith(
                "HTTP/1.1 200");
        assertUpstreamSawClient("127.0.0.1");
        assertThat(rejections).isEmpty();
    }

    /** Sends {@code header} in the clear, then does a TLS handshake and one request on the same connection. */
    private static String tlsExchange(TestProxy proxy, SSLContext context, byte[] header) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5000);
        plain.setSoTimeout(10_000);
        plain.getOutputStream().write(header);
        plain.getOutputStream().flush();
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, "proxy.local", proxy.port(),
                true)) {
            s.startHandshake();
            s.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                String text = out.toString(StandardCharsets.US_ASCII);
                if (text.contains("\r\n\r\n") && text.endsWith("ok")) {
                    return text;
                }
            }
            return out.toString(StandardCharsets.US_ASCII);
        }
    }
}
