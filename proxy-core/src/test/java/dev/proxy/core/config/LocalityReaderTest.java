package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The keys of zones and labels: server.zone and PROXY_ZONE, endpoint zone and labels, a cluster's locality. */
class LocalityReaderTest {
    private static final String FILE = """
            server: { %s }
            clusters:
              - name: app
                endpoints:
                  - { address: 10.0.0.1:80, zone: eu-1a, labels: { env: canary, version: 2, app.kubernetes.io/part-of: shop } }
                  - { address: 10.0.0.2:80 }
                %s
            routes:
              - name: r
                cluster: app
            """;

    private static ProxyConfig read(String server, String cluster, Map<String, String> env) {
        return ConfigReader.read(FILE.formatted(server, cluster), "test.yaml", env);
    }

    private static List<String> problems(String server, String cluster, Map<String, String> env) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> read(server, cluster, env));
        assertThat(e).isNotNull();
        return e.problems();
    }

    @Test
    void theZoneComesFromTheFileElseFromProxyZoneElseIsUnknown() {
        assertThat(read("zone: eu-1a", "", Map.of("PROXY_ZONE", "eu-1b")).server().zone()).contains("eu-1a");
        assertThat(read("", "", Map.of("PROXY_ZONE", "eu-1b")).server().zone()).contains("eu-1b");
        // the downward API gives an empty value when the pod has no zone label
        assertThat(read("", "", Map.of("PROXY_ZONE", "")).server().zone()).isEmpty();
        assertThat(read("", "", Map.of()).server().zone()).isEmpty();
        assertThat(problems("", "", Map.of("PROXY_ZONE", "eu 1b"))).containsExactly(
                "server.zone: 'eu 1b' (from PROXY_ZONE) is not a zone name: up to 63 letters, digits, '-', '_' and '.'");
    }

    @Test
    void endpointsCarryTheirZoneAndLabels() {
        ClusterConfig app = read("", "", Map.of()).clusters().get(0);
        assertThat(app.endpoints().get(0)).isEqualTo(new EndpointConfig(HostPort.parse("10.0.0.1:80"), 1,
                Optional.of("eu-1a"), Map.of("env", "canary", "version", "2", "app.kubernetes.io/part-of", "shop")));
        assertThat(app.endpoints().get(1).zone()).isEmpty();
        assertThat(app.endpoints().get(1).labels()).isEmpty();
        assertThat(app.locality()).isEqualTo(LocalityConfig.DISABLED);
    }

    @Test
    void localityIsOnWhenGivenWithItsThreshold() {
        assertThat(read("", "locality: {}", Map.of()).clusters().get(0).locality())
                .isEqualTo(new LocalityConfig(true, 70));
        assertThat(read("", "locality: { enabled: false, minLocalHealthyPercent: 100 }", Map.of()).clusters().get(0)
                .locality()).isEqualTo(new LocalityConfig(false, 100));
        assertThat(problems("", "locality: { minLocalHealthyPercent: 101, spill: true }", Map.of())).containsExactly(
                "clusters[0].locality.minLocalHealthyPercent: must be between 0 and 100, was 101 (line 7)",
                "clusters[0].locality.spill: unknown key (line 7)");
    }

    @Test
    void reportsBadZonesAndLabels() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints:
                      - { address: 10.0.0.3:80, zone: "a b", labels: { "bad key": x, env: "-x", empty: } }
                routes:
                  - name: r
                    cluster: app
                """, "test.yaml", Map.of()));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "clusters[0].endpoints[0].zone: 'a b' is not a zone name: up to 63 letters, digits, '-', '_' and '.'"
                        + " (line 4)",
                "clusters[0].endpoints[0].labels.empty: needs a value (an empty one would silently match everything)"
                        + " (line 4)",
                "clusters[0].endpoints[0].labels: 'bad key' is not a label name: letters, digits, '-', '_' and '.',"
                        + " with an optional DNS prefix and '/' (line 4)",
                "clusters[0].endpoints[0].labels: '-x' (label env) is not a label value: up to 63 letters, digits,"
                        + " '-', '_' and '.' (line 4)");
    }

    @Test
    void readsARoutesEndpointSelectorAndItsFallback() {
        String file = """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - { name: a, cluster: app, endpointSelector: { env: canary } }
                  - { name: b, cluster: app, endpointSelector: { env: canary, version: 2 }, subsetFallback: fail }
                  - { name: c, cluster: app }
                """;
        List<RouteConfig> routes = ConfigReader.read(file, "test.yaml", Map.of()).routes();
        assertThat(routes.get(0).endpointSelector()).contains(new EndpointSelector(Map.of("env", "canary"),
                EndpointSelector.Fallback.ANY));
        assertThat(routes.get(1).endpointSelector()).contains(new EndpointSelector(
                Map.of("env", "canary", "version", "2"), EndpointSelector.Fallback.FAIL));
        assertThat(routes.get(1).endpointSelector().orElseThrow().describe()).isEqualTo("env=canary,version=2");
        assertThat(routes.get(2).endpointSelector()).isEmpty();

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - { name: a, cluster: app, endpointSelector: {} }
                  - { name: b, cluster: app, endpointSelector: { env: x }, subsetFallback: default }
                  - { name: c, cluster: app, subsetFallback: fail }
                  - { name: d, directResponse: { status: 200 }, endpointSelector: { env: x } }
                """, "test.yaml", Map.of()));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "routes[0].endpointSelector: name at least one label, e.g. { env: canary } (line 5)",
                "routes[1].subsetFallback: 'default' is not one of any, fail (line 6)",
                "routes[2].subsetFallback: applies with an endpointSelector only (line 7)",
                "routes[3].endpointSelector: a route that answers itself has no endpoints to select (line 8)");
    }
}
