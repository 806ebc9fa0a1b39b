package dev.proxy.balancer;

import dev.proxy.core.Endpoint;
import java.util.List;

/** Where a consistent-hashing table sends the keys {@code user-0 .. user-(n-1)}, and how two such mappings differ. */
final class KeyMapping {
    static final int KEYS = 100_000;

    private final Endpoint[] owners;

    private KeyMapping(Endpoint[] owners) {
        this.owners = owners;
    }

    static KeyMapping of(HashLookup table) {
        Endpoint[] owners = new Endpoint[KEYS];
        for (int k = 0; k < KEYS; k++) {
            owners[k] = table.lookup(Hashing.hash("user-" + k)).orElseThrow();
        }
        return new KeyMapping(owners);
    }

    /** The fraction of keys on {@code endpoint}. */
    double share(Endpoint endpoint) {
        return shareOf(List.of(endpoint));
    }

    /** The fraction of keys on any of {@code endpoints}. */
    double shareOf(List<Endpoint> endpoints) {
        int n = 0;
        for (Endpoint owner : owners) {
            if (endpoints.contains(owner)) {
                n++;
            }
        }
        return (double) n / KEYS;
    }

    /** The fraction of keys whose endpoint differs in {@code other}. */
    double movedIn(KeyMapping other) {
        int n = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!owners[k].equals(other.owners[k])) {
                n++;
            }
        }
        return (double) n / KEYS;
    }

    /** The fraction of keys whose endpoint differs in {@code other} though neither endpoint is {@code changed}. */
    double movedBetweenOthersIn(KeyMapping other, Endpoint changed) {
        int n = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!owners[k].equals(other.owners[k]) && !owners[k].equals(changed) && !other.owners[k].equals(changed)) {
                n++;
            }
        }
        return (double) n / KEYS;
    }
}
