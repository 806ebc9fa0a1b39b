package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

/** {@code server.trustedProxies}, {@code server.clientAddressHeader} and {@code server.proxyProtocol}. */
class ClientAddressReaderTest {
    private static final String ROUTES = """
            clusters:
              - name: app
                endpoints: [ { address: 10.0.0.1:80 } ]
            routes:
              - name: all
                cluster: app
            """;

    @Test
    void readsTheKeys() {
        ClientAddressConfig c = ConfigReader.read("""
                server:
                  trustedProxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
                  clientAddressHeader: forwarded
                  proxyProtocol: { mode: optional, trustedOnly: true }
                """ + ROUTES, "t.yaml").server().clientAddress();
        assertThat(c.trustedProxies()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"),
                Cidr.parse("192.0.2.7/32"));
        assertThat(c.header()).isEqualTo(ClientAddressConfig.Header.FORWARDED);
        assertThat(c.proxyProtocol()).isEqualTo(ClientAddressConfig.ProxyProtocolMode.OPTIONAL);
        assertThat(c.proxyProtocolTrustedOnly()).isTrue();
    }

    @Test
    void byDefaultTheTcpPeerIsTheClient() {
        assertThat(ConfigReader.read(ROUTES, "t.yaml").server().clientAddress())
                .isEqualTo(ClientAddressConfig.DEFAULT);
    }

    @Test
    void reportsEveryBadValueWithItsPathAndRejectsTheWholeFile() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                server:
                  trustedProxies: [10.0.0.0/8, 10.0.0.0/33, proxy.internal]
                  clientAddressHeader: x-real-ip
                  proxyProtocol: { mode: sometimes, timeout: 5s }
                """ + ROUTES, "bad.yaml"));
        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "server.trustedProxies[1]: '10.0.0.0/33' has a prefix length that is not 0-32",
                "server.trustedProxies[2]: 'proxy.internal' is not an IP address or a CIDR block "
                        + "(examples: 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)",
                "server.clientAddressHeader: 'x-real-ip' is not one of x-forwarded-for, forwarded (line 3)",
                "server.proxyProtocol.mode: 'sometimes' is not one of none, optional, required (line 4)",
                "server.proxyProtocol.timeout: unknown key (line 4)");
    }

    @Test
    void trustedOnlyNeedsTrustedProxies() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                server:
                  proxyProtocol: { mode: required, trustedOnly: true }
                """ + ROUTES, "bad.yaml"));
        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactly("server.proxyProtocol.trustedOnly: needs server.trustedProxies: "
                + "the peers a PROXY header is accepted from (line 2)");
    }
}
