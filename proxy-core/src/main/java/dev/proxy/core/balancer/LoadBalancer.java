package dev.proxy.core.balancer;

import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * Picks the endpoint of a cluster for one request. Implementations are built once per endpoint set and are called
 * concurrently from every event loop: they must be thread-safe without locks shared between loops.
 */
public interface LoadBalancer {
    /**
     * The endpoint for {@code request}, or empty when the cluster has none to offer.
     *
     * @param client the client's address, for policies that hash on it
     */
    Optional<Endpoint> pick(HttpRequest request, SocketAddress client);

    /** How this balancer spreads requests over zones now; empty for one that does not balance by zone. */
    default Optional<ZoneSplit> zoneSplit() {
        return Optional.empty();
    }

    /** Cycles through the endpoints in order, ignoring weights. */
    static LoadBalancer roundRobin(List<Endpoint> endpoints) {
        return new RoundRobin(endpoints);
    }

    /** Builds the balancer a cluster's config asks for. Modules with more policies provide their own factory. */
    interface Factory {
        /**
         * @param endpoints the cluster's endpoints, in config order
         * @param load in-flight requests per endpoint (indexes as in {@code endpoints})
         */
        LoadBalancer create(BalancerConfig config, List<Endpoint> endpoints, EndpointLoad load);

        /**
         * The balancer for a cluster, zone-aware when {@code locality} is present (the cluster's {@code locality} is
         * enabled and the proxy knows its zone). A factory that does not know zones, as this default, ignores it.
         */
        default LoadBalancer create(BalancerConfig config, List<Endpoint> endpoints, EndpointLoad load,
                                    Optional<Locality> locality) {
            return create(config, endpoints, load);
        }

        /** The factory of {@code proxy-core} alone: round robin, and nothing else. */
        static Factory roundRobinOnly() {
            return (config, endpoints, load) -> {
                if (config.policy() != BalancerPolicy.ROUND_ROBIN) {
                    throw new IllegalArgumentException("policy " + config.policy().configName()
                            + " needs proxy-balancer");
                }
                return roundRobin(endpoints);
            };
        }
    }
}
