package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.CLIENT;
import static dev.proxy.balancer.Fixtures.endpoint;
import static dev.proxy.balancer.Fixtures.endpoints;
import static dev.proxy.balancer.Fixtures.hashing;
import static dev.proxy.balancer.Fixtures.request;
import static dev.proxy.balancer.Fixtures.requestWithHeader;
import static dev.proxy.balancer.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Statistics used below. With m points placed uniformly at random, the arcs are exchangeable (Dirichlet(1, ..., 1)), so
 * the share of an endpoint owning k of them is Beta(k, m - k): mean k/m, variance k(m - k) / (m^2 (m + 1)). The 100,000
 * test keys add binomial noise of at most sqrt(0.25 / 100,000) = 0.0016. The hashes are fixed, so each test is
 * deterministic; the bounds are what a fair hash would meet with margin (4 sd or more), not tuned to one outcome.
 */
class RingHashTest {
    private static final int VNODES = 160;

    @Test
    void mapsAKeyToTheSameEndpointEveryTimeAndInEveryRingOfTheSameEndpoints() {
        List<Endpoint> list = endpoints(10);
        List<Endpoint> shuffled = new ArrayList<>(list);
        Collections.reverse(shuffled);
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.RING_HASH, HashKey.Source.HEADER, "x-user"),
                list, EndpointLoad.none());

        Endpoint first = balancer.pick(requestWithHeader("x-user", "alice"), CLIENT).orElseThrow();

        for (int i = 0; i < 100; i++) {
            assertThat(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT)).contains(first);
        }
        assertThat(new RingHash(shuffled, VNODES).lookup(Hashing.hash("alice"))).contains(first);
        assertThat(KeyMapping.of(new RingHash(shuffled, VNODES)).movedIn(KeyMapping.of(new RingHash(list, VNODES))))
                .isZero();
    }

    @Test
    void spreadsKeysEvenlyOverEqualEndpoints() {
        // each of 10 endpoints owns 160 of 1,600 points: share 0.1 with sd sqrt(160 * 1440 / (1600^2 * 1601)) = 0.0075;
        // 0.1 +- 0.03 is 4 sd (measured over ten endpoint sets: 0.081 .. 0.120)
        List<Endpoint> list = endpoints(10);
        KeyMapping mapping = KeyMapping.of(new RingHash(list, VNODES));

        for (Endpoint e : list) {
            assertThat(mapping.share(e)).as("share of %s", e).isCloseTo(0.1, offset(0.03));
        }
    }

    @Test
    void removingOneOfTenEndpointsMovesOnlyTheKeysItHeld() {
        List<Endpoint> ten = endpoints(10);
        List<Endpoint> nine = new ArrayList<>(ten);
        Endpoint removed = nine.remove(4);
        KeyMapping before = KeyMapping.of(new RingHash(ten, VNODES));
        KeyMapping after = KeyMapping.of(new RingHash(nine, VNODES));

        // exactly the removed endpoint's keys move: its share, 0.1 +- 0.03 (see above), so at most 1.5/N = 0.15
        assertThat(before.movedIn(after)).isEqualTo(before.share(removed)).isLessThanOrEqualTo(1.5 / 10);
        assertThat(before.movedBetweenOthersIn(after, removed)).isZero();
    }

    @Test
    void addingAnEleventhEndpointMovesKeysOnlyToIt() {
        List<Endpoint> ten = endpoints(10);
        List<Endpoint> eleven = new ArrayList<>(ten);
        Endpoint added = endpoint(10);
        eleven.add(added);
        KeyMapping before = KeyMapping.of(new RingHash(ten, VNODES));
        KeyMapping after = KeyMapping.of(new RingHash(eleven, VNODES));

        assertThat(before.movedIn(after)).isEqualTo(after.share(added)).isLessThanOrEqualTo(1.5 / 11);
        assertThat(before.movedBetweenOthersIn(after, added)).isZero();
    }

    @Test
    void givesAnEndpointOfWeightTwoTwiceTheKeysOfOneOfWeightOne() {
        // five at weight 2 (1,600 points) and five at weight 1 (800): the heavy group's share is Beta(1600, 800),
        // mean 2/3, sd sqrt(1600 * 800 / (2400^2 * 2401)) = 0.0096; +- 0.03 is 3 sd (measured: 0.659 .. 0.670)
        List<Endpoint> list = weighted(2, 2, 2, 2, 2, 1, 1, 1, 1, 1);
        KeyMapping mapping = KeyMapping.of(new RingHash(list, VNODES));

        assertThat(mapping.shareOf(list.subList(0, 5))).isCloseTo(2 / 3.0, offset(0.03));

        // two endpoints alone (320 vs 160 points): sd = sqrt(320 * 160 / (480^2 * 481)) = 0.0215; +- 0.065 is 3 sd
        List<Endpoint> two = weighted(2, 1);
        assertThat(KeyMapping.of(new RingHash(two, VNODES)).share(two.get(0))).isCloseTo(2 / 3.0, offset(0.065));
    }

    @Test
    void placesVirtualNodesPerUnitOfWeight() {
        assertThat(new RingHash(weighted(2, 1, 3), VNODES).size()).isEqualTo(6 * VNODES);
    }

    @Test
    void scalesHugeRingsDownKeepingEveryEndpoint() {
        List<Endpoint> list = weighted(1_000_000, 1);
        RingHash ring = new RingHash(list, VNODES);

        assertThat(ring.size()).isLessThanOrEqualTo(RingHash.MAX_POINTS + list.size());
        assertThat(RingHash.pointCounts(list, VNODES)[1]).isEqualTo(1);
        assertThat(KeyMapping.of(ring).share(list.get(0))).isGreaterThan(0.99);
    }

    @Test
    void spreadsRequestsWithoutTheKeyRoundRobin() {
        List<Endpoint> list = endpoints(3);
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.RING_HASH, HashKey.Source.HEADER, "x-user"),
                list, EndpointLoad.none());

        List<Endpoint> picks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picks.add(balancer.pick(request("/no-key"), CLIENT).orElseThrow());
        }

        assertThat(picks).containsExactly(list.get(0), list.get(1), list.get(2), list.get(0), list.get(1), list.get(2));
    }

    @Test
    void hasNothingToPickWithoutEndpoints() {
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.RING_HASH, HashKey.Source.HEADER, "x-user"),
                List.of(), EndpointLoad.none());

        assertThat(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT)).isEmpty();
        assertThat(balancer.pick(request("/"), CLIENT)).isEmpty();
        assertThat(new RingHash(List.of(), VNODES).lookup(42)).isEmpty();
    }
}
