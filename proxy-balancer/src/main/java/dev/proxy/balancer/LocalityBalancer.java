package dev.proxy.balancer;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.balancer.EndpointAvailability;
import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.balancer.Locality;
import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;

/**
 * Zone-aware balancing as a layer over any policy: the cluster's endpoints are grouped by zone, each zone gets its
 * own balancer of the cluster's policy (round robin, least request, a hash ring...), and a pick first draws the zone by
 * the current {@link ZonePlan}, then lets that zone's balancer pick. The groups and their balancers are built once per
 * endpoint set; the plan is recomputed only when the endpoints' availability moves (its version), so a pick costs a
 * version read, at most one random draw and the zone balancer's own pick.
 *
 * <p>Hashing policies keep a key's endpoint within its zone; while the local zone spills, which zone a request goes
 * to is a random draw, so a key's affinity holds for the local share only.
 *
 * <p>Thread-safe and lock-free; called from every event loop. Concurrent recomputations of the plan are harmless: they
 * compute the same plan from the same state, and the last one written wins.
 */
final class LocalityBalancer implements LoadBalancer {
    /** How an endpoint without a zone is shown among the zones. */
    static final String NO_ZONE = "(none)";

    private final String[] zones;
    private final int[][] members;
    private final int[] weights;
    private final LoadBalancer[] byZone;
    private final EndpointAvailability availability;
    private final int minLocalPercent;
    private final ClusterObserver observer;
    private final IntUnaryOperator random;
    private volatile ZonePlan plan;

    /**
     * @param policy builds the cluster's policy over one zone's endpoints, with that zone's load
     * @param random a draw in [0, bound) for a bound; {@link LeastRequest#THREAD_LOCAL_RANDOM} in production
     */
    LocalityBalancer(List<Endpoint> endpoints, EndpointLoad load, Locality locality, PolicyBuilder policy,
                     IntUnaryOperator random) {
        requireNonNull(locality, "locality");
        this.availability = locality.availability();
        this.minLocalPercent = locality.config().minLocalHealthyPercent();
        this.observer = locality.observer();
        this.random = requireNonNull(random, "random");
        // the local zone first, then the others by name, so the split reads the same on every replica
        Map<String, List<Integer>> groups = new TreeMap<>();
        List<Integer> local = new ArrayList<>();
        this.weights = new int[endpoints.size()];
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint e = endpoints.get(i);
            weights[i] = e.weight();
            String zone = e.zone().orElse(NO_ZONE);
            if (e.zone().isPresent() && zone.equals(locality.localZone())) {
                local.add(i);
            } else {
                groups.computeIfAbsent(zone, z -> new ArrayList<>()).add(i);
            }
        }
        int n = 1 + groups.size();
        this.zones = new String[n];
        this.members = new int[n][];
        this.byZone = new LoadBalancer[n];
        zones[0] = locality.localZone();
        members[0] = local.stream().mapToInt(Integer::intValue).toArray();
        int z = 1;
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            zones[z] = g.getKey();
            members[z] = g.getValue().stream().mapToInt(Integer::intValue).toArray();
            z++;
        }
        for (z = 0; z < n; z++) {
            int[] m = members[z];
            if (m.length > 0) {
                List<Endpoint> list = new ArrayList<>(m.length);
                for (int i : m) {
                    list.add(endpoints.get(i));
                }
                byZone[z] = policy.build(List.copyOf(list), index -> load.inFlight(m[index]));
            }
        }
        long version = availability.version();
        this.plan = ZonePlan.compute(members, weights, availability, minLocalPercent, version);
    }

    /** Builds the cluster's policy over some endpoints. */
    @FunctionalInterface
    interface PolicyBuilder {
        LoadBalancer build(List<Endpoint> endpoints, EndpointLoad load);
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        ZonePlan p = current();
        int z = p.allLocal() ? 0 : p.zoneFor(random.applyAsInt(ZonePlan.SCALE));
        LoadBalancer b = byZone[z];
        if (b == null) {
            // only a cluster without endpoints has no balancer in its plan's zone
            return Optional.empty();
        }
        observer.zonePicked(z == 0);
        return b.pick(request, client);
    }

    @Override
    public Optional<ZoneSplit> zoneSplit() {
        return Optional.of(current().split(zones));
    }

    private ZonePlan current() {
        ZonePlan p = plan;
        long version = availability.version();
        if (p.version != version) {
            p = ZonePlan.compute(members, weights, availability, minLocalPercent, version);
            plan = p;
        }
        return p;
    }
}
