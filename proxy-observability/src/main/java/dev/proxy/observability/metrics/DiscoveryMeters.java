package dev.proxy.observability.metrics;

import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The meters of endpoint discovery, read from {@link EndpointSource#status()} at each scrape: nothing is counted on
 * the discovery thread. One {@code proxy_discovery_endpoints} series per cluster the source follows.
 */
public final class DiscoveryMeters {
    private DiscoveryMeters() {
    }

    /**
     * Binds the meters of {@code source} to {@code registry}; returns them, to be removed when a reload replaces the
     * source (its counters then start again from zero, which Prometheus reads as a counter reset).
     */
    public static List<Meter> bind(MeterRegistry registry, EndpointSource source) {
        List<Meter> meters = new ArrayList<>();
        meters.add(Gauge.builder("proxy.discovery.connected", source, s -> flag(s.status().connected()))
                .description("1 while etcd answers, 0 while the last known endpoints serve without it")
                .register(registry));
        meters.add(Gauge.builder("proxy.discovery.stale", source, s -> flag(s.status().stale()))
                .description("1 while the endpoints served may be out of date because etcd cannot be reached")
                .register(registry));
        meters.add(Gauge.builder("proxy.discovery.fallback.active", source, s -> flag(s.status().onFallback()))
                .description("1 while the endpoints served come from the fallback etcd (the primary is unreachable)")
                .register(registry));
        meters.add(Gauge.builder("proxy.discovery.synced", source, s -> flag(s.status().synced()))
                .description("1 once every discovered cluster has had its endpoints at least once")
                .register(registry));
        meters.add(FunctionCounter.builder("proxy.discovery.updates", source, s -> s.status().updatesApplied())
                .description("Endpoint sets applied to clusters")
                .register(registry));
        meters.add(FunctionCounter.builder("proxy.discovery.decode.errors", source, s -> s.status().decodeErrors())
                .description("Registration values that could not be read and were skipped")
                .register(registry));
        meters.add(FunctionCounter.builder("proxy.discovery.failures", source, s -> s.status().failures())
                .description("DNS resolutions that failed; the last known endpoints kept serving")
                .register(registry));
        for (String cluster : source.clusters()) {
            meters.add(Gauge.builder("proxy.discovery.endpoints", source, s -> endpoints(s.status(), cluster))
                    .description("Endpoints discovered for the cluster")
                    .tag("cluster", cluster)
                    .register(registry));
        }
        return meters;
    }

    private static double flag(boolean value) {
        return value ? 1 : 0;
    }

    private static double endpoints(DiscoveryStatus status, String cluster) {
        Integer n = status.endpoints().get(cluster);
        return n == null ? 0 : n;
    }
}
