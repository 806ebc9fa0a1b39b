package dev.proxy.core.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.proxy.core.config.Cidr;
import dev.proxy.core.config.ClientAddressConfig;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who the client is: CIDR blocks, the trusted-header walk and the PROXY header's source, without sockets. */
class ClientAddressesTest {
    private static final InetSocketAddress LB = address("10.0.0.5", 40000);
    private static final InetSocketAddress STRANGER = address("198.51.100.9", 50000);

    /** An IP literal as an address, never asking DNS. */
    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByAddress(NetUtil.createByteArrayFromIpAddressString(ip));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(literal(ip), port);
    }

    private static ClientAddresses trusting(ClientAddressConfig.Header header, String... cidrs) {
        return new ClientAddresses(new ClientAddressConfig(Arrays.stream(cidrs).map(Cidr::parse).toList(), header,
                ClientAddressConfig.ProxyProtocolMode.NONE, false));
    }

    private static HttpHeaders headers(String name, String... values) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (String v : values) {
            h.add(name, v);
        }
        return h;
    }

    private static String ip(InetSocketAddress a) {
        return a.getAddress().getHostAddress();
    }

    @Test
    void cidrBlocksMatchTheirAddressesOnly() {
        Cidr v4 = Cidr.parse("10.0.0.0/8");
        assertThat(v4.contains(literal("10.255.1.2"))).isTrue();
        assertThat(v4.contains(literal("11.0.0.1"))).isFalse();
        assertThat(v4.contains(literal("::ffff:10.1.2.3"))).as("IPv4-mapped is IPv4").isTrue();
        assertThat(v4.contains(literal("::a00:1"))).as("an IPv6 address is never in a v4 block")
                .isFalse();
        Cidr odd = Cidr.parse("192.168.1.77/26");
        assertThat(odd.contains(literal("192.168.1.64"))).isTrue();
        assertThat(odd.contains(literal("192.168.1.127"))).isTrue();
        assertThat(odd.contains(literal("192.168.1.128"))).isFalse();
        Cidr v6 = Cidr.parse("2001:db8::/32");
        assertThat(v6.contains(literal("2001:db8:ffff::1"))).isTrue();
        assertThat(v6.contains(literal("2001:db9::1"))).isFalse();
        assertThat(Cidr.parse("192.0.2.7").contains(literal("192.0.2.7"))).isTrue();
        assertThat(Cidr.parse("192.0.2.7").contains(literal("192.0.2.8"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(literal("203.0.113.1"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(literal("2001:db8::1"))).isTrue();
    }

    @Test
    void badBlocksAreRefusedWithoutAskingDns() {
        for (String bad : List.of("localhost", "10.0.0.0/33", "2001:db8::/129", "10.0.0/8", "10.0.0.0/-1",
                "10.0.0.0/", "example.com/24", "")) {
            assertThatThrownBy(() -> Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void anUntrustedPeersHeadersAreNeverRead() {
        ClientAddresses a = trusting(ClientAddressConfig.Header.X_FORWARDED_FOR, "10.0.0.0/8");
        assertThat(a.resolve(STRANGER, headers("x-forwarded-for", "1.2.3.4"))).isSameAs(STRANGER);
        assertThat(ClientAddresses.NONE.resolve(LB, headers("x-forwarded-for", "1.2.3.4"))).isSameAs(LB);
    }

    @Test
    void aTrustedPeersXForwardedForGivesTheRightmostUntrustedHop() {
        ClientAddresses a = trusting(ClientAddressConfig.Header.X_FORWARDED_FOR, "10.0.0.0/8", "2001:db8::/32");
        // the client forged the leftmost entry; the trusted chain appended the real one and then itself
        assertThat(ip(a.resolve(LB, headers("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.9")))).isEqualTo(
                "203.0.113.7");
        // several header lines are one list
        assertThat(ip(a.resolve(LB, headers("x-forwarded-for", "6.6.6.6", "203.0.113.8,10.1.1.1")))).isEqualTo(
                "203.0.113.8");
        // all trusted: the leftmost
        assertThat(ip(a.resolve(LB, headers("x-forwarded-for", "10.9.9.9, 10.0.0.1")))).isEqualTo("10.9.9.9");
        // ports and IPv6 in the forms proxies write them
        assertThat(a.resolve(LB, headers("x-forwarded-for", "203.0.113.9:4711"))).isEqualTo(
                address("203.0.113.9", 4711));
        assertThat(ip(a.resolve(LB, headers("x-forwarded-for", "2001:db9::5, 2001:db8::1")))).isEqualTo(
                "2001:db9:0:0:0:0:0:5");
        assertThat(a.resolve(LB, headers("x-forwarded-for", "[2001:db9::6]:80"))).isEqualTo(
                address("2001:db9::6", 80));
        // no header: the peer itself
        assertThat(a.resolve(LB, new DefaultHttpHeaders())).isSameAs(LB);
    }

    @Test
    void aHopWithoutAnAddressStopsTheWalkAtThePeer() {
        ClientAddresses a = trusting(ClientAddressConfig.Header.X_FORWARDED_FOR, "10.0.0.0/8");
        assertThat(a.resolve(LB, headers("x-forwarded-for", "1.2.3.4, garbage, 10.0.0.2"))).isSameAs(LB);
        assertThat(a.resolve(LB, headers("x-forwarded-for", "unknown"))).isSameAs(LB);
        assertThat(a.resolve(LB, headers("x-forwarded-for", "evil.example.com"))).isSameAs(LB);
        // the hop right of the garbage is untrusted, so it is the client and the garbage is never reached
        assertThat(ip(a.resolve(LB, headers("x-forwarded-for", "garbage, 203.0.113.1")))).isEqualTo("203.0.113.1");
    }

    @Test
    void forwardedIsReadByRfc7239IncludingQuotedIpv6() {
        ClientAddresses a = trusting(ClientAddressConfig.Header.FORWARDED, "10.0.0.0/8");
        assertThat(a.resolve(LB, headers("forwarded", "for=\"[2001:db8:cafe::17]:4711\";proto=https")))
                .isEqualTo(address("2001:db8:cafe::17", 4711));
        assertThat(a.resolve(LB, headers("forwarded",
                "for=6.6.6.6, For=192.0.2.60;proto=http;by=203.0.113.43, for=10.0.0.3")))
                .isEqualTo(address("192.0.2.60", 0));
        assertThat(a.resolve(LB, headers("forwarded", "for=\"[2001:db8::2]\"")))
                .isEqualTo(address("2001:db8::2", 0));
        // a quoted value may hold the separators
        assertThat(a.resolve(LB, headers("forwarded", "by=\"a;b,c\";for=192.0.2.61")))
                .isEqualTo(address("192.0.2.61", 0));
        // obfuscated and unknown identifiers, and an element without for=, name no one: the peer
        assertThat(a.resolve(LB, headers("forwarded", "for=_hidden"))).isSameAs(LB);
        assertThat(a.resolve(LB, headers("forwarded", "for=unknown"))).isSameAs(LB);
        assertThat(a.resolve(LB, headers("forwarded", "proto=https"))).isSameAs(LB);
        assertThat(a.resolve(LB, headers("forwarded", "for=192.0.2.62:_port"))).isEqualTo(
                address("192.0.2.62", 0));
        // only the configured header is read
        assertThat(a.resolve(LB, headers("x-forwarded-for", "192.0.2.1"))).isSameAs(LB);
    }

    @Test
    void aProxyHeaderNamesItsSourceUnlessItIsLocalOrNotAnIpFamily() {
        HAProxyMessage tcp4 = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP4, "192.0.2.10", "10.0.0.1", 5555, 443);
        HAProxyMessage tcp6 = new HAProxyMessage(HAProxyProtocolVersion.V1, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP6, "2001:db8::10", "2001:db8::1", 6666, 443);
        HAProxyMessage local = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL,
                HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
        HAProxyMessage unix = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.UNIX_STREAM, "/var/run/a", "/var/run/b", 0, 0);
        try {
            assertThat(ClientAddresses.fromProxyHeader(tcp4, LB)).isEqualTo(address("192.0.2.10", 5555));
            assertThat(ClientAddresses.fromProxyHeader(tcp6, LB)).isEqualTo(address("2001:db8::10", 6666));
            assertThat(ClientAddresses.fromProxyHeader(local, LB)).isSameAs(LB);
            assertThat(ClientAddresses.fromProxyHeader(unix, LB)).isSameAs(LB);
        } finally {
            tcp4.release();
            tcp6.release();
            local.release();
            unix.release();
        }
    }

    @Test
    void anHttp2StreamHasItsConnectionsDeclaredAddress() {
        EmbeddedChannel connection = new EmbeddedChannel();
        EmbeddedChannel stream = new EmbeddedChannel(connection, DefaultChannelId.newInstance(), true, false);
        try {
            ClientAddresses.declare(connection, address("192.0.2.33", 7));
            assertThat(ClientAddresses.ofConnection(stream)).isEqualTo(address("192.0.2.33", 7));
            assertThat(ClientAddresses.ofConnection(connection)).isEqualTo(address("192.0.2.33", 7));
        } finally {
            stream.finishAndReleaseAll();
            connection.finishAndReleaseAll();
        }
    }
}
