package dev.proxy.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each policy, chosen in YAML, through the running proxy with real backends. */
class BalancerIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    /** Backends that answer with their own name, so the client sees who served it. */
    private List<TestBackend> named(String... names) throws InterruptedException {
        List<TestBackend> backends = new ArrayList<>();
        for (String name : names) {
            backends.add(closer.keep(TestBackend.http(TestBackend.ok(name))));
        }
        return backends;
    }

    private static String yaml(String balancer, List<TestBackend> backends, int... weights) {
        StringBuilder endpoints = new StringBuilder();
        for (int i = 0; i < backends.size(); i++) {
            int w = weights.length > i ? weights[i] : 1;
            endpoints.append("      - { address: ").append(backends.get(i).address()).append(", weight: ").append(w)
                    .append(" }\n");
        }
        return """
                clusters:
                  - name: b
                    balancer: %s
                    endpoints:
                %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(balancer, endpoints);
    }

    /** Sends {@code n} requests one after another on one client connection and counts who answered. */
    private static Map<String, Integer> countSequential(TestProxy proxy, int n, String extraHeaders) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < n; i++) {
                String body = c.send("GET /r" + i + " HTTP/1.1\r\nHost: a\r\n" + extraHeaders + "\r\n")
                        .readResponse().body();
                counts.merge(body, 1, Integer::sum);
            }
        }
        return counts;
    }

    @Test
    void smoothWeightedRoundRobinHonoursWeightsExactly() throws Exception {
        List<TestBackend> b = named("a", "b", "c");
        TestProxy proxy = closer.keep(TestProxy.start(yaml("{ policy: weighted_round_robin }", b, 5, 1, 1),
                Balancers.factory()));
        assertThat(countSequential(proxy, 70, "")).containsExactlyInAnyOrderEntriesOf(Map.of("a", 50, "b", 10, "c", 10));
    }

    @Test
    void leastRequestSteersAwayFromASlowBackend() throws Exception {
        TestBackend fast = closer.keep(TestBackend.http(TestBackend.ok("fast")));
        TestBackend slow = closer.keep(TestBackend.http((ctx, req) -> {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            ctx.executor().schedule(() -> ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "slow", keepAlive)),
                    200, TimeUnit.MILLISECONDS);
        }));
        TestProxy proxy = closer.keep(TestProxy.start(yaml("{ policy: least_request }", List.of(fast, slow)),
                Balancers.factory()));
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<Map<String, Integer>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(clients.submit(() -> {
                    Map<String, Integer> counts = new HashMap<>();
                    for (int i = 0; i < 25; i++) {
                        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/x"))
                                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                        counts.merge(r.body(), 1, Integer::sum);
                    }
                    return counts;
                }));
            }
            int fastCount = 0;
            int slowCount = 0;
            for (Future<Map<String, Integer>> f : results) {
                Map<String, Integer> m = f.get(120, TimeUnit.SECONDS);
                fastCount += m.getOrDefault("fast", 0);
                slowCount += m.getOrDefault("slow", 0);
            }
            assertThat(fastCount + slowCount).isEqualTo(200);
            // round robin would give the slow backend half; with its requests piling up, P2C sends it far fewer
            assertThat(slowCount).isLessThan(50);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void ringHashKeepsAKeyOnOneBackendAcrossAReloadThatKeepsMembership() throws Exception {
        List<TestBackend> b = named("a", "b", "c", "d");
        String config = yaml("{ policy: ring_hash, hashOn: { header: x-user } }", b);
        TestProxy proxy = closer.keep(TestProxy.start(config, Balancers.factory()));
        Map<String, String> owner = new HashMap<>();
        for (int u = 0; u < 40; u++) {
            Map<String, Integer> counts = countSequential(proxy, 3, "x-user: user-" + u + "\r\n");
            assertThat(counts).hasSize(1);
            owner.put("user-" + u, counts.keySet().iterator().next());
        }
        assertThat(owner.values()).as("40 keys spread over the backends").containsAll(List.of("a", "b", "c", "d"));

        // a reload that changes routes but not the cluster's membership (here: the whole cluster is rebuilt
        // because its pool settings change) must not move any key
        String reloaded = config.replace("    balancer:", "    pool: { maxIdleTime: 20s }\n    balancer:")
                .replace("  - name: all\n", "  - name: extra\n    match: { path: /never }\n    cluster: b\n  - name: all\n");
        proxy.server().apply(ConfigReader.read("server:\n  listen: 127.0.0.1:0\n" + reloaded, "reload.yaml"));
        for (int u = 0; u < 40; u++) {
            Map<String, Integer> counts = countSequential(proxy, 1, "x-user: user-" + u + "\r\n");
            assertThat(counts.keySet()).containsExactly(owner.get("user-" + u));
        }
    }

    @Test
    void maglevKeepsACookieOnOneBackend() throws Exception {
        List<TestBackend> b = named("a", "b", "c");
        TestProxy proxy = closer.keep(TestProxy.start(yaml("{ policy: maglev, hashOn: { cookie: session } }", b),
                Balancers.factory()));
        Map<String, String> owner = new HashMap<>();
        for (int s = 0; s < 30; s++) {
            Map<String, Integer> counts = countSequential(proxy, 3, "Cookie: theme=dark; session=s" + s + "\r\n");
            assertThat(counts).hasSize(1);
            owner.put("s" + s, counts.keySet().iterator().next());
        }
        assertThat(owner.values()).containsAll(List.of("a", "b", "c"));
        // without the cookie the requests are spread, not pinned
        assertThat(countSequential(proxy, 30, "")).hasSize(3);
    }

    @Test
    void randomReachesEveryBackend() throws Exception {
        List<TestBackend> b = named("a", "b", "c");
        TestProxy proxy = closer.keep(TestProxy.start(yaml("{ policy: random }", b), Balancers.factory()));
        // each backend misses 300 uniform picks with probability (2/3)^300, about 1e-53
        assertThat(countSequential(proxy, 300, "")).containsOnlyKeys("a", "b", "c");
    }
}
