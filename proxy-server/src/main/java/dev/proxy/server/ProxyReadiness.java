package dev.proxy.server;

import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.engine.ProxyServer;
import dev.proxy.server.admin.Readiness;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Ready when the listener is bound, the proxy is not draining, and discovered clusters have had their endpoints at
 * least once (from etcd or the snapshot file). Stale discovery is a degradation, not unreadiness: every proxy loses
 * etcd at the same moment, and taking them all out of service would turn an etcd outage into a full one.
 */
final class ProxyReadiness implements Readiness {
    private final ProxyServer proxy;
    private final Optional<? extends EndpointSource> discovery;

    ProxyReadiness(ProxyServer proxy, Optional<? extends EndpointSource> discovery) {
        this.proxy = proxy;
        this.discovery = discovery;
    }

    @Override
    public List<String> notReadyReasons() {
        List<String> reasons = new ArrayList<>();
        if (proxy.isDraining()) {
            reasons.add("draining");
        } else if (!proxy.isReady()) {
            reasons.add("listener not bound");
        }
        if (discovery.isPresent() && !discovery.get().status().synced()) {
            reasons.add("discovery not synced (no endpoints from etcd yet)");
        }
        return reasons;
    }

    @Override
    public List<String> degradations() {
        if (discovery.isEmpty()) {
            return List.of();
        }
        DiscoveryStatus status = discovery.get().status();
        return status.stale() ? List.of("discovery stale (etcd unreachable, serving the last known endpoints)")
                : List.of();
    }
}
