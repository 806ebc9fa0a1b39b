package dev.proxy.server;

import dev.proxy.server.fleet.FleetStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.function.Supplier;

/**
 * What config a replica serves, so that a dashboard or an alert sees replicas that disagree:
 * {@code proxy_config_info{hash="…"} 1} (the info-metric idiom: one row, the fact in the label, replaced on each
 * apply), and with a fleet config source in etcd the revision serving, whether etcd is unreachable and whether the
 * newest version was rejected. Thread-safe.
 */
final class ConfigMeters {
    private final MultiGauge info;

    private ConfigMeters(MeterRegistry registry) {
        this.info = MultiGauge.builder("proxy.config.info")
                .description("The content hash of the config serving (discovery, clusters, routes); always 1")
                .register(registry);
    }

    static ConfigMeters bind(MeterRegistry registry, String hash) {
        ConfigMeters meters = new ConfigMeters(registry);
        meters.applied(hash);
        return meters;
    }

    /** A config with this hash serves now. */
    void applied(String hash) {
        info.register(List.of(MultiGauge.Row.of(Tags.of("hash", hash), 1)), true);
    }

    /** The gauges of a fleet config source, read at each scrape. */
    static void bindFleet(MeterRegistry registry, Supplier<FleetStatus> status) {
        Gauge.builder("proxy.config.source.revision", () -> status.get().appliedRevision())
                .description("The etcd revision of the fleet config serving").register(registry);
        Gauge.builder("proxy.config.source.stale", () -> status.get().reachable() ? 0 : 1)
                .description("1 while etcd cannot be reached: the last good config keeps serving").register(registry);
        Gauge.builder("proxy.config.source.rejected", () -> status.get().rejectedRevision().isPresent() ? 1 : 0)
                .description("1 while the newest version in etcd is rejected: the last good config keeps serving")
                .register(registry);
    }
}
