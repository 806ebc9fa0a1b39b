package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** A replica's local file and the fleet's document from etcd, read together as one routes file. */
class FleetDocumentTest {
    private static final String LOCAL = """
            server:
              listen: 127.0.0.1:8080
            configSource:
              etcd:
                endpoints: ["http://127.0.0.1:2379"]
                prefix: /proxy/fleet
                snapshotFile: /var/cache/proxy/fleet.yaml
            """;
    private static final String FLEET = """
            clusters:
              - name: users
                endpoints: [{ address: "127.0.0.1:9000" }]
            routes:
              - name: all
                cluster: users
            """;

    @Test
    void readsTheLocalFileWithTheFleetDocumentInPlaceOfItsRoutes() {
        ProxyConfig config = ConfigReader.read(LOCAL, "proxy.yaml", FLEET, "etcd /proxy/fleet/config");

        assertThat(config.server().listen()).isEqualTo(HostPort.parse("127.0.0.1:8080"));
        assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("all");
        ConfigSourceConfig source = config.configSource().orElseThrow();
        assertThat(source.key()).isEqualTo("/proxy/fleet/config");
        assertThat(source.etcd().endpoints()).containsExactly(URI.create("http://127.0.0.1:2379"));
        assertThat(ConfigReader.configSource(LOCAL, "proxy.yaml")).contains(source);
    }

    @Test
    void refusesServerKeysInTheFleetDocumentAndRoutesInTheLocalFile() {
        ConfigException e = catchThrowableOfType(() -> ConfigReader.read(LOCAL + """
                routes:
                  - name: local
                    cluster: users
                """, "proxy.yaml", FLEET + """
                server:
                  listen: 0.0.0.0:80
                """, "etcd"), ConfigException.class);

        assertThat(e.problems()).containsExactly(
                "routes: comes from the fleet config in etcd (configSource.etcd); remove it from the local file (line 8)",
                "server: is read from each replica's local file, not from the fleet config in etcd (line 7)");
    }

    @Test
    void reportsEveryProblemOfTheFleetDocumentWithItsPath() {
        ConfigException e = catchThrowableOfType(() -> ConfigReader.read(LOCAL, "proxy.yaml", """
                clusters:
                  - name: users
                    endpoints: [{ address: "127.0.0.1:9000" }]
                routes:
                  - name: a
                    cluster: nowhere
                  - name: b
                    cluster: users
                    retry: { attempts: 0 }
                """, "etcd"), ConfigException.class);

        assertThat(e.getMessage()).startsWith("proxy.yaml + etcd: 2 problems");
        assertThat(e.problems()).hasSize(2);
        assertThat(String.join("\n", e.problems())).contains("routes[0]").contains("routes[1].retry.attempts");
    }

    @Test
    void refusesAPrefixThatEndsWithASlash() {
        ConfigException e = catchThrowableOfType(() -> ConfigReader.configSource("""
                configSource:
                  etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: /proxy/fleet/ }
                """, "proxy.yaml"), ConfigException.class);

        assertThat(e.problems()).containsExactly(
                "configSource.etcd.prefix: must start with / and not end with /, e.g. /proxy/fleet (line 2)");
    }
}
