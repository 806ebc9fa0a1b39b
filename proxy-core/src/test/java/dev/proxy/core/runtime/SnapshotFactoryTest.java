package dev.proxy.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.RouteObserver;
import io.netty.bootstrap.Bootstrap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Which observers a snapshot asks for, and which it carries over from the one before. */
class SnapshotFactoryTest {
    private static final String CLUSTERS = """
            discovery:
              etcd: { endpoints: ["http://127.0.0.1:2379"] }
            clusters:
              - name: app
                endpoints: [ { address: 10.0.0.1:80 } ]
              - name: found
                discovery: { etcd: { prefix: /services/found/ } }
            """;

    /** Each observer asked for, as "cluster app", "route api" or "unrouted", each a fresh instance. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    private final SnapshotFactory factory = new SnapshotFactory(LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE,
            new Bootstrap(), new ProxyObserver() {
                @Override
                public ClusterObserver cluster(String name) {
                    asked.add("cluster " + name);
                    return new ClusterObserver() {
                    };
                }

                @Override
                public RouteObserver route(String name) {
                    asked.add("route " + name);
                    return r -> { };
                }

                @Override
                public RouteObserver unrouted() {
                    asked.add("unrouted");
                    return r -> { };
                }
            });
    private static ProxyConfig config(String routes) {
        return ConfigReader.read(CLUSTERS + routes, "observers.yaml");
    }

    private static Map<String, List<EndpointConfig>> found(String... hosts) {
        return Map.of("found", Arrays.stream(hosts)
                .map(h -> new EndpointConfig(new HostPort(h, 80), 1)).toList());
    }

    @Test
    void eachRouteClusterAndTheUnroutedAreAskedForOnce() {
        ConfigSnapshot last = factory.build(config("""
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                  - name: rest
                    cluster: found
                """), null, found("10.0.1.1"));

        assertThat(asked).containsExactlyInAnyOrder("cluster app", "cluster found", "route api", "route rest",
                "unrouted");
        assertThat(last.clusters().get("app").observer()).isNotSameAs(ClusterObserver.NONE);
        assertThat(last.target("api").orElseThrow().observer()).isNotSameAs(RouteObserver.NONE);
    }

    @Test
    void aReloadKeepsTheObserversOfRoutesByNameAndOfClustersWhoseConfigStayed() {
        String routes = """
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                  - name: rest
                    cluster: found
                """;
        ConfigSnapshot first = factory.build(config(routes), null, found("10.0.1.1"));
        ConfigSnapshot moved = factory.build(config(routes), first, found("10.0.1.1", "10.0.1.2"));
        asked.clear();
        ConfigSnapshot last = factory.build(config("""
                routes:
                  - name: api
                    match: { pathPrefix: /v2/ }
                    cluster: found
                  - name: new
                    cluster: app
                """), moved, found("10.0.1.2"));

        assertThat(asked).as("only the new route").containsExactly("route new");
        assertThat(moved.clusters().get("found").observer()).as("an endpoint change keeps the cluster's observer")
                .isSameAs(first.clusters().get("found").observer());
        assertThat(last.target("api").orElseThrow().observer()).as("a changed route keeps its name's observer")
                .isSameAs(first.target("api").orElseThrow().observer());
        assertThat(last.unrouted()).isSameAs(first.unrouted());
    }
}
