package dev.proxy.server;

import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.engine.ProxyServer;
import dev.proxy.observability.watchdog.Watchdog;
import dev.proxy.server.admin.Readiness;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Ready when the listener is bound, the proxy is not draining, and discovered clusters have had their endpoints at
 * least once (from etcd or the snapshot file). Stale discovery is a degradation, not unreadiness: every proxy loses
 * etcd at the same moment, and taking them all out of service would turn an etcd outage into a full one. A watchdog
 * threshold crossed makes the proxy unready only with {@code action: fail_readiness}; otherwise it is a degradation.
 * The global rate limits' Redis failing is a degradation too, for the same reason: the limits follow their
 * {@code failureMode} meanwhile. So is a fleet's config source while etcd is away or the cache file serves: the last
 * good config keeps serving.
 */
final class ProxyReadiness implements Readiness {
    private final ProxyServer proxy;
    private final Supplier<? extends Optional<? extends EndpointSource>> discovery;
    private final Watchdog watchdog;
    private final BooleanSupplier redisFailing;
    private final Supplier<Optional<String>> configSource;

    /**
     * @param discovery the discovery running now (a reload may replace it)
     * @param redisFailing true while the Redis of the global rate limits is failing
     * @param configSource why a fleet's config source is degraded (etcd away, the cache serving), if it is
     */
    ProxyReadiness(ProxyServer proxy, Supplier<? extends Optional<? extends EndpointSource>> discovery,
                   Watchdog watchdog, BooleanSupplier redisFailing, Supplier<Optional<String>> configSource) {
        this.proxy = proxy;
        this.discovery = discovery;
        this.watchdog = watchdog;
        this.redisFailing = redisFailing;
        this.configSource = configSource;
    }

    @Override
    public List<String> notReadyReasons() {
        List<String> reasons = new ArrayList<>();
        if (proxy.isDraining()) {
            reasons.add("draining");
        } else if (!proxy.isReady()) {
            reasons.add("listener not bound");
        }
        Optional<? extends EndpointSource> source = discovery.get();
        if (source.isPresent() && !source.get().status().synced()) {
            reasons.add("discovery not synced (no endpoints from etcd or DNS yet)");
        }
        if (watchdog.failsReadiness()) {
            reasons.add("watchdog: over the threshold of " + String.join(", ", watchdog.breaching()));
        }
        return reasons;
    }

    @Override
    public List<String> degradations() {
        List<String> degradations = new ArrayList<>();
        Optional<? extends EndpointSource> source = discovery.get();
        if (source.isPresent() && source.get().status().stale()) {
            degradations.add("discovery stale (etcd unreachable or DNS failing, serving the last known endpoints)");
        }
        if (source.isPresent() && source.get().status().onFallback()) {
            degradations.add("discovery on the fallback etcd (the primary is unreachable)");
        }
        if (!watchdog.healthy() && !watchdog.failsReadiness()) {
            degradations.add("watchdog: over the threshold of " + String.join(", ", watchdog.breaching()));
        }
        if (redisFailing.getAsBoolean()) {
            degradations.add("rate limits' Redis unreachable (global limits follow their failureMode)");
        }
        configSource.get().ifPresent(degradations::add);
        return degradations;
    }
}
