package dev.proxy.core;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * One upstream server. Equal by address, weight, zone and labels, so an unchanged endpoint in a new config keeps its
 * pool (and one whose zone or labels changed is a new endpoint: the balancers and subsets that sort endpoints by them
 * are rebuilt around it). Immutable. The socket address is left unresolved: names are resolved without blocking at
 * connect time.
 */
public final class Endpoint {
    private final HostPort address;
    private final int weight;
    private final Optional<String> zone;
    private final Map<String, String> labels;
    private final InetSocketAddress socketAddress;

    public Endpoint(HostPort address, int weight) {
        this(address, weight, Optional.empty(), Map.of());
    }

    /**
     * @param zone the zone the endpoint runs in, empty when unknown
     * @param labels its labels, for the routes' endpoint selectors
     */
    public Endpoint(HostPort address, int weight, Optional<String> zone, Map<String, String> labels) {
        this.address = requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1");
        }
        this.weight = weight;
        this.zone = requireNonNull(zone, "zone");
        this.labels = Map.copyOf(requireNonNull(labels, "labels"));
        this.socketAddress = InetSocketAddress.createUnresolved(address.host(), address.port());
    }

    /** The endpoint {@code config} describes. */
    public static Endpoint of(EndpointConfig config) {
        return new Endpoint(config.address(), config.weight(), config.zone(), config.labels());
    }

    public HostPort address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    /** The zone the endpoint runs in; empty when unknown. */
    public Optional<String> zone() {
        return zone;
    }

    /** The endpoint's labels by name. */
    public Map<String, String> labels() {
        return labels;
    }

    /** True when every label of {@code selector} is among the endpoint's, with the same value. */
    public boolean matches(Map<String, String> selector) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** The address to connect to, unresolved: names are resolved without blocking when connecting. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Endpoint)) {
            return false;
        }
        Endpoint other = (Endpoint) o;
        return other.address.equals(address) && other.weight == weight && other.zone.equals(zone)
                && other.labels.equals(labels);
    }

    @Override
    public int hashCode() {
        return (address.hashCode() * 31 + weight) * 31 + zone.hashCode() * 17 + labels.hashCode();
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
