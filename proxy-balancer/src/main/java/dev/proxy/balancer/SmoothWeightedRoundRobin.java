package dev.proxy.balancer;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smooth weighted round robin as NGINX does it ({@code ngx_http_upstream_get_peer}): every endpoint's current weight
 * grows by its weight, the largest (first on ties) is picked and loses the total. Weights 5/1/1 give
 * {@code a a b a c a a}, never {@code a a a a a b c}, so the heaviest endpoint gets no bursts.
 *
 * <p>The sequence is periodic with period {@code sum(weights / gcd)}, so it is computed once here and a pick reads
 * {@code schedule[counter++ mod period]}: one atomic increment, no lock, no allocation. Concurrent picks each take a
 * distinct counter value, so over any run the endpoints receive exactly their share of the sequence. When the period
 * would exceed {@value #MAX_PERIOD}, the weights are first scaled so that they sum to about {@value #MAX_PERIOD}
 * (each kept at least 1), which keeps every endpoint's share within about {@code n / }{@value #MAX_PERIOD} of its
 * configured one and bounds the table at a few hundred KiB.
 *
 * <p>Immutable apart from the counter; thread-safe; called from every event loop.
 */
final class SmoothWeightedRoundRobin implements LoadBalancer {
    /** The longest precomputed sequence. */
    static final int MAX_PERIOD = 1 << 16;

    private final Optional<Endpoint>[] schedule;
    private final AtomicInteger next = new AtomicInteger();

    SmoothWeightedRoundRobin(List<Endpoint> endpoints) {
        this.schedule = schedule(endpoints);
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        Optional<Endpoint>[] s = schedule;
        return s.length == 0 ? Optional.empty() : s[Math.floorMod(next.getAndIncrement(), s.length)];
    }

    /** One period of the NGINX sequence; each element is one of {@code endpoints.size()} shared instances. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Optional<Endpoint>[] schedule(List<Endpoint> endpoints) {
        int n = endpoints.size();
        Optional<Endpoint>[] choices = endpoints.stream().map(Optional::of).toArray(Optional[]::new);
        int[] weights = periodWeights(endpoints);
        if (Arrays.stream(weights).allMatch(w -> w == 1)) {
            return choices; // NGINX visits equal weights in list order
        }
        int period = Arrays.stream(weights).sum();
        Optional<Endpoint>[] schedule = new Optional[period];
        long[] current = new long[n];
        for (int t = 0; t < period; t++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= period;
            schedule[t] = choices[best];
        }
        return schedule;
    }

    /** The weights divided by their gcd, scaled down (each at least 1) if they sum above {@link #MAX_PERIOD}. */
    static int[] periodWeights(List<Endpoint> endpoints) {
        int[] weights = endpoints.stream().mapToInt(Endpoint::weight).toArray();
        int gcd = Arrays.stream(weights).reduce(0, SmoothWeightedRoundRobin::gcd);
        long sum = 0;
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= gcd;
            sum += weights[i];
        }
        if (sum > MAX_PERIOD) {
            double scale = (double) MAX_PERIOD / sum;
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (int) Math.max(1, Math.round(weights[i] * scale));
            }
        }
        return weights;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int r = a % b;
            a = b;
            b = r;
        }
        return a;
    }
}
