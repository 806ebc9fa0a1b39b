package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.CLIENT;
import static dev.proxy.balancer.Fixtures.endpoint;
import static dev.proxy.balancer.Fixtures.endpoints;
import static dev.proxy.balancer.Fixtures.hashing;
import static dev.proxy.balancer.Fixtures.request;
import static dev.proxy.balancer.Fixtures.requestWithHeader;
import static dev.proxy.balancer.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Statistics used below. A Maglev table gives each endpoint its exact share of the M = 65,537 slots to within a slot or
 * two, so the spread of key shares is only the sampling noise of the 100,000 test keys: sd = sqrt(p (1 - p) / 100,000),
 * 0.00095 at p = 0.1 and 0.0015 at p = 2/3. The hashes are fixed, so each test is deterministic.
 */
class MaglevTableTest {
    private static final int M = BalancerConfig.DEFAULT_TABLE_SIZE;

    @Test
    void mapsAKeyToTheSameEndpointEveryTimeWhateverTheEndpointOrder() {
        List<Endpoint> list = endpoints(10);
        List<Endpoint> reversed = new ArrayList<>(list);
        Collections.reverse(reversed);
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.MAGLEV, HashKey.Source.HEADER, "x-user"),
                list, EndpointLoad.none());

        Endpoint first = balancer.pick(requestWithHeader("x-user", "alice"), CLIENT).orElseThrow();

        for (int i = 0; i < 100; i++) {
            assertThat(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT)).contains(first);
        }
        assertThat(new MaglevTable(reversed, M).lookup(Hashing.hash("alice"))).contains(first);
        assertThat(KeyMapping.of(new MaglevTable(reversed, M)).movedIn(KeyMapping.of(new MaglevTable(list, M))))
                .isZero();
    }

    @Test
    void spreadsKeysEvenlyOverEqualEndpoints() {
        // 6,553 or 6,554 slots each; 0.1 +- 0.005 is 5 sd of sampling noise (measured over ten sets: 0.0978 .. 0.1029)
        List<Endpoint> list = endpoints(10);
        KeyMapping mapping = KeyMapping.of(new MaglevTable(list, M));

        for (Endpoint e : list) {
            assertThat(mapping.share(e)).as("share of %s", e).isCloseTo(0.1, offset(0.005));
        }
    }

    @Test
    void removingOneOfTenEndpointsMovesAboutATenthOfTheKeys() {
        // Its own keys (0.1 +- 0.005) must move; Maglev also shifts a few between the others, because their turns
        // change. Measured over ten endpoint sets: 0.1018 .. 0.1029 moved, 0.0017 .. 0.0028 between others. Bounds:
        // 1.2/N in all (the paper's "a little more than 1/N"; 2/N would be the loose bound) and 1% between others.
        List<Endpoint> ten = endpoints(10);
        List<Endpoint> nine = new ArrayList<>(ten);
        Endpoint removed = nine.remove(4);
        KeyMapping before = KeyMapping.of(new MaglevTable(ten, M));
        KeyMapping after = KeyMapping.of(new MaglevTable(nine, M));

        assertThat(before.movedIn(after)).isGreaterThanOrEqualTo(before.share(removed)).isLessThanOrEqualTo(1.2 / 10);
        assertThat(before.movedBetweenOthersIn(after, removed)).isLessThanOrEqualTo(0.01);
    }

    @Test
    void addingAnEleventhEndpointMovesAboutAnEleventhOfTheKeys() {
        // measured over ten sets: 0.0919 .. 0.0942 moved (1/11 = 0.0909), 0.0017 .. 0.0031 between others
        List<Endpoint> ten = endpoints(10);
        List<Endpoint> eleven = new ArrayList<>(ten);
        Endpoint added = endpoint(10);
        eleven.add(added);
        KeyMapping before = KeyMapping.of(new MaglevTable(ten, M));
        KeyMapping after = KeyMapping.of(new MaglevTable(eleven, M));

        assertThat(before.movedIn(after)).isGreaterThanOrEqualTo(after.share(added)).isLessThanOrEqualTo(1.2 / 11);
        assertThat(before.movedBetweenOthersIn(after, added)).isLessThanOrEqualTo(0.01);
    }

    @Test
    void givesAnEndpointOfWeightTwoTwiceTheKeysOfOneOfWeightOne() {
        // 2/3 of the slots to a slot or two; +- 0.01 is over 6 sd of sampling noise (measured: 0.6638 .. 0.6683)
        List<Endpoint> two = weighted(2, 1);
        assertThat(KeyMapping.of(new MaglevTable(two, M)).share(two.get(0))).isCloseTo(2 / 3.0, offset(0.01));

        List<Endpoint> ten = weighted(2, 2, 2, 2, 2, 1, 1, 1, 1, 1);
        KeyMapping mapping = KeyMapping.of(new MaglevTable(ten, M));
        for (int i = 0; i < 10; i++) {
            // 2/15 and 1/15 each: +- 0.005 is 4.6 and 6.3 sd
            assertThat(mapping.share(ten.get(i))).as("endpoint %d", i).isCloseTo(i < 5 ? 2 / 15.0 : 1 / 15.0,
                    offset(0.005));
        }
    }

    @Test
    void fillsASmallTableGivingEveryEndpointASlot() {
        List<Endpoint> list = endpoints(3);
        MaglevTable table = new MaglevTable(list, 7);

        Set<Optional<Endpoint>> seen = new HashSet<>();
        for (long slot = 0; slot < 7; slot++) {
            seen.add(table.lookup(slot));
        }

        assertThat(seen).containsExactlyInAnyOrder(Optional.of(list.get(0)), Optional.of(list.get(1)),
                Optional.of(list.get(2)));
    }

    @Test
    void rejectsATableSizeThatIsNotPrime() {
        assertThatThrownBy(() -> new MaglevTable(endpoints(3), 65_536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prime");
    }

    @Test
    void spreadsRequestsWithoutTheKeyRoundRobin() {
        List<Endpoint> list = endpoints(3);
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.MAGLEV, HashKey.Source.COOKIE, "session"),
                list, EndpointLoad.none());

        List<Endpoint> picks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picks.add(balancer.pick(request("/no-cookie"), CLIENT).orElseThrow());
        }

        assertThat(picks).containsExactly(list.get(0), list.get(1), list.get(2), list.get(0), list.get(1), list.get(2));
    }

    @Test
    void hasNothingToPickWithoutEndpoints() {
        LoadBalancer balancer = Balancers.create(hashing(BalancerPolicy.MAGLEV, HashKey.Source.HEADER, "x-user"),
                List.of(), EndpointLoad.none());

        assertThat(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT)).isEmpty();
        assertThat(new MaglevTable(List.of(), M).lookup(42)).isEmpty();
    }
}
