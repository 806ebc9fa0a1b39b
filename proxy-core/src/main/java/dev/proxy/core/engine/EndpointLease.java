package dev.proxy.core.engine;

import dev.proxy.core.Endpoint;
import dev.proxy.core.ProxyError;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.upstream.ConnectionPool;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The one place an upstream request gets its endpoint and connection: the cluster's balancer picks, the circuit
 * breaker grants a permit (for the route's own attempts, not for a mirror's copy), and the endpoint's pool lends a
 * connection. The exchange's {@link AttemptLoop} is one, picking again for each attempt; a {@link MirrorExchange}
 * uses one for its copy.
 *
 * <p>A base class rather than a field of the attempt loop, so that an exchange allocates nothing more for it.
 * Confined to the client's event loop.
 */
class EndpointLease {
    /** Balancer picks an attempt makes to find an endpoint not tried yet and whose breaker lets it through. */
    static final int MAX_PICKS = 4;

    private final Cluster cluster;
    private Endpoint endpoint;
    private ConnectionPool pool;

    EndpointLease(Cluster cluster) {
        this.cluster = cluster;
    }

    final Cluster cluster() {
        return cluster;
    }

    /** The endpoint of the current (or last) pick, or null before the first. */
    final Endpoint endpoint() {
        return endpoint;
    }

    /** The pool of the picked endpoint. */
    final ConnectionPool pool() {
        return pool;
    }

    /**
     * Picks the endpoint of one of the route's attempts: asks the balancer and the endpoint's breaker for a permit, up
     * to {@link #MAX_PICKS} times, for one not in {@code avoid} where it can. Empty with the endpoint chosen and its
     * permit held (the caller reports the outcome or releases it); else why none could be: the cluster's
     * {@link Cluster#noEndpointError} when the balancer has nothing, CIRCUIT_OPEN when every pick's breaker refused.
     *
     * @param avoid the endpoints already tried, or null
     */
    final Optional<ProxyError> pickWithPermit(HttpRequest request, InetSocketAddress client, List<Endpoint> avoid) {
        UpstreamGuard guard = cluster.guard();
        ProxyError refusal = cluster.noEndpointError();
        int picks = Math.max(1, Math.min(MAX_PICKS, cluster.endpoints().size()));
        for (int i = 0; i < picks; i++) {
            Optional<Endpoint> picked = cluster.balancer().pick(request, client);
            if (picked.isEmpty()) {
                break;
            }
            Endpoint candidate = picked.get();
            if (avoid != null && avoid.contains(candidate) && i < picks - 1) {
                continue;
            }
            if (guard.tryAcquire(candidate)) {
                chose(candidate);
                return Optional.empty();
            }
            refusal = ProxyError.CIRCUIT_OPEN;
        }
        return Optional.of(refusal);
    }

    /**
     * Picks the endpoint of a mirror's copy: the balancer's one choice. The breaker is not asked: a copy neither
     * spends a permit the route's own requests need nor tells the breaker how it went, so the shadow cluster's
     * trouble never stops the primary's traffic. False when the balancer has no endpoint.
     */
    final boolean pickWithoutPermit(HttpRequest request, InetSocketAddress client) {
        Optional<Endpoint> picked = cluster.balancer().pick(request, client);
        if (picked.isEmpty()) {
            return false;
        }
        chose(picked.get());
        return true;
    }

    private void chose(Endpoint picked) {
        endpoint = picked;
        pool = cluster.pool(picked);
    }

    /** Asks the picked endpoint's pool for a connection, idle or new; {@code callback} hears on {@code loop}. */
    final void acquire(EventLoop loop, AcquireCallback callback) {
        pool.acquire(loop, callback);
    }

    /** Asks the picked endpoint's pool for a new connection, never an idle one. */
    final void acquireNew(EventLoop loop, AcquireCallback callback) {
        pool.acquireNew(loop, callback);
    }
}
