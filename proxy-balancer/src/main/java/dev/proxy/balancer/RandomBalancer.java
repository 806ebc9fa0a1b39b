package dev.proxy.balancer;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Uniformly random choice, weights ignored; no shared state at all, so it scales with event loops. */
final class RandomBalancer implements LoadBalancer {
    private final List<Optional<Endpoint>> endpoints;

    RandomBalancer(List<Endpoint> endpoints) {
        this.endpoints = endpoints.stream().map(Optional::of).toList();
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        int n = endpoints.size();
        return n == 0 ? Optional.empty() : endpoints.get(ThreadLocalRandom.current().nextInt(n));
    }
}
