package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code discovery} keys: the etcd connection at the top of the file and a cluster's prefix. */
class DiscoveryReaderTest {
    private static final String ROUTES = """
            routes:
              - name: all
                cluster: users
            """;

    @Test
    void readsTheEtcdConnectionAndTheClusterPrefix() {
        ProxyConfig config = ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["https://etcd-0:2379", "https://etcd-1:2379"]
                    connectTimeout: 500ms
                    requestTimeout: 4s
                    auth: { username: proxy, passwordFile: /etc/proxy/etcd-password }
                    tls: { trustedCa: /ca.crt, certificate: /client.crt, key: /client.key }
                    snapshotFile: /var/lib/proxy/endpoints.json
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "etcd.yaml");

        assertThat(config.etcd()).contains(new EtcdConfig(
                List.of(URI.create("https://etcd-0:2379"), URI.create("https://etcd-1:2379")),
                Optional.of("proxy"), Optional.empty(), Optional.of(Path.of("/etc/proxy/etcd-password")),
                Optional.of(Path.of("/ca.crt")), Optional.of(Path.of("/client.crt")), Optional.of(Path.of("/client.key")),
                Duration.ofMillis(500), Duration.ofSeconds(4), Optional.of(Path.of("/var/lib/proxy/endpoints.json"))));
        ClusterConfig users = config.clusters().get(0);
        assertThat(users.discovered()).isTrue();
        assertThat(users.etcdPrefix()).contains("/services/users/");
        assertThat(users.endpoints()).isEmpty();
    }

    @Test
    void readsAFallbackEtcdWithItsOwnConnectionAndDelays() {
        ProxyConfig config = ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["http://etcd-eu:2379"]
                    snapshotFile: /var/lib/proxy/endpoints.json
                    fallback:
                      endpoints: ["https://etcd-us:2379"]
                      auth: { username: proxy, passwordFile: /us-password }
                      failoverAfter: 45s
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "etcd.yaml");

        EtcdFallbackConfig fallback = config.etcd().orElseThrow().fallback().orElseThrow();
        assertThat(fallback.connection().endpoints()).containsExactly(URI.create("https://etcd-us:2379"));
        assertThat(fallback.connection().username()).contains("proxy");
        assertThat(fallback.connection().snapshotFile()).isEmpty();
        assertThat(fallback.failoverAfter()).isEqualTo(Duration.ofSeconds(45));
        assertThat(fallback.failbackAfter()).isEqualTo(EtcdFallbackConfig.DEFAULT_FAILBACK_AFTER);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["http://etcd-eu:2379"]
                    fallback:
                      snapshotFile: /other.json
                      failoverAfter: 0s
                      fallback: { endpoints: ["http://etcd-ap:2379"] }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "etcd.yaml"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("discovery.etcd.fallback.endpoints: is required"))
                .contains("discovery.etcd.fallback.snapshotFile: unknown key (line 5)",
                        "discovery.etcd.fallback.fallback: unknown key (line 7)")
                .anySatisfy(p -> assertThat(p).startsWith("discovery.etcd.fallback.failoverAfter:"));
    }

    @Test
    void appliesDefaultsAndNeverPrintsThePassword() {
        ProxyConfig config = ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["http://127.0.0.1:2379"]
                    auth: { username: proxy, password: s3cret }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "etcd.yaml");

        EtcdConfig etcd = config.etcd().orElseThrow();
        assertThat(etcd.connectTimeout()).isEqualTo(EtcdConfig.DEFAULT_CONNECT_TIMEOUT);
        assertThat(etcd.requestTimeout()).isEqualTo(EtcdConfig.DEFAULT_REQUEST_TIMEOUT);
        assertThat(etcd.snapshotFile()).isEmpty();
        assertThat(etcd.password()).contains("s3cret");
        assertThat(etcd.toString()).doesNotContain("s3cret").contains("<redacted>");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void aFileWithoutDiscoveryHasNoEtcdConnection() {
        ProxyConfig config = ConfigReader.read("""
                clusters:
                  - name: users
                    endpoints: [ { address: 10.0.0.1:80 } ]
                """ + ROUTES, "static.yaml");
        assertThat(config.etcd()).isEmpty();
        assertThat(config.clusters().get(0).discovered()).isFalse();
    }

    @Test
    void reportsEveryDiscoveryProblemWithItsPath() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["etcd-0:2379", "http://etcd-1", "https://etcd-2:2379/v3"]
                    requestTimeout: 0s
                    auth: { username: proxy }
                    tls: { certificate: /client.crt }
                    color: blue
                  consul: {}
                clusters:
                  - name: users
                    endpoints: [ { address: 10.0.0.1:80 } ]
                    discovery: { etcd: { prefix: /services/users/ } }
                  - name: orders
                    discovery: { etcd: {} }
                """ + ROUTES, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "discovery.etcd.endpoints: 'etcd-0:2379' must start with http:// or https:// (line 3)",
                "discovery.etcd.endpoints: 'http://etcd-1' needs a host and a port, e.g. http://etcd-0:2379 (line 3)",
                "discovery.etcd.endpoints: 'https://etcd-2:2379/v3' must not have a path (line 3)",
                "discovery.etcd.requestTimeout: must be greater than 0 (line 4)",
                "discovery.etcd.auth: give exactly one of password and passwordFile",
                "discovery.etcd.tls.key: is required with certificate: a client certificate needs its key",
                "discovery.etcd.color: unknown key (line 7)",
                "discovery.consul: unknown key (line 8)",
                "clusters[0].endpoints: give either endpoints or discovery, not both (line 11)",
                "clusters[1].discovery.etcd.prefix: is required");
    }

    @Test
    void aDiscoveredClusterNeedsTheEtcdConnection() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactly("clusters[0].discovery: needs the etcd connection: add "
                + "discovery.etcd.endpoints at the top of the file (line 3)");
    }

    @Test
    void tlsNeedsHttpsEndpoints() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                discovery:
                  etcd:
                    endpoints: ["http://etcd-0:2379"]
                    tls: { trustedCa: /ca.crt }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                """ + ROUTES, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactly(
                "discovery.etcd.tls: is set but the endpoints are http://; use https:// URLs (line 4)");
    }

    @Test
    void readsADnsClusterWithItsDefaultsAndNeedsNoEtcdConnection() {
        ProxyConfig config = ConfigReader.read("""
                clusters:
                  - name: users
                    discovery:
                      dns: { name: users.default.svc.cluster.local, port: 8080, servers: ["10.96.0.10:53", "[::1]:5353"] }
                  - name: orders
                    discovery:
                      dns: { name: orders.internal, port: 80, minRefresh: 1s, maxRefresh: 10s }
                """ + ROUTES, "dns.yaml");

        assertThat(config.etcd()).isEmpty();
        assertThat(config.etcdPrefixes()).isEmpty();
        ClusterConfig users = config.clusters().get(0);
        assertThat(users.discovered()).isTrue();
        assertThat(users.endpoints()).isEmpty();
        assertThat(users.dns()).contains(new DnsDiscoveryConfig("users.default.svc.cluster.local", 8080,
                Duration.ofSeconds(5), Duration.ofSeconds(60),
                List.of(new HostPort("10.96.0.10", 53), new HostPort("::1", 5353))));
        assertThat(config.dnsClusters().get("orders")).isEqualTo(new DnsDiscoveryConfig("orders.internal", 80,
                Duration.ofSeconds(1), Duration.ofSeconds(10), List.of()));
    }

    @Test
    void theTtlIsKeptBetweenMinAndMaxRefresh() {
        DnsDiscoveryConfig dns = new DnsDiscoveryConfig("a.test", 80, Duration.ofSeconds(5), Duration.ofSeconds(60),
                List.of());

        assertThat(dns.refreshAfter(Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
        assertThat(dns.refreshAfter(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(30));
        assertThat(dns.refreshAfter(Duration.ofDays(1))).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void reportsEveryDnsProblemWithItsPath() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                clusters:
                  - name: users
                    discovery: { dns: { port: 80 } }
                  - name: b
                    discovery: { dns: { name: b.test, port: 0, minRefresh: 10s, maxRefresh: 5s } }
                  - name: c
                    discovery: { dns: { name: c.test, servers: ["dns.local:53", "nonsense"] } }
                  - name: d
                    discovery: { dns: { name: d.test, port: 80 }, etcd: { prefix: /d/ } }
                  - name: e
                    discovery: {}
                """ + ROUTES, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "clusters[0].discovery.dns.name: is required",
                "clusters[1].discovery.dns.port: must be between 1 and 65535, was 0 (line 5)",
                "clusters[1].discovery.dns.maxRefresh: must not be shorter than minRefresh (line 5)",
                "clusters[2].discovery.dns.port: is required",
                "clusters[2].discovery.dns.servers: 'dns.local:53' must be an IP address and port, e.g. 10.96.0.10:53"
                        + " (line 7)",
                "clusters[2].discovery.dns.servers: 'nonsense' is not host:port (line 7)",
                "clusters[3].discovery: give exactly one of etcd and dns",
                "clusters[4].discovery: give exactly one of etcd and dns");
    }
}
