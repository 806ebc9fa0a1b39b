package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.balancer.dns.LoopbackBackends;
import dev.proxy.balancer.dns.LoopbackDnsServer;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The assembled proxy with DNS discovery against a real DNS server on loopback: readiness waits for the first
 * resolution, traffic follows the records, and a DNS server gone leaves the proxy ready but degraded, serving the
 * last known endpoints, with the failures in {@code /status} and {@code /metrics}.
 */
class DnsDiscoveryAppIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final String NAME = "orders.svc.test";

    @RegisterExtension
    final Closer closer = new Closer();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Set<String> served(int port, int n) throws Exception {
        Set<String> hosts = new HashSet<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = get(port, "/");
            assertThat(r.statusCode()).as("request %d: %s", i, r.headers().map()).isEqualTo(200);
            hosts.add(r.body());
        }
        return hosts;
    }

    @Test
    void readinessWaitsForTheFirstResolutionAndADnsOutageKeepsTheLastSetServing() throws Exception {
        LoopbackBackends backends = closer.keep(new LoopbackBackends("127.0.0.1", "127.0.0.2", "127.0.0.3"));
        LoopbackDnsServer dns = closer.keep(new LoopbackDnsServer());
        ProxyApp app = closer.keep(ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: orders
                    discovery:
                      dns: { name: %s, port: %d, minRefresh: 100ms, maxRefresh: 300ms, servers: ["%s"] }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: orders
                """.formatted(NAME, backends.port(), dns.address()), "dns.yaml"), false));
        int traffic = app.proxy().address().getPort();
        int admin = app.admin().address().getPort();

        // the name does not resolve yet (NXDOMAIN): nothing to serve, and readiness says why
        await().atMost(BOUND).until(() -> app.discovery().orElseThrow().status().failures() > 0);
        HttpResponse<String> notReady = get(admin, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("discovery not synced");
        assertThat(get(traffic, "/").statusCode()).isEqualTo(503);

        dns.setA(NAME, 1, "127.0.0.1", "127.0.0.2");
        await().atMost(BOUND).until(() -> get(admin, "/readyz").statusCode() == 200);
        await().atMost(BOUND).until(() -> app.discovery().orElseThrow().status().connected());
        assertThat(served(traffic, 8)).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");

        dns.setA(NAME, 1, "127.0.0.3");
        await().atMost(BOUND).untilAsserted(() -> assertThat(served(traffic, 4)).containsExactly("127.0.0.3"));

        dns.close();
        await().atMost(BOUND).untilAsserted(() -> {
            HttpResponse<String> degraded = get(admin, "/readyz");
            assertThat(degraded.statusCode()).isEqualTo(200);
            assertThat(degraded.body()).contains("degraded: discovery stale");
        });
        assertThat(served(traffic, 4)).containsExactly("127.0.0.3");
        JsonNode status = new ObjectMapper().readTree(get(admin, "/status").body()).get("discovery");
        assertThat(status.get("stale").asBoolean()).isTrue();
        assertThat(status.get("failures").asLong()).isPositive();
        JsonNode cluster = new ObjectMapper().readTree(get(admin, "/clusters").body());
        assertThat(cluster.toString()).contains("\"dnsName\":\"" + NAME + "\"", "127.0.0.3:" + backends.port());
        String metrics = get(admin, "/metrics").body();
        assertThat(metrics).contains("proxy_discovery_endpoints{cluster=\"orders\"} 1", "proxy_discovery_stale 1");
        assertThat(metrics).containsPattern("proxy_discovery_failures_total [1-9]");
    }
}
