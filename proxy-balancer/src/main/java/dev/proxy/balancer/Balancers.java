package dev.proxy.balancer;

import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.balancer.Locality;
import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.Endpoint;
import java.util.List;
import java.util.Optional;

/**
 * The load-balancer policies this module provides, by the name the config file uses. Stateless. Building a balancer
 * may take milliseconds (hash rings, Maglev tables, weighted schedules), so it belongs with the rest of a config
 * snapshot, off the event loops; the balancers it returns are thread-safe and lock-free.
 */
public final class Balancers {
    private Balancers() {
    }

    /**
     * A factory for every {@link dev.proxy.core.config.BalancerPolicy}, zone-aware ({@link LocalityBalancer}) for the
     * clusters whose {@code locality} asks for it.
     */
    public static LoadBalancer.Factory factory() {
        return new LoadBalancer.Factory() {
            @Override
            public LoadBalancer create(BalancerConfig config, List<Endpoint> endpoints, EndpointLoad load) {
                return Balancers.create(config, endpoints, load);
            }

            @Override
            public LoadBalancer create(BalancerConfig config, List<Endpoint> endpoints, EndpointLoad load,
                                       Optional<Locality> locality) {
                if (locality.isEmpty()) {
                    return Balancers.create(config, endpoints, load);
                }
                return new LocalityBalancer(endpoints, load, locality.get(),
                        (zoneEndpoints, zoneLoad) -> Balancers.create(config, zoneEndpoints, zoneLoad),
                        LeastRequest.THREAD_LOCAL_RANDOM);
            }
        };
    }

    /**
     * The balancer {@code config} asks for. A hashing policy without {@code hashOn} (the config reader rejects that)
     * would find no key in any request, so it is the key-less fallback itself: smooth weighted round robin.
     *
     * @throws IllegalArgumentException if maglev's {@code tableSize} is not a prime
     */
    static LoadBalancer create(BalancerConfig config, List<Endpoint> endpoints, EndpointLoad load) {
        List<Endpoint> list = List.copyOf(endpoints);
        switch (config.policy()) {
            case ROUND_ROBIN:
                return LoadBalancer.roundRobin(list);
            case WEIGHTED_ROUND_ROBIN:
                return new SmoothWeightedRoundRobin(list);
            case LEAST_REQUEST:
                return new LeastRequest(list, load, LeastRequest.THREAD_LOCAL_RANDOM);
            case RANDOM:
                return new RandomBalancer(list);
            case RING_HASH:
                return config.hashOn()
                        .<LoadBalancer>map(key -> new HashingBalancer(new HashKeys(key),
                                new RingHash(list, config.virtualNodes()), list))
                        .orElseGet(() -> new SmoothWeightedRoundRobin(list));
            case MAGLEV:
                return config.hashOn()
                        .<LoadBalancer>map(key -> new HashingBalancer(new HashKeys(key),
                                new MaglevTable(list, config.tableSize()), list))
                        .orElseGet(() -> new SmoothWeightedRoundRobin(list));
            default:
                throw new IllegalArgumentException("unknown policy " + config.policy());
        }
    }
}
