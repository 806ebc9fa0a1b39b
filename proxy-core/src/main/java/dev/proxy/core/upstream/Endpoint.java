package dev.proxy.core.upstream;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.HostPort;
import java.net.InetSocketAddress;

/**
 * One upstream server. Equal by address and weight, so an unchanged endpoint in a new config keeps its pool.
 * Immutable. The socket address is left unresolved: names are resolved without blocking at connect time.
 */
public final class Endpoint {
    private final HostPort address;
    private final int weight;
    private final InetSocketAddress socketAddress;

    public Endpoint(HostPort address, int weight) {
        this.address = requireNonNull(address, "address");
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1");
        }
        this.weight = weight;
        this.socketAddress = InetSocketAddress.createUnresolved(address.host(), address.port());
    }

    public HostPort address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    /** The address to connect to, unresolved: names are resolved without blocking when connecting. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint && ((Endpoint) o).address.equals(address) && ((Endpoint) o).weight == weight;
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 + weight;
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
