package dev.proxy.balancer.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.balancer.Balancers;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.Endpoint;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DNS discovery through the running proxy: a real DNS server on loopback whose A records the test changes, and real
 * backends on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (one port, as the pods of a headless Service).
 */
class DnsDiscoveryIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final String NAME = "orders.svc.test";

    @RegisterExtension
    final Closer closer = new Closer();

    private record Running(TestProxy proxy, DnsEndpointSource source, int port) {
        Set<String> endpoints() {
            return proxy.server().snapshot().clusters().get("orders").endpoints().stream()
                    .map(Endpoint::toString).collect(Collectors.toSet());
        }

        void awaitEndpoints(String... hosts) {
            String[] expected = java.util.Arrays.stream(hosts).map(h -> h + ":" + port).toArray(String[]::new);
            await().atMost(BOUND).untilAsserted(() -> assertThat(endpoints()).containsExactlyInAnyOrder(expected));
        }

        /** Who answers {@code n} requests in a row; every one must succeed. */
        Set<String> served(int n) throws Exception {
            Set<String> hosts = new HashSet<>();
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = proxy.get("/");
                assertThat(r.statusCode()).as("request %d: %s", i, r.headers().map()).isEqualTo(200);
                hosts.add(r.body());
            }
            return hosts;
        }
    }

    private Running proxy(LoopbackDnsServer dns, int port) throws Exception {
        return proxy(dns, port, "300ms");
    }

    private Running proxy(LoopbackDnsServer dns, int port, String maxRefresh) throws Exception {
        String yaml = """
                clusters:
                  - name: orders
                    discovery:
                      dns: { name: %s, port: %d, minRefresh: 100ms, maxRefresh: %s, servers: ["%s"] }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: orders
                """.formatted(NAME, port, maxRefresh, dns.address());
        TestProxy proxy = closer.keep(TestProxy.start(yaml, Balancers.factory()));
        DnsEndpointSource source = closer.keep(DnsEndpointSource.of(proxy.server().snapshot().config()).orElseThrow());
        source.start(proxy.server());
        return new Running(proxy, source, port);
    }

    @Test
    void theClusterFollowsTheRecordsAndTrafficReachesTheNewAddresses() throws Exception {
        LoopbackBackends backends = closer.keep(new LoopbackBackends("127.0.0.1", "127.0.0.2", "127.0.0.3"));
        LoopbackDnsServer dns = closer.keep(new LoopbackDnsServer());
        dns.setA(NAME, 1, "127.0.0.1", "127.0.0.2");
        Running running = proxy(dns, backends.port());

        running.awaitEndpoints("127.0.0.1", "127.0.0.2");
        await().atMost(BOUND).until(() -> running.source().status().synced());
        assertThat(running.served(8)).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");

        // a pod added, another gone: the new one gets traffic, the vanished one drains
        dns.setA(NAME, 1, "127.0.0.2", "127.0.0.3");
        running.awaitEndpoints("127.0.0.2", "127.0.0.3");
        assertThat(running.served(8)).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3");

        dns.setA(NAME, 1, "127.0.0.3");
        running.awaitEndpoints("127.0.0.3");
        assertThat(running.served(4)).containsExactly("127.0.0.3");
        DiscoveryStatus status = running.source().status();
        assertThat(status.connected()).isTrue();
        assertThat(status.endpoints()).containsEntry("orders", 1);
        assertThat(status.updatesApplied()).isEqualTo(3);
    }

    @Test
    void theRecordsTtlWithinMinAndMaxRefreshSetsTheNextResolution() throws Exception {
        LoopbackBackends backends = closer.keep(new LoopbackBackends("127.0.0.1", "127.0.0.2"));
        LoopbackDnsServer dns = closer.keep(new LoopbackDnsServer());
        dns.setA(NAME, 0, "127.0.0.1");
        Running running = proxy(dns, backends.port(), "60s");
        running.awaitEndpoints("127.0.0.1");
        // TTL 0: no sooner than minRefresh
        await().atMost(BOUND).until(() -> running.source().nextRefresh("orders").equals(Duration.ofMillis(100)));

        dns.setA(NAME, 2, "127.0.0.1", "127.0.0.2");
        running.awaitEndpoints("127.0.0.1", "127.0.0.2");
        await().atMost(BOUND).until(() -> running.source().nextRefresh("orders").equals(Duration.ofSeconds(2)));

        // a TTL of an hour: no later than maxRefresh
        dns.setA(NAME, 3600, "127.0.0.2");
        running.awaitEndpoints("127.0.0.2");
        await().atMost(BOUND).until(() -> running.source().nextRefresh("orders").equals(Duration.ofSeconds(60)));
        assertThat(running.served(4)).containsExactly("127.0.0.2");
    }

    @Test
    void aDnsServerGoneOrANameGoneKeepsTheLastSetServingAndCountsTheFailures() throws Exception {
        LoopbackBackends backends = closer.keep(new LoopbackBackends("127.0.0.1", "127.0.0.2", "127.0.0.3"));
        LoopbackDnsServer dns = closer.keep(new LoopbackDnsServer());
        dns.setA("other.svc.test", 1, "127.0.0.3");
        dns.setA(NAME, 1, "127.0.0.1", "127.0.0.2");
        Running running = proxy(dns, backends.port());
        running.awaitEndpoints("127.0.0.1", "127.0.0.2");

        // NXDOMAIN: the name no longer resolves, which is a failure, not an empty cluster
        dns.remove(NAME);
        await().atMost(BOUND).until(() -> running.source().status().failures() > 0);
        DiscoveryStatus failing = running.source().status();
        assertThat(failing.connected()).isFalse();
        assertThat(failing.stale()).isTrue();
        assertThat(running.endpoints()).hasSize(2);
        assertThat(running.served(8)).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");

        dns.setA(NAME, 1, "127.0.0.1", "127.0.0.2");
        await().atMost(BOUND).until(() -> running.source().status().connected());

        // the server itself gone: queries time out, the known endpoints keep serving
        long before = running.source().status().failures();
        dns.close();
        await().atMost(BOUND).until(() -> running.source().status().failures() > before);
        assertThat(running.source().status().stale()).isTrue();
        running.awaitEndpoints("127.0.0.1", "127.0.0.2");
        assertThat(running.served(8)).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2");
    }
}
