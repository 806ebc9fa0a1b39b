package dev.proxy.core.balancer;

import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.upstream.Endpoint;
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

    /** Cycles through the endpoints in order, ignoring weights. */
    static LoadBalancer roundRobin(List<Endpoint> endpoints) {
        return new RoundRobin(endpoints);
    }

    /** Builds the balancer a cluster's config asks for. Modules with more policies provide their own factory. */
    interface Factory {
        LoadBalancer create(BalancerPolicy policy, List<Endpoint> endpoints);

        /** The factory of {@code proxy-core} alone: round robin for every policy it knows. */
        static Factory roundRobinOnly() {
            return (policy, endpoints) -> {
                if (policy != BalancerPolicy.ROUND_ROBIN) {
                    throw new IllegalArgumentException("policy " + policy.configName() + " needs proxy-balancer");
                }
                return roundRobin(endpoints);
            };
        }
    }
}
