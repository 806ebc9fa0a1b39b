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

    private static String value(TestBackend b, String zone, String env) {
        return "{\"address\":\"" + b.address() + "\",\"zone\":\"" + zone + "\",\"metadata\":{\"env\":\"" + env
                + "\"}}";
    }

    @Test
    void discoveredZonesSteerRequestsToTheProxysOwnZone() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend inA = closer.keep(TestBackend.http(TestBackend.ok("a")));
        TestBackend inB = closer.keep(TestBackend.http(TestBackend.ok("b")));
        etcd.put("/services/users/a", value(inA, "zone-a", "prod"));
        etcd.put("/services/users/b", value(inB, "zone-b", "canary"));
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
                  - name: canary
                    match: { pathPrefix: /canary }
                    cluster: users
                    endpointSelector: { env: canary }
                    subsetFallback: fail
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
            assertThat(e.at("/labels/env").asText()).isEqualTo("canary");
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

        // the canary route selects by the metadata registered in etcd; its subset has no local endpoint
        assertThat(get(traffic, "/canary").body()).isEqualTo("b");
        JsonNode canary = JSON.readTree(get(admin, "/routes").body()).at("/routes/0");
        assertThat(canary.at("/endpointSelector/env").asText()).isEqualTo("canary");
        assertThat(canary.at("/subsetFallback").asText()).isEqualTo("fail");
        assertThat(canary.at("/clusters/0/subset").asText()).isEqualTo("env=canary: 1 of 1 endpoints");
        JsonNode why = JSON.readTree(get(admin, "/routes?path=/canary").body());
        assertThat(why.at("/clusters/0/subset").asText()).isEqualTo("env=canary: 1 of 1 endpoints");
        assertThat(why.at("/clusters/0/locality/reason").asText()).isEqualTo("no endpoint in the local zone");

        // the canary leaves etcd: the route that may not fall back says why it has nothing to send to
        etcd.delete("/services/users/b");
        await().atMost(BOUND).until(() -> app.proxy().snapshot().clusters().get("users").endpoints().isEmpty());
        HttpResponse<String> refused = get(traffic, "/canary");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("x-proxy-error")).hasValue("no_subset_endpoint");
        assertThat(get(traffic, "/").headers().firstValue("x-proxy-error")).hasValue("no_endpoint");
        assertThat(get(admin, "/metrics").body()).contains(
                "proxy_errors_total{reason=\"no_subset_endpoint\",route=\"canary\"} 1.0");
    }
}
