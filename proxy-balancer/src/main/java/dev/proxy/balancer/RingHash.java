package dev.proxy.balancer;

import dev.proxy.core.Endpoint;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Weighted consistent hashing (Karger et al.) with virtual nodes, as Envoy's {@code ring_hash}: an endpoint of weight
 * {@code w} puts {@code virtualNodes * w} points on a 64-bit ring, at {@code xxHash64("host:port_k")} for
 * {@code k = 0, 1, ...}; a key belongs to the first point at or after its hash, wrapping around. A point's place
 * depends only on its endpoint's address and {@code k}, and an endpoint's point count only on its own weight, so
 * adding or removing an endpoint moves only the keys it gains or loses (about 1/N of them), and raising a weight only
 * adds points. (Weights are deliberately not divided by their gcd: a new endpoint could change the gcd and with it
 * every other endpoint's points.)
 *
 * <p>The ring is a sorted {@code long[]} beside the owner of each point, searched in O(log points). It holds at most
 * {@value #MAX_POINTS} points (12 bytes each with compressed references, about 12 MiB): beyond that every endpoint's
 * point count is scaled down in proportion (keeping at least one), which keeps shares in proportion to weights but
 * moves some keys when the scale changes.
 *
 * <p>Immutable; thread-safe and allocation-free to read from every event loop.
 */
final class RingHash implements HashLookup {
    /** The most points a ring holds. */
    static final int MAX_POINTS = 1 << 20;

    private final long[] points;
    private final Optional<Endpoint>[] owners;

    /** @param virtualNodes points per endpoint per unit of weight, at least 1 */
    @SuppressWarnings("unchecked")
    RingHash(List<Endpoint> endpoints, int virtualNodes) {
        if (virtualNodes < 1) {
            throw new IllegalArgumentException("virtualNodes must be >= 1");
        }
        int[] counts = pointCounts(endpoints, virtualNodes);
        int total = Arrays.stream(counts).sum();
        long[] hashes = new long[total];
        int[] ownerOf = new int[total];
        int p = 0;
        StringBuilder name = new StringBuilder();
        for (int e = 0; e < counts.length; e++) {
            String prefix = endpoints.get(e).address() + "_";
            for (int k = 0; k < counts[e]; k++) {
                name.setLength(0);
                name.append(prefix).append(k);
                hashes[p] = Hashing.hash(name);
                ownerOf[p++] = e;
            }
        }
        this.points = hashes.clone();
        Arrays.sort(points);
        // place each owner beside its point; equal hashes (only from duplicate addresses) keep list order
        int[] placed = new int[total];
        Arrays.fill(placed, -1);
        for (int q = 0; q < total; q++) {
            int at = Arrays.binarySearch(points, hashes[q]);
            while (at > 0 && points[at - 1] == hashes[q]) {
                at--;
            }
            while (placed[at] >= 0) {
                at++;
            }
            placed[at] = ownerOf[q];
        }
        Optional<Endpoint>[] choices = endpoints.stream().map(Optional::of).toArray(Optional[]::new);
        this.owners = Arrays.stream(placed).mapToObj(e -> choices[e]).toArray(Optional[]::new);
    }

    @Override
    public Optional<Endpoint> lookup(long hash) {
        if (points.length == 0) {
            return Optional.empty();
        }
        int at = Arrays.binarySearch(points, hash);
        if (at < 0) {
            at = -at - 1; // the first point above the hash
            if (at == points.length) {
                at = 0; // past the last point: wrap to the first
            }
        }
        return owners[at];
    }

    /** Points on the ring, for tests. */
    int size() {
        return points.length;
    }

    /** {@code virtualNodes * weight} per endpoint, scaled down (each at least 1) to fit {@link #MAX_POINTS}. */
    static int[] pointCounts(List<Endpoint> endpoints, int virtualNodes) {
        long[] wanted = endpoints.stream().mapToLong(e -> (long) virtualNodes * e.weight()).toArray();
        double total = Arrays.stream(wanted).sum();
        double scale = total > MAX_POINTS ? MAX_POINTS / total : 1;
        return Arrays.stream(wanted).mapToInt(w -> (int) Math.max(1, Math.floor(w * scale))).toArray();
    }
}
