package dev.proxy.core.balancer;

import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Round robin over an immutable endpoint list; one atomic counter, no lock. */
final class RoundRobin implements LoadBalancer {
    private final Optional<Endpoint>[] endpoints;
    private final AtomicInteger next = new AtomicInteger();

    @SuppressWarnings("unchecked")
    RoundRobin(List<Endpoint> endpoints) {
        this.endpoints = endpoints.stream().map(Optional::of).toArray(Optional[]::new);
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        if (endpoints.length == 0) {
            return Optional.empty();
        }
        return endpoints[Math.floorMod(next.getAndIncrement(), endpoints.length)];
    }
}
