package dev.proxy.core.balancer;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.LocalityConfig;
import dev.proxy.core.observe.ClusterObserver;

/**
 * What a zone-aware balancer needs beyond the cluster's policy: the cluster's {@code locality} settings, the proxy's
 * own zone, the endpoints' availability and where to count each pick's zone. Immutable.
 *
 * @param localZone the proxy's zone ({@code server.zone})
 * @param availability of the endpoints the balancer is built with, by their index
 * @param observer hears whether each pick went to the local zone or another
 */
public record Locality(LocalityConfig config, String localZone, EndpointAvailability availability,
                       ClusterObserver observer) {
    public Locality {
        requireNonNull(config, "config");
        requireNonNull(localZone, "localZone");
        requireNonNull(availability, "availability");
        requireNonNull(observer, "observer");
    }
}
