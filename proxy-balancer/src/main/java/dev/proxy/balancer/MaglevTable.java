package dev.proxy.balancer;

import dev.proxy.core.Endpoint;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
 * section 3.4): a lookup table of prime size {@code M}, so a pick is {@code table[hash mod M]}, O(1) with one memory
 * read.
 *
 * <p>Each endpoint prefers the slots {@code (offset + j * skip) mod M}, {@code j = 0, 1, ...}, with
 * {@code offset = xxHash64(address, 0) mod M} and {@code skip = xxHash64(address, 1) mod (M - 1) + 1}, a permutation of
 * all slots because {@code M} is prime. The endpoints take turns claiming their next preferred free slot until the
 * table is full. Weights follow Envoy: in round {@code r} an endpoint takes a turn when {@code r * weight} has reached
 * its target, which then grows by the largest weight, so the heaviest endpoint takes a turn every round and one of
 * weight {@code w} takes {@code w / maxWeight} of them; entries, and so keys, end up in proportion to the weights to
 * within a slot or so.
 *
 * <p>Every endpoint's share is within a few slots of exact (much tighter than a ring's), and a key's endpoint depends
 * only on the endpoint addresses and weights, not on their order (turns are taken in address order). Adding or
 * removing one of N endpoints moves about 1/N of the keys plus a little more, because the remaining endpoints' turns
 * shift: the paper's "minimal disruption" is best-effort (measured: about 0.2% of keys move between unchanged
 * endpoints at N = 10, M = 65537).
 *
 * <p>Immutable; thread-safe and allocation-free to read from every event loop.
 */
final class MaglevTable implements HashLookup {
    private final Optional<Endpoint>[] table;

    /** @param tableSize a prime, well above {@code endpoints.size()} (the paper suggests 100 times more) */
    @SuppressWarnings("unchecked")
    MaglevTable(List<Endpoint> endpoints, int tableSize) {
        if (tableSize < 2 || !BigInteger.valueOf(tableSize).isProbablePrime(30)) {
            throw new IllegalArgumentException("tableSize must be a prime, was " + tableSize);
        }
        // turns go in address order, so the table does not depend on the order endpoints were listed or discovered in
        List<Endpoint> sorted = endpoints.stream()
                .sorted(Comparator.comparing((Endpoint e) -> e.address().toString()).thenComparing(Endpoint::weight))
                .toList();
        Optional<Endpoint>[] choices = sorted.stream().map(Optional::of).toArray(Optional[]::new);
        this.table = sorted.isEmpty() ? choices : build(sorted, tableSize, choices);
    }

    @Override
    public Optional<Endpoint> lookup(long hash) {
        Optional<Endpoint>[] t = table;
        return t.length == 0 ? Optional.empty() : t[(int) Math.floorMod(hash, (long) t.length)];
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Optional<Endpoint>[] build(List<Endpoint> endpoints, int size, Optional<Endpoint>[] choices) {
        int n = endpoints.size();
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        long[] weight = new long[n];
        long[] target = new long[n];
        for (int i = 0; i < n; i++) {
            String name = endpoints.get(i).address().toString();
            offset[i] = Math.floorMod(Hashing.xxHash64(name, 0, name.length(), 0), (long) size);
            skip[i] = Math.floorMod(Hashing.xxHash64(name, 0, name.length(), 1), size - 1L) + 1;
            weight[i] = endpoints.get(i).weight();
        }
        long maxWeight = Arrays.stream(weight).max().orElseThrow();
        int[] owner = new int[size];
        Arrays.fill(owner, -1);
        int filled = 0;
        for (long round = 1; filled < size; round++) {
            for (int i = 0; i < n && filled < size; i++) {
                if (round * weight[i] < target[i]) {
                    continue; // not this endpoint's turn yet
                }
                target[i] += maxWeight;
                int slot;
                do {
                    slot = (int) ((offset[i] + next[i] * skip[i]) % size);
                    next[i]++;
                } while (owner[slot] >= 0);
                owner[slot] = i;
                filled++;
            }
        }
        Optional<Endpoint>[] table = new Optional[size];
        for (int s = 0; s < size; s++) {
            table[s] = choices[owner[s]];
        }
        return table;
    }
}
