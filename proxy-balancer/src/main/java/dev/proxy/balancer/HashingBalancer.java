package dev.proxy.balancer;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * A consistent-hashing policy: the request's key (from {@link HashKeys}) is hashed and looked up in a
 * {@link HashLookup}; requests without the key are spread by smooth weighted round robin, so they still follow the
 * weights (with equal weights that is plain round robin).
 *
 * <p>Immutable apart from the fallback's counter; thread-safe; called from every event loop.
 */
final class HashingBalancer implements LoadBalancer {
    private final HashKeys keys;
    private final HashLookup table;
    private final LoadBalancer withoutKey;
    private final boolean empty;

    HashingBalancer(HashKeys keys, HashLookup table, List<Endpoint> endpoints) {
        this.keys = requireNonNull(keys, "keys");
        this.table = requireNonNull(table, "table");
        this.withoutKey = new SmoothWeightedRoundRobin(endpoints);
        this.empty = endpoints.isEmpty();
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        return empty ? Optional.empty() : keys.pick(request, client, table, withoutKey);
    }
}
