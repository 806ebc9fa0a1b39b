package dev.proxy.core.runtime;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps ejected endpoints out of a policy's picks: the policy picks as usual, and only when its choice is ejected does
 * this ask again (a rotating policy moves on) and finally scan for an available endpoint (a hashing policy would
 * return the same one, so its other keys stay where they are). In panic, when too few endpoints are left, the
 * policy's choice stands; with panic off and no endpoint available there is no pick. Thread-safe; no lock.
 */
final class EjectionAwareBalancer implements LoadBalancer {
    private final LoadBalancer policy;
    private final EndpointHealth detector;
    private final List<Optional<Endpoint>> endpoints;
    private final AtomicInteger scanStart = new AtomicInteger();

    EjectionAwareBalancer(LoadBalancer policy, EndpointHealth detector, List<Endpoint> endpoints) {
        this.policy = policy;
        this.detector = detector;
        this.endpoints = endpoints.stream().map(Optional::of).toList();
    }

    @Override
    public Optional<ZoneSplit> zoneSplit() {
        return policy.zoneSplit();
    }

    @Override
    public Optional<Endpoint> pick(HttpRequest request, SocketAddress client) {
        Optional<Endpoint> first = policy.pick(request, client);
        if (first.isEmpty() || detector.isAvailable(first.get()) || detector.isPanicking()) {
            return first;
        }
        Optional<Endpoint> again = policy.pick(request, client);
        if (again.isPresent() && detector.isAvailable(again.get())) {
            return again;
        }
        int n = endpoints.size();
        int start = Math.floorMod(scanStart.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            Optional<Endpoint> e = endpoints.get((start + i) % n);
            if (detector.isAvailable(e.get())) {
                return e;
            }
        }
        // none is available: in panic (the threshold says some errors beat none served) the policy's choice
        // stands; with panic off (threshold 0) there is nobody to send to
        return detector.isPanicking() ? first : Optional.empty();
    }
}
