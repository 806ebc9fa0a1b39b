package dev.proxy.balancer;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntUnaryOperator;

/**
 * Least request by the power of two choices (Mitzenmacher): draw two distinct endpoints at random and take the one
 * with fewer requests in flight per unit of weight, {@code inFlight / weight}, compared cross-multiplied in integers.
 * Sampling two instead of scanning all keeps a pick O(1) and, unlike "always the least loaded", does not send every
 * event loop's next request to the same endpoint on slightly stale counts.
 *
 * <p>On a tie (typically an idle cluster, where all counts are zero) the heavier endpoint wins with probability
 * {@code w1 / (w1 + w2)}, so weights still count before any load builds up; with equal weights that is a coin flip.
 * One endpoint is always picked; none gives empty.
 *
 * <p>Weights steer traffic only as far as sampling allows: an endpoint is a candidate in {@code 2/n} of picks, so it
 * never gets more than that share, however heavy. Moderate weights work (1/2/3/4 gives about 11/21/30/38% under steady
 * load); one weight-10 endpoint among nine of weight 1 gets 20%, not 53%. Clusters with such skew want
 * {@code weighted_round_robin} (Envoy switches its least-request balancer to weighted scheduling in that case).
 *
 * <p>Stateless apart from the injected random source and the live {@link EndpointLoad}; thread-safe without locks and
 * allocation-free; called from every event loop.
 */
final class LeastRequest implements LoadBalancer {
    /**
     * The production random source: {@link ThreadLocalRandom}, so event loops share no state, scaled to the bound by a
     * multiply and shift instead of {@code nextInt(bound)}'s division (Lemire, "Fast random integer generation in an
     * interval", 2019), which matters in a pick this short; the bias, at most {@code bound / 2^32}, is negligible.
     */
    static final IntUnaryOperator THREAD_LOCAL_RANDOM =
            bound -> (int) ((ThreadLocalRandom.current().nextInt() & 0xFFFF_FFFFL) * bound >>> 32);

    private static final int MAX_WEIGHT = 1 << 30;

    private final Optional<Endpoint>[] endpoints;
    private final int[] weights;
    private final EndpointLoad load;
    private final IntUnaryOperator random;

    /**
     * @param load requests in flight per index of {@code endpoints}
     * @param random returns a uniformly random int in {@code [0, bound)} for its argument {@code bound}; called
     *     concurrently from every event loop, so it must be thread-safe (or only used from one thread, in tests)
     */
    @SuppressWarnings("unchecked")
    LeastRequest(List<Endpoint> endpoints, EndpointLoad load, IntUnaryOperator random) {
        this.endpoints = endpoints.stream().map(Optional::of).toArray(Optional[]::new);
        // capped so that two weights add up without overflow; only absurd weights (over a billion) are affected
        this.weights = endpoints.stream().mapToInt(e -> Math.min(e.weight(), MAX_WEIGHT)).toArray();
        this.load = requireNonNull(load, "load");
        this.random = requireNonNull(random, "random");
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        int n = endpoints.length;
        if (n <= 1) {
            return n == 0 ? Optional.empty() : endpoints[0];
        }
        int a = random.applyAsInt(n);
        int b = random.applyAsInt(n - 1);
        if (b >= a) {
            b++; // uniform over the other n - 1
        }
        // inFlight(a) / w(a) vs inFlight(b) / w(b), as products: both factors are ints, so no overflow in a long
        long loadA = (long) load.inFlight(a) * weights[b];
        long loadB = (long) load.inFlight(b) * weights[a];
        if (loadA != loadB) {
            return endpoints[loadA < loadB ? a : b];
        }
        return endpoints[random.applyAsInt(weights[a] + weights[b]) < weights[a] ? a : b];
    }
}
