package dev.proxy.balancer;

import static dev.proxy.balancer.Fixtures.CLIENT;
import static dev.proxy.balancer.Fixtures.hashing;
import static dev.proxy.balancer.Fixtures.request;
import static dev.proxy.balancer.Fixtures.requestWithHeader;
import static dev.proxy.balancer.Fixtures.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BalancersTest {
    private static final int THREADS = 4;
    private static final int PICKS_PER_THREAD = 100_000;

    @ParameterizedTest
    @EnumSource(BalancerPolicy.class)
    void buildsEveryPolicyAndPicksOnlyListedEndpoints(BalancerPolicy policy) {
        List<Endpoint> list = weighted(3, 1, 2);
        LoadBalancer balancer = Balancers.create(config(policy), list, EndpointLoad.none());

        for (int i = 0; i < 100; i++) {
            assertThat(balancer.pick(requestWithHeader("x-user", "u" + i), CLIENT)).get().isIn(list);
        }
    }

    @ParameterizedTest
    @EnumSource(BalancerPolicy.class)
    void hasNothingToPickWithoutEndpoints(BalancerPolicy policy) {
        LoadBalancer balancer = Balancers.create(config(policy), List.of(), EndpointLoad.none());

        assertThat(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT)).isEmpty();
        assertThat(balancer.pick(request("/"), CLIENT)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(BalancerPolicy.class)
    void survivesConcurrentPicksFromFourThreadsAndCountsAddUp(BalancerPolicy policy) throws Exception {
        List<Endpoint> list = weighted(5, 1, 1, 3);
        Map<Endpoint, Integer> index = IntStream.range(0, list.size()).boxed()
                .collect(Collectors.toMap(list::get, Function.identity()));
        AtomicIntegerArray inFlight = new AtomicIntegerArray(list.size());
        LoadBalancer balancer = Balancers.create(config(policy), list, inFlight::get);
        // every third request lacks the hash key, so the hashing policies' fallback is shared by the threads too
        HttpRequest[] requests = IntStream.range(0, 1024)
                .mapToObj(i -> i % 3 == 0 ? request("/") : requestWithHeader("x-user", "user-" + i))
                .toArray(HttpRequest[]::new);
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<int[]>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(() -> {
                int[] counts = new int[list.size()];
                start.await();
                for (int i = 0; i < PICKS_PER_THREAD; i++) {
                    int picked = index.get(balancer.pick(requests[i & 1023], CLIENT).orElseThrow());
                    counts[picked]++;
                    inFlight.incrementAndGet(picked); // keep least_request's view of load moving
                    if ((i & 7) == 7) {
                        inFlight.set(picked, 0);
                    }
                }
                return counts;
            });
        }

        int[] total = new int[list.size()];
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (Callable<int[]> worker : workers) {
                results.add(pool.submit(worker));
            }
            start.countDown();
            for (Future<int[]> result : results) {
                int[] counts = result.get();
                for (int i = 0; i < total.length; i++) {
                    total[i] += counts[i];
                }
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(IntStream.of(total).sum()).isEqualTo(THREADS * PICKS_PER_THREAD);
        if (policy == BalancerPolicy.WEIGHTED_ROUND_ROBIN) {
            // each pick takes a distinct counter value, so the 400,000 picks are the first 400,000 of the sequence,
            // 40,000 whole periods of 5 + 1 + 1 + 3 = 10, however the threads interleaved
            assertThat(total).containsExactly(200_000, 40_000, 40_000, 120_000);
        }
        if (policy == BalancerPolicy.ROUND_ROBIN) {
            assertThat(total).containsExactly(100_000, 100_000, 100_000, 100_000);
        }
    }

    @Test
    void spreadsAHashingPolicyWithoutAKeySourceByWeightedRoundRobin() {
        List<Endpoint> list = weighted(5, 1, 1);
        LoadBalancer balancer = Balancers.create(BalancerConfig.of(BalancerPolicy.RING_HASH), list,
                EndpointLoad.none());

        List<Optional<Endpoint>> picks = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            picks.add(balancer.pick(requestWithHeader("x-user", "alice"), CLIENT));
        }

        assertThat(picks).map(Optional::orElseThrow).containsExactly(list.get(0), list.get(0), list.get(1),
                list.get(0), list.get(2), list.get(0), list.get(0));
    }

    @Test
    void rejectsAMaglevTableSizeThatIsNotPrime() {
        BalancerConfig config = new BalancerConfig(BalancerPolicy.MAGLEV,
                Optional.of(new HashKey(HashKey.Source.HEADER, "x-user")), 160, 1000);

        assertThatThrownBy(() -> Balancers.create(config, weighted(1, 1), EndpointLoad.none()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prime");
    }

    @Test
    void offersItsPoliciesThroughTheCoreFactoryInterface() {
        LoadBalancer.Factory factory = Balancers.factory();

        assertThat(factory.create(config(BalancerPolicy.LEAST_REQUEST), weighted(1), EndpointLoad.none())
                .pick(request("/"), CLIENT)).isPresent();
    }

    private static BalancerConfig config(BalancerPolicy policy) {
        return policy.isHashing() ? hashing(policy, HashKey.Source.HEADER, "x-user") : BalancerConfig.of(policy);
    }
}
