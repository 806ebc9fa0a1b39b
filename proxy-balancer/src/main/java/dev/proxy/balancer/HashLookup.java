package dev.proxy.balancer;

import dev.proxy.core.Endpoint;
import java.util.Optional;

/**
 * Maps a 64-bit key hash to an endpoint: the structure behind a consistent-hashing policy ({@link RingHash},
 * {@link MaglevTable}). Implementations are built once from an endpoint list, immutable, and read from every event
 * loop without locks or allocation.
 */
interface HashLookup {
    /** The endpoint that owns {@code hash}; present whenever the lookup was built from at least one endpoint. */
    Optional<Endpoint> lookup(long hash);
}
