package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.CLIENT;
import static dev.proxy.balancer.Fixtures.request;
import static dev.proxy.balancer.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {
    private static final HttpRequest REQUEST = request("/");

    @Test
    void interleavesWeightsFiveOneOneAsNginxDocumentsIt() {
        List<Endpoint> abc = weighted(5, 1, 1);

        assertThat(names(new SmoothWeightedRoundRobin(abc), abc, 14)).isEqualTo("aabacaa" + "aabacaa");
    }

    @Test
    void interleavesWeightsTwoOneOne() {
        List<Endpoint> abc = weighted(2, 1, 1);

        assertThat(names(new SmoothWeightedRoundRobin(abc), abc, 8)).isEqualTo("abca" + "abca");
    }

    @Test
    void givesEachEndpointExactlyItsShareOverWholePeriods() {
        List<Endpoint> list = weighted(5, 1, 1, 3, 7);
        SmoothWeightedRoundRobin wrr = new SmoothWeightedRoundRobin(list);

        int[] counts = counts(wrr, list, 17 * 1000);

        assertThat(counts).containsExactly(5000, 1000, 1000, 3000, 7000);
    }

    @Test
    void neverLetsAnEndpointRunAheadOfItsShareByAWholePick() {
        // NGINX's smooth property: after any t picks, endpoint i has been picked within one of t * w_i / W times.
        for (int[] weights : new int[][] {{5, 1, 1}, {9, 4, 2, 1}, {13, 7, 3, 2, 1, 1}, {100, 1}, {3, 3, 2}}) {
            List<Endpoint> list = weighted(weights);
            SmoothWeightedRoundRobin wrr = new SmoothWeightedRoundRobin(list);
            int total = IntStream.of(weights).sum();
            int[] counts = new int[weights.length];
            for (int t = 1; t <= 3 * total; t++) {
                counts[list.indexOf(wrr.pick(REQUEST, CLIENT).orElseThrow())]++;
                for (int i = 0; i < weights.length; i++) {
                    assertThat(Math.abs(counts[i] - (double) t * weights[i] / total))
                            .as("weights %s, endpoint %d after %d picks", List.of(weights), i, t)
                            .isLessThan(1.0);
                }
            }
        }
    }

    @Test
    void reducesWeightsByTheirGreatestCommonDivisor() {
        assertThat(SmoothWeightedRoundRobin.schedule(weighted(500, 100, 100))).hasSize(7);
        assertThat(names(new SmoothWeightedRoundRobin(weighted(500, 100, 100)), weighted(500, 100, 100), 7))
                .isEqualTo("aabacaa");
    }

    @Test
    void visitsEqualWeightsInListOrder() {
        List<Endpoint> list = weighted(4, 4, 4, 4);

        assertThat(names(new SmoothWeightedRoundRobin(list), list, 8)).isEqualTo("abcdabcd");
    }

    @Test
    void scalesHugeWeightsDownKeepingEveryEndpointAndTheirProportions() {
        List<Endpoint> list = weighted(1_000_000, 999_983, 1); // coprime: the period would be about 2 million
        Object[] schedule = SmoothWeightedRoundRobin.schedule(list);

        assertThat(schedule.length).isLessThanOrEqualTo(SmoothWeightedRoundRobin.MAX_PERIOD + list.size());
        int[] counts = counts(new SmoothWeightedRoundRobin(list), list, schedule.length);
        assertThat(counts[2]).isEqualTo(1); // the tiny weight still gets its turn
        // each scaled weight is rounded by at most 1/2 of 2^16 units: shares stay within 1e-4 of the configured ones
        assertThat((double) counts[0] / schedule.length).isCloseTo(1_000_000 / 1_999_984.0,
                offset(1e-4));
    }

    @Test
    void hasNothingToPickWithoutEndpoints() {
        assertThat(new SmoothWeightedRoundRobin(List.of()).pick(REQUEST, CLIENT)).isEmpty();
    }

    @Test
    void returnsTheSameOptionalInstanceForAnEndpointEveryTime() {
        SmoothWeightedRoundRobin wrr = new SmoothWeightedRoundRobin(weighted(2, 1)); // a b a

        Object first = wrr.pick(REQUEST, CLIENT);
        wrr.pick(REQUEST, CLIENT);

        assertThat(wrr.pick(REQUEST, CLIENT)).isSameAs(first);
    }

    /** Picks named a, b, c ... by position in {@code list}. */
    private static String names(SmoothWeightedRoundRobin wrr, List<Endpoint> list, int picks) {
        return IntStream.range(0, picks)
                .mapToObj(i -> String.valueOf((char) ('a' + list.indexOf(wrr.pick(REQUEST, CLIENT).orElseThrow()))))
                .collect(Collectors.joining());
    }

    private static int[] counts(SmoothWeightedRoundRobin wrr, List<Endpoint> list, int picks) {
        int[] counts = new int[list.size()];
        for (int i = 0; i < picks; i++) {
            counts[list.indexOf(wrr.pick(REQUEST, CLIENT).orElseThrow())]++;
        }
        return counts;
    }
}
