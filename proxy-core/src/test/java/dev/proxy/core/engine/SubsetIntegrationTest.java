package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.EndpointSelector;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routes that select endpoints by label, through the running proxy, and what they do when nothing matches. */
class SubsetIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestBackend backend(String name) throws InterruptedException {
        return closer.keep(TestBackend.http(TestBackend.ok(name)));
    }

    /** Sends {@code n} requests to {@code path} on one connection; counts bodies, and 503s by their reason. */
    private static Map<String, Integer> served(TestProxy proxy, String path, int n) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < n; i++) {
                RawHttp.Response r = c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
                String key = r.status() == 200 ? r.body() : r.status() + " " + r.header("x-proxy-error");
                counts.merge(key, 1, Integer::sum);
            }
        }
        return counts;
    }

    @Test
    void aRouteGetsOnlyTheEndpointsWithItsLabelsAndFallsBackAsItSays() throws Exception {
        TestBackend prod1 = backend("prod1");
        TestBackend prod2 = backend("prod2");
        TestBackend canary = backend("canary");
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints:
                      - { address: %s, labels: { env: prod } }
                      - { address: %s, labels: { env: prod } }
                      - { address: %s, labels: { env: canary, version: "2" } }
                routes:
                  - name: canary
                    match: { pathPrefix: /canary }
                    cluster: app
                    endpointSelector: { env: canary }
                  - name: v3-or-any
                    match: { pathPrefix: /v3-any }
                    cluster: app
                    endpointSelector: { version: "3" }
                  - name: v3-only
                    match: { pathPrefix: /v3-only }
                    cluster: app
                    endpointSelector: { version: "3" }
                    subsetFallback: fail
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(prod1.address(), prod2.address(), canary.address())));

        assertThat(served(proxy, "/canary", 6)).isEqualTo(Map.of("canary", 6));
        assertThat(served(proxy, "/", 6)).isEqualTo(Map.of("prod1", 2, "prod2", 2, "canary", 2));
        // no endpoint has version 3: the preference falls back to the whole cluster, the requirement fails
        assertThat(served(proxy, "/v3-any", 6)).isEqualTo(Map.of("prod1", 2, "prod2", 2, "canary", 2));
        assertThat(served(proxy, "/v3-only", 2)).isEqualTo(Map.of("503 no_subset_endpoint", 2));
        assertThat(canary.requestCount() + prod1.requestCount() + prod2.requestCount()).isEqualTo(18);

        RouteTarget v3 = proxy.server().snapshot().target("v3-only").orElseThrow();
        assertThat(v3.clusters().get(0).subsetDecision())
                .contains("version=3: no endpoint matches, fallback fail: 503 no_subset_endpoint");
        assertThat(proxy.server().snapshot().target("canary").orElseThrow().clusters().get(0).subsetDecision())
                .contains("env=canary: 1 of 3 endpoints");
        assertThat(proxy.server().snapshot().target("all").orElseThrow().clusters().get(0).subsetDecision())
                .isEmpty();
    }

    @Test
    void theSubsetFollowsTheDiscoveredEndpointSet() throws Exception {
        TestBackend prod = backend("prod");
        TestBackend canary = backend("canary");
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    discovery: { dns: { name: app.test, port: 80 } }
                routes:
                  - name: canary
                    match: { pathPrefix: /canary }
                    cluster: app
                    endpointSelector: { env: canary }
                    subsetFallback: fail
                """));
        EndpointConfig prodEndpoint = new EndpointConfig(HostPort.parse(prod.address()), 1, Optional.empty(),
                Map.of("env", "prod"));
        proxy.server().updateEndpoints("app", List.of(prodEndpoint));
        assertThat(served(proxy, "/canary", 2)).isEqualTo(Map.of("503 no_subset_endpoint", 2));

        // a canary registers: the next snapshot's view holds it, and the pool of the prod endpoint is kept
        var prodPool = proxy.server().snapshot().clusters().get("app").pool(
                proxy.server().snapshot().clusters().get("app").endpoints().get(0));
        proxy.server().updateEndpoints("app", List.of(prodEndpoint, new EndpointConfig(
                HostPort.parse(canary.address()), 1, Optional.empty(), Map.of("env", "canary"))));
        assertThat(served(proxy, "/canary", 3)).isEqualTo(Map.of("canary", 3));
        assertThat(proxy.server().snapshot().clusters().get("app").pool(
                proxy.server().snapshot().clusters().get("app").endpoints().get(0))).isSameAs(prodPool);
        assertThat(prod.requestCount()).isZero();

        // a reload whose routes no longer select: the cluster, carried over unchanged, forgets its view
        Cluster cluster = proxy.server().snapshot().clusters().get("app");
        Cluster view = proxy.server().snapshot().target("canary").orElseThrow().clusters().get(0);
        EndpointSelector canarySelector = new EndpointSelector(Map.of("env", "canary"),
                EndpointSelector.Fallback.FAIL);
        assertThat(cluster.subset(canarySelector)).isSameAs(view);
        proxy.server().apply(ConfigReader.read("""
                clusters:
                  - name: app
                    discovery: { dns: { name: app.test, port: 80 } }
                routes:
                  - name: canary
                    match: { pathPrefix: /canary }
                    cluster: app
                """, "reload.yaml"));
        assertThat(proxy.server().snapshot().clusters().get("app")).isSameAs(cluster);
        assertThat(cluster.subset(canarySelector)).isNotSameAs(view);
        assertThat(served(proxy, "/canary", 4)).isEqualTo(Map.of("prod", 2, "canary", 2));
    }

    @Test
    void aWeightedSplitBetweenTwoSubsetsOfOneClusterIsACanaryByLabel() throws Exception {
        TestBackend prod = backend("prod");
        TestBackend canary = backend("canary");
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints:
                      - { address: %s, labels: { env: prod } }
                      - { address: %s, labels: { env: canary } }
                routes:
                  - name: split
                    match: { pathPrefix: / }
                    weightedClusters:
                      - { cluster: app, weight: 3, endpointSelector: { env: prod } }
                      - { cluster: app, weight: 1, endpointSelector: { env: canary } }
                      - { cluster: app, weight: 0, endpointSelector: { env: none }, subsetFallback: fail }
                """.formatted(prod.address(), canary.address())));
        RouteTarget split = proxy.server().snapshot().target("split").orElseThrow();
        assertThat(split.clusters()).extracting(c -> c.subsetDecision().orElseThrow()).containsExactly(
                "env=prod: 1 of 2 endpoints", "env=canary: 1 of 2 endpoints",
                "env=none: no endpoint matches, fallback fail: 503 no_subset_endpoint");
        Map<String, Integer> counts = served(proxy, "/", 200);
        // the draw is random in proportion 3:1; each side gets its own endpoint only, and the weight-0 entry none
        assertThat(counts).containsOnlyKeys("prod", "canary");
        assertThat(counts.get("prod")).isGreaterThan(counts.get("canary"));
    }
}
