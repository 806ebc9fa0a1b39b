package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.balancer.etcd.EtcdCluster;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Zones end to end: endpoints registered in a real etcd with their zone and metadata, the assembled proxy in zone
 * {@code a} sending every request to the zone-a endpoint, and the admin API and metrics saying so.
 */
class LocalityAppIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String value(TestBackend b, String zone) {
        return "{\"address\":\"" + b.address() + "\",\"zone\":\"" + zone + "\",\"metadata\":{\"env\":\"prod\"}}";
    }

    @Test
    void discoveredZonesSteerRequestsToTheProxysOwnZone() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend inA = closer.keep(TestBackend.http(TestBackend.ok("a")));
        TestBackend inB = closer.keep(TestBackend.http(TestBackend.ok("b")));
        etcd.put("/services/users/a", value(inA, "zone-a"));
        etcd.put("/services/users/b", value(inB, "zone-b"));
        ProxyApp app = closer.keep(ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                  zone: zone-a
                discovery:
                  etcd: { endpoints: %s }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                    locality: { minLocalHealthyPercent: 70 }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: users
                """.formatted(etcd.yamlEndpoints()), "locality.yaml"), false));
        int traffic = app.proxy().address().getPort();
        int admin = app.admin().address().getPort();
        await().atMost(BOUND).until(() -> app.proxy().snapshot().clusters().get("users").endpoints().size() == 2);

        for (int i = 0; i < 10; i++) {
            assertThat(get(traffic, "/").body()).isEqualTo("a");
        }

        JsonNode users = JSON.readTree(get(admin, "/clusters").body()).at("/clusters/0");
        assertThat(users.at("/locality/localZone").asText()).isEqualTo("zone-a");
        assertThat(users.at("/locality/percentByZone/zone-a").asDouble()).isEqualTo(100.0);
        assertThat(users.at("/locality/percentByZone/zone-b").asDouble()).isEqualTo(0.0);
        assertThat(users.at("/locality/reason").asText()).startsWith("local zone healthy");
        assertThat(users.get("endpoints")).anySatisfy(e -> {
            assertThat(e.get("address").asText()).isEqualTo(inB.address());
            assertThat(e.get("zone").asText()).isEqualTo("zone-b");
            assertThat(e.at("/labels/env").asText()).isEqualTo("prod");
        });

        JsonNode explained = JSON.readTree(get(admin, "/routes?path=/").body());
        assertThat(explained.at("/clusters/0/zone").asText()).isEqualTo("zone-a");
        assertThat(explained.at("/clusters/0/locality/localZone").asText()).isEqualTo("zone-a");

        String metrics = get(admin, "/metrics").body();
        assertThat(metrics).containsPattern(
                "proxy_upstream_zone_picks_total\\{cluster=\"users\",zone_locality=\"local\"} 1[0-9]\\.0");
        assertThat(metrics).doesNotContain("zone_locality=\"remote\"");

        // the local endpoint leaves etcd: every request crosses to zone b
        etcd.delete("/services/users/a");
        await().atMost(BOUND).until(() -> app.proxy().snapshot().clusters().get("users").endpoints().size() == 1);
        assertThat(get(traffic, "/").body()).isEqualTo("b");
        assertThat(get(admin, "/metrics").body()).contains(
                "proxy_upstream_zone_picks_total{cluster=\"users\",zone_locality=\"remote\"} 1.0");
    }
}
