/**
 * Load-balancing policies beyond proxy-core's round robin. Start at {@link dev.proxy.balancer.Balancers}, which maps
 * each {@link dev.proxy.core.config.BalancerPolicy} of the config file to its implementation:
 * <ul>
 *   <li>{@code round_robin}: proxy-core's, weights ignored.
 *   <li>{@code weighted_round_robin} ({@code SmoothWeightedRoundRobin}): NGINX's smooth weighted round robin,
 *       precomputed once per endpoint set; 5/1/1 gives {@code a a b a c a a}.
 *   <li>{@code least_request} ({@code LeastRequest}): power of two choices on requests in flight per unit of weight.
 *   <li>{@code random} ({@code RandomBalancer}): uniform, weights ignored.
 *   <li>{@code ring_hash} ({@code RingHash}): consistent hashing on a ring of {@code virtualNodes} points per unit of
 *       weight; adding or removing an endpoint moves only its own keys.
 *   <li>{@code maglev} ({@code MaglevTable}): Google's Maglev lookup table of prime size; O(1) picks and near-exact
 *       shares, at the price of slightly more keys moving when the endpoints change.
 * </ul>
 * The two hashing policies share {@code HashingBalancer}: {@code HashKeys} reads the key named by {@code hashOn}
 * (header, cookie, client IP or path) and {@code Hashing} hashes it with xxHash64; requests without the key are spread
 * by smooth weighted round robin.
 *
 * <p>Every balancer is built once per endpoint set (off the event loops, as part of a config snapshot) and is then
 * immutable apart from an atomic counter: picks are thread-safe, lock-free and allocation-free, called from every event
 * loop. Endpoint discovery lives in the {@code etcd} and {@code dns} subpackages.
 */
package dev.proxy.balancer;
