package dev.proxy.core.upstream;

/**
 * A moment's counts of one endpoint's pool, summed over event loops (each part read without locking, so the sum
 * may be a few operations stale under load).
 *
 * @param open connections open or opening
 * @param leased requests in flight: HTTP/1.1 connections leased, or HTTP/2 streams open
 * @param idle connections carrying no request
 * @param pending requests waiting for a connection at the cap
 */
public record PoolStats(int open, int leased, int idle, int pending) {
    public static final PoolStats EMPTY = new PoolStats(0, 0, 0, 0);

    public PoolStats plus(PoolStats o) {
        return new PoolStats(open + o.open, leased + o.leased, idle + o.idle, pending + o.pending);
    }
}
