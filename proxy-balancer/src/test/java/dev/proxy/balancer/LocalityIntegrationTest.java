package dev.proxy.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Zone-aware balancing through the running proxy: real backends in two zones, active health checks taking local
 * ones out, and the requests following the split.
 */
class LocalityIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    /** Answers with {@code name}; its /health answers 503 while {@code sick} is set. */
    private TestBackend backend(String name, AtomicBoolean sick) throws InterruptedException {
        return closer.keep(TestBackend.http((ctx, req) -> {
            boolean failing = req.uri().equals("/health") && sick.get();
            ctx.writeAndFlush(TestBackend.text(failing ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                    name, HttpUtil.isKeepAlive(req)));
        }));
    }

    /** Sends {@code n} requests on one connection and counts who answered. */
    private static Map<String, Integer> served(TestProxy proxy, int n) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < n; i++) {
                RawHttp.Response r = c.send("GET /app HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
                assertThat(r.status()).isEqualTo(200);
                counts.merge(r.body(), 1, Integer::sum);
            }
        }
        return counts;
    }

    @Test
    void prefersTheLocalZoneAndSpillsAsItsHealthyShareFalls() throws Exception {
        AtomicBoolean a1Sick = new AtomicBoolean();
        AtomicBoolean a2Sick = new AtomicBoolean();
        TestBackend a1 = backend("a1", a1Sick);
        TestBackend a2 = backend("a2", a2Sick);
        TestBackend b1 = backend("b1", new AtomicBoolean());
        TestProxy proxy = closer.keep(TestProxy.start("""
                server: { zone: zone-a }
                clusters:
                  - name: c
                    endpoints:
                      - { address: %s, zone: zone-a }
                      - { address: %s, zone: zone-a }
                      - { address: %s, zone: zone-b }
                    locality: { minLocalHealthyPercent: 100 }
                    healthCheck: { path: /health, interval: 100ms, timeout: 5s, healthyThreshold: 1, unhealthyThreshold: 1 }
                routes:
                  - name: all
                    match: { pathPrefix: /app }
                    cluster: c
                """.formatted(a1.address(), a2.address(), b1.address()), Balancers.factory()));
        Cluster cluster = proxy.server().snapshot().clusters().get("c");

        assertThat(served(proxy, 40)).isEqualTo(Map.of("a1", 20, "a2", 20));

        // one local endpoint out: the local zone is 50% healthy against a 100% minimum, so half the requests spill
        a1Sick.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.isAvailable(cluster.endpoints().get(0)));
        ZoneSplit split = cluster.balancer().zoneSplit().orElseThrow();
        assertThat(split.percentByZone()).containsExactly(Map.entry("zone-a", 50.0), Map.entry("zone-b", 50.0));
        Map<String, Integer> spilling = served(proxy, 200);
        assertThat(spilling).containsOnlyKeys("a2", "b1");

        // the whole local zone out: everything goes to the other zone
        a2Sick.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.isAvailable(cluster.endpoints().get(1)));
        assertThat(served(proxy, 20)).isEqualTo(Map.of("b1", 20));

        // back to health: back home
        a1Sick.set(false);
        a2Sick.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.availableCount() == 3);
        assertThat(served(proxy, 20)).isEqualTo(Map.of("a1", 10, "a2", 10));
    }

    @Test
    void withoutAZoneOfItsOwnTheProxyBalancesOverEveryZone() throws Exception {
        TestBackend a1 = backend("a1", new AtomicBoolean());
        TestBackend b1 = backend("b1", new AtomicBoolean());
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: c
                    endpoints:
                      - { address: %s, zone: zone-a }
                      - { address: %s, zone: zone-b }
                    locality: { enabled: true }
                routes:
                  - name: all
                    match: { pathPrefix: /app }
                    cluster: c
                """.formatted(a1.address(), b1.address()), Balancers.factory()));
        assertThat(proxy.server().snapshot().clusters().get("c").balancer().zoneSplit()).isEmpty();
        assertThat(served(proxy, 10)).isEqualTo(Map.of("a1", 5, "b1", 5));
    }
}
