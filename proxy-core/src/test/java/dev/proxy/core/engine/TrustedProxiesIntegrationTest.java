package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code server.trustedProxies} through the real proxy over raw sockets: a forged {@code X-Forwarded-For} from an
 * untrusted peer changes nothing, a trusted peer's is believed (the rightmost untrusted hop), {@code Forwarded} too
 * when chosen. The upstream sees the resolved client in {@code ${client_ip}} and the chain in
 * {@code X-Forwarded-For}, with the real peer appended.
 */
class TrustedProxiesIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
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
                """.formatted(backend.address())));
    }

    private FullHttpRequest send(TestProxy proxy, String headers) throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /x HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        return backend.lastRequest();
    }

    @Test
    void aForgedHeaderFromAnUntrustedPeerIsIgnored() throws Exception {
        // loopback is not in the trusted set
        TestProxy proxy = proxy("server:\n  trustedProxies: [10.0.0.0/8, \"2001:db8::/32\"]\n");
        FullHttpRequest seen = send(proxy, "X-Forwarded-For: 10.1.1.1, 203.0.113.66\r\nForwarded: for=203.0.113.67\r\n");
        assertThat(seen.headers().get("x-client")).isEqualTo("127.0.0.1");
        // the chain goes on with the real peer last: whoever reads it from the right finds the truth first
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo("10.1.1.1, 203.0.113.66, 127.0.0.1");
    }

    @Test
    void withoutTrustedProxiesNoHeaderIsBelieved() throws Exception {
        TestProxy proxy = proxy("");
        assertThat(send(proxy, "X-Forwarded-For: 203.0.113.66\r\n").headers().get("x-client")).isEqualTo("127.0.0.1");
    }

    @Test
    void aTrustedPeersXForwardedForNamesTheRightmostUntrustedHop() throws Exception {
        TestProxy proxy = proxy("server:\n  trustedProxies: [127.0.0.0/8, 10.0.0.0/8]\n");
        FullHttpRequest seen = send(proxy, "X-Forwarded-For: 6.6.6.6, 203.0.113.7, 10.0.0.9\r\n");
        assertThat(seen.headers().get("x-client")).isEqualTo("203.0.113.7");
        assertThat(seen.headers().get("x-forwarded-for")).isEqualTo("6.6.6.6, 203.0.113.7, 10.0.0.9, 127.0.0.1");

        // the Forwarded header is not the configured one: ignored
        assertThat(send(proxy, "Forwarded: for=203.0.113.8\r\n").headers().get("x-client")).isEqualTo("127.0.0.1");
        // a hop that names no address: the peer, not a guess
        assertThat(send(proxy, "X-Forwarded-For: 203.0.113.9, unknown\r\n").headers().get("x-client"))
                .isEqualTo("127.0.0.1");
    }

    @Test
    void forwardedIsReadWhenChosenIpv6Included() throws Exception {
        TestProxy proxy = proxy("server:\n  trustedProxies: [127.0.0.1]\n  clientAddressHeader: forwarded\n");
        FullHttpRequest seen = send(proxy, "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=https, for=127.0.0.1\r\n");
        assertThat(seen.headers().get("x-client")).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(send(proxy, "Forwarded: for=_gateway\r\n").headers().get("x-client")).isEqualTo("127.0.0.1");
        assertThat(send(proxy, "X-Forwarded-For: 203.0.113.10\r\n").headers().get("x-client")).isEqualTo("127.0.0.1");
    }

    @Test
    void aProxyHeaderNamesTheHopWhoseHeadersAreJudged() throws Exception {
        // a load balancer speaking PROXY protocol in front of a trusted CDN: the CDN's header is believed, and a
        // client's own header, declared by the same balancer, is not
        TestProxy proxy = proxy("server:\n  trustedProxies: [192.0.2.0/24]\n  proxyProtocol: { mode: required }\n");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(("PROXY TCP4 192.0.2.50 10.0.0.1 1000 80\r\nGET /x HTTP/1.1\r\nHost: a\r\n"
                    + "X-Forwarded-For: 203.0.113.20\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().get("x-client")).isEqualTo("203.0.113.20");
        assertThat(backend.lastRequest().headers().get("x-forwarded-for")).isEqualTo("203.0.113.20, 192.0.2.50");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(("PROXY TCP4 198.51.100.7 10.0.0.1 1000 80\r\nGET /x HTTP/1.1\r\nHost: a\r\n"
                    + "X-Forwarded-For: 203.0.113.21\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().get("x-client")).isEqualTo("198.51.100.7");
    }
}
