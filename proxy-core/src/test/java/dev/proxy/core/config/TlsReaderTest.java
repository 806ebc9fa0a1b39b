package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code server.tls} and {@code clusters[].tls} keys. */
class TlsReaderTest {
    @Test
    void readsTheListenerAndAClustersTls() {
        ProxyConfig config = ConfigReader.read("""
                server:
                  tls:
                    certificates:
                      - { certificate: /tls/a.crt, key: /tls/a.key }
                      - { certificate: /tls/b.crt, key: /tls/b.key, serverNames: [API.example.com, "*.example.com"] }
                    protocols: [TLSv1.3]
                    clientAuth: { mode: optional, trustedCa: /tls/ca.crt, forwardHeader: X-Client-Identity }
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:443 } ]
                    tls: { trustedCa: /tls/internal.crt, serverName: App.Internal, certificate: /c.crt, key: /c.key }
                  - name: plain
                    endpoints: [ { address: 10.0.0.2:80 } ]
                routes:
                  - name: all
                    cluster: app
                """, "tls.yaml");

        TlsConfig tls = config.server().tls().orElseThrow();
        assertThat(tls.certificates()).containsExactly(
                new CertificateConfig(Path.of("/tls/a.crt"), Path.of("/tls/a.key"), List.of()),
                new CertificateConfig(Path.of("/tls/b.crt"), Path.of("/tls/b.key"),
                        List.of("api.example.com", "*.example.com")));
        assertThat(tls.protocols()).containsExactly("TLSv1.3");
        assertThat(tls.ciphers()).isEmpty();
        assertThat(tls.clientAuth()).isEqualTo(new ClientAuthConfig(ClientAuthConfig.Mode.OPTIONAL,
                Optional.of(Path.of("/tls/ca.crt")), Optional.of("x-client-identity")));
        assertThat(config.cluster("app").orElseThrow().tls()).contains(new UpstreamTlsConfig(
                Optional.of(Path.of("/tls/internal.crt")), Optional.of("app.internal"), Optional.of(Path.of("/c.crt")),
                Optional.of(Path.of("/c.key")), true));
        assertThat(config.cluster("plain").orElseThrow().tls()).isEmpty();
    }

    @Test
    void withoutTlsTheListenerIsPlainAndTheDefaultsApply() {
        ProxyConfig config = ConfigReader.read("""
                server:
                  tls:
                    certificates: [ { certificate: /a.crt, key: /a.key } ]
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:443 } ]
                    tls: {}
                routes:
                  - name: all
                    cluster: app
                """, "defaults.yaml");
        TlsConfig tls = config.server().tls().orElseThrow();
        assertThat(tls.protocols()).isEqualTo(TlsConfig.DEFAULT_PROTOCOLS);
        assertThat(tls.clientAuth()).isEqualTo(ClientAuthConfig.NONE);
        assertThat(config.cluster("app").orElseThrow().tls().orElseThrow().verify()).isTrue();
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                server:
                  tls:
                    certificates:
                      - { certificate: /a.crt, serverNames: ["bad name"] }
                    protocols: [SSLv3]
                    clientAuth: { mode: sometimes }
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:443 } ]
                    tls: { certificate: /c.crt, serverName: "*.wild", sni: x }
                routes:
                  - name: all
                    cluster: app
                """, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "server.tls.certificates[0].key: is required",
                "server.tls.certificates[0].serverNames: 'bad name' is not a host name or *.suffix wildcard (line 4)",
                "server.tls.protocols: 'SSLv3' is not one of TLSv1.3, TLSv1.2 (line 5)",
                "server.tls.clientAuth.mode: 'sometimes' is not one of none, optional, required (line 6)",
                "server.tls.clientAuth.trustedCa: is required: the CA bundle client certificates must chain to",
                "clusters[0].tls.serverName: '*.wild' is not a host name (line 10)",
                "clusters[0].tls.key: is required with certificate: a client certificate needs its key",
                "clusters[0].tls.sni: unknown key (line 10)");
    }

    @Test
    void aClusterCanSpeakHttp2ButNotWithHealthChecksYet() {
        ProxyConfig config = ConfigReader.read("""
                clusters:
                  - name: grpc
                    endpoints: [ { address: 10.0.0.1:50051 } ]
                    protocol: h2
                  - name: web
                    endpoints: [ { address: 10.0.0.2:80 } ]
                routes:
                  - name: all
                    cluster: grpc
                """, "h2.yaml");
        assertThat(config.cluster("grpc").orElseThrow().protocol()).isEqualTo(UpstreamProtocol.H2);
        assertThat(config.cluster("web").orElseThrow().protocol()).isEqualTo(UpstreamProtocol.HTTP1);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                clusters:
                  - name: grpc
                    endpoints: [ { address: 10.0.0.1:50051 } ]
                    protocol: h2
                  - name: other
                    endpoints: [ { address: 10.0.0.1:50051 } ]
                    protocol: h3
                routes:
                  - name: all
                    cluster: grpc
                """, "bad.yaml"));
        assertThat(e.problems()).containsExactly("clusters[1].protocol: 'h3' is not one of http1, h2 (line 7)");
    }
}
