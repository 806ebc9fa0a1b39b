package dev.proxy.balancer;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.upstream.Endpoint;
import java.util.List;

/** The load-balancer policies this module provides, by the name the config file uses. Stateless. */
public final class Balancers {
    private Balancers() {
    }

    /** A factory for every {@link BalancerPolicy}. */
    public static LoadBalancer.Factory factory() {
        return Balancers::create;
    }

    static LoadBalancer create(BalancerPolicy policy, List<Endpoint> endpoints) {
        switch (policy) {
            case RANDOM:
                return new RandomBalancer(endpoints);
            case ROUND_ROBIN:
            default:
                return LoadBalancer.roundRobin(endpoints);
        }
    }
}
