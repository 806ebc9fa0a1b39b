package dev.proxy.core.runtime;

import dev.proxy.core.routing.Route;
import java.util.concurrent.ThreadLocalRandom;

/** Where a route sends its requests: one cluster, or a weighted split between several (a canary). Immutable. */
public final class RouteTarget {
    private final Route route;
    private final Cluster[] clusters;
    private final int[] cumulativeWeights;

    RouteTarget(Route route, Cluster[] clusters, int[] weights) {
        this.route = route;
        this.clusters = clusters;
        this.cumulativeWeights = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cumulativeWeights[i] = sum;
        }
    }

    public Route route() {
        return route;
    }

    /** The cluster for one request; with several, chosen at random in proportion to the weights. */
    public Cluster pickCluster() {
        if (clusters.length == 1) {
            return clusters[0];
        }
        int r = ThreadLocalRandom.current().nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
        for (int i = 0; i < cumulativeWeights.length; i++) {
            if (r < cumulativeWeights[i]) {
                return clusters[i];
            }
        }
        return clusters[clusters.length - 1];
    }
}
