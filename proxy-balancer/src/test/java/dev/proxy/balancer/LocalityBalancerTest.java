package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.CLIENT;
import static dev.proxy.balancer.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.balancer.EndpointAvailability;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.balancer.Locality;
import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.LocalityConfig;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/** The zone layer over each policy, with availability and draws driven by the test. */
class LocalityBalancerTest {
    /** Availability the test flips; each flip moves the version, as EndpointHealth does. */
    private static final class Flags implements EndpointAvailability {
        final Set<Integer> down = new HashSet<>();
        long version;

        void down(int... indexes) {
            for (int i : indexes) {
                down.add(i);
            }
            version++;
        }

        void up(int... indexes) {
            for (int i : indexes) {
                down.remove(i);
            }
            version++;
        }

        @Override
        public boolean isAvailable(int index) {
            return !down.contains(index);
        }

        @Override
        public long version() {
            return version;
        }
    }

    /** Counts picks by locality, as the metrics do. */
    private static final class Picks implements ClusterObserver {
        final AtomicInteger local = new AtomicInteger();
        final AtomicInteger remote = new AtomicInteger();

        @Override
        public void zonePicked(boolean isLocal) {
            (isLocal ? local : remote).incrementAndGet();
        }
    }

    private static Endpoint at(int i, String zone) {
        return new Endpoint(new HostPort("10.0.0." + i, 80), 1, Optional.ofNullable(zone), Map.of());
    }

    /** Local zone a: 0, 1; zone b: 2, 3; zone c: 4 (weight 2). */
    private static List<Endpoint> fleet() {
        return List.of(at(0, "a"), at(1, "a"), at(2, "b"), at(3, "b"),
                new Endpoint(new HostPort("10.0.0.4", 80), 2, Optional.of("c"), Map.of()));
    }

    private static LoadBalancer balancer(BalancerConfig config, List<Endpoint> endpoints, Flags flags, Picks picks,
                                         int minLocal, IntUnaryOperator random) {
        Locality locality = new Locality(new LocalityConfig(true, minLocal), "a", flags, picks);
        return new LocalityBalancer(endpoints, index -> 0, locality,
                (list, load) -> Balancers.create(config, list, load), random);
    }

    private static Map<String, Integer> zonesOf(LoadBalancer b, int n) {
        Map<String, Integer> byZone = new HashMap<>();
        for (int i = 0; i < n; i++) {
            b.pick(request("/"), CLIENT).flatMap(Endpoint::zone).ifPresent(z -> byZone.merge(z, 1, Integer::sum));
        }
        return byZone;
    }

    @Test
    void everyPickStaysLocalWhileTheLocalZoneIsHealthyEnough() {
        Flags flags = new Flags();
        Picks picks = new Picks();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, picks, 50, Fixtures.seeded(1));

        assertThat(zonesOf(b, 100)).isEqualTo(Map.of("a", 100));
        // one of two local endpoints down is 50% healthy: still at the threshold, still all local
        flags.down(0);
        assertThat(zonesOf(b, 100)).isEqualTo(Map.of("a", 100));
        assertThat(picks.local).hasValue(200);
        assertThat(picks.remote).hasValue(0);
        assertThat(b.zoneSplit()).get().extracting(ZoneSplit::reason)
                .isEqualTo("local zone healthy: 50% >= minLocalHealthyPercent 50");
    }

    @Test
    void spillsTheResidualToTheOtherZonesByTheirHealthyWeight() {
        Flags flags = new Flags();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, new Picks(), 100, Fixtures.seeded(1));
        flags.down(0);

        // local 50% healthy of a 100% minimum: half stays, the other half goes to b (weight 2) and c (weight 2)
        ZoneSplit split = b.zoneSplit().orElseThrow();
        assertThat(split.percentByZone()).containsExactly(Map.entry("a", 50.0), Map.entry("b", 25.0),
                Map.entry("c", 25.0));
        assertThat(split.localHealthyPercent()).isEqualTo(50.0);
        assertThat(split.reason()).isEqualTo("spilling: local zone 50% healthy, below minLocalHealthyPercent 100");

        // one unhealthy endpoint in b halves its healthy weight: b gets a third of the residual, c two thirds
        flags.down(2);
        assertThat(b.zoneSplit().orElseThrow().percentByZone()).containsExactly(Map.entry("a", 50.0),
                Map.entry("b", 16.66), Map.entry("c", 33.34));
    }

    @Test
    void drawsFollowTheSplitExactly() {
        Flags flags = new Flags();
        flags.down(0);
        // a draw counter walking over every value in [0, SCALE) once: the zones' counts are their shares exactly
        AtomicInteger next = new AtomicInteger();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, new Picks(), 100,
                bound -> next.getAndIncrement() % bound);
        assertThat(zonesOf(b, ZonePlan.SCALE)).isEqualTo(Map.of("a", 5000, "b", 2500, "c", 2500));
    }

    @Test
    void everythingSpillsWhenNoLocalEndpointIsHealthyAndComesBackWhenOneIs() {
        Flags flags = new Flags();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, new Picks(), 70, Fixtures.seeded(2));
        flags.down(0, 1);
        assertThat(zonesOf(b, 200)).doesNotContainKey("a").containsKeys("b", "c");

        flags.up(0, 1);
        assertThat(zonesOf(b, 100)).isEqualTo(Map.of("a", 100));
    }

    @Test
    void staysLocalWhenNoOtherZoneHasAHealthyEndpoint() {
        Flags flags = new Flags();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, new Picks(), 100, Fixtures.seeded(3));
        flags.down(1, 2, 3, 4);
        assertThat(b.zoneSplit().orElseThrow().percentByZone()).containsEntry("a", 100.0);
        assertThat(b.zoneSplit().orElseThrow().reason()).isEqualTo("no healthy endpoint in the other zones");
        assertThat(zonesOf(b, 50)).isEqualTo(Map.of("a", 50));
    }

    @Test
    void aClusterWithoutLocalEndpointsSpreadsOverTheOthersAndEndpointsWithoutAZoneAreRemote() {
        List<Endpoint> endpoints = List.of(at(0, "b"), at(1, null), at(2, "b"));
        Picks picks = new Picks();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, endpoints, new Flags(), picks, 70, Fixtures.seeded(4));
        ZoneSplit split = b.zoneSplit().orElseThrow();
        assertThat(split.reason()).isEqualTo("no endpoint in the local zone");
        assertThat(split.percentByZone()).containsExactly(Map.entry("a", 0.0),
                Map.entry(LocalityBalancer.NO_ZONE, 33.33), Map.entry("b", 66.67));
        Set<Endpoint> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            seen.add(b.pick(request("/"), CLIENT).orElseThrow());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(endpoints);
        assertThat(picks.local).hasValue(0);
    }

    @Test
    void minimumZeroKeepsEverythingLocalWhileOneLocalEndpointIsHealthy() {
        Flags flags = new Flags();
        LoadBalancer b = balancer(BalancerConfig.ROUND_ROBIN, fleet(), flags, new Picks(), 0, Fixtures.seeded(5));
        flags.down(0);
        assertThat(zonesOf(b, 50)).isEqualTo(Map.of("a", 50));
        flags.down(1);
        assertThat(zonesOf(b, 50)).doesNotContainKey("a");
    }

    @Test
    void eachZoneRunsTheClustersPolicyAmongItsOwnEndpoints() {
        // weighted round robin inside the local zone: weights 3 and 1 give 3:1 exactly over a cycle
        List<Endpoint> endpoints = List.of(new Endpoint(new HostPort("10.0.0.1", 80), 3, Optional.of("a"), Map.of()),
                new Endpoint(new HostPort("10.0.0.2", 80), 1, Optional.of("a"), Map.of()), at(3, "b"));
        LoadBalancer b = balancer(BalancerConfig.of(BalancerPolicy.WEIGHTED_ROUND_ROBIN), endpoints, new Flags(),
                new Picks(), 70, Fixtures.seeded(6));
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(b.pick(request("/"), CLIENT).orElseThrow(), 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry(endpoints.get(0), 300), Map.entry(endpoints.get(1), 100));
    }

    @Test
    void aHashKeyKeepsItsEndpointInsideTheLocalZone() {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            endpoints.add(at(i, i < 3 ? "a" : "b"));
        }
        LoadBalancer b = balancer(Fixtures.hashing(BalancerPolicy.MAGLEV, HashKey.Source.HEADER, "x-user"), endpoints,
                new Flags(), new Picks(), 70, Fixtures.seeded(7));
        for (int user = 0; user < 50; user++) {
            Endpoint first = b.pick(Fixtures.requestWithHeader("x-user", "u" + user), CLIENT).orElseThrow();
            assertThat(first.zone()).contains("a");
            assertThat(b.pick(Fixtures.requestWithHeader("x-user", "u" + user), CLIENT)).contains(first);
        }
    }

    @Test
    void theFactoryLayersZonesOnlyWhenLocalityIsGiven() {
        LoadBalancer.Factory factory = Balancers.factory();
        LoadBalancer plain = factory.create(BalancerConfig.ROUND_ROBIN, fleet(), index -> 0, Optional.empty());
        assertThat(plain.zoneSplit()).isEmpty();
        LoadBalancer zoned = factory.create(BalancerConfig.ROUND_ROBIN, fleet(), index -> 0, Optional.of(
                new Locality(new LocalityConfig(true, 70), "b", EndpointAvailability.ALL, ClusterObserver.NONE)));
        assertThat(zoned.zoneSplit()).get().extracting(ZoneSplit::localZone).isEqualTo("b");
        assertThat(zonesOf(zoned, 20)).isEqualTo(Map.of("b", 20));
    }
}
