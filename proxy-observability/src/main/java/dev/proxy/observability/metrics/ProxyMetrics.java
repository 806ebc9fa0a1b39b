package dev.proxy.observability.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The proxy's meters and their Prometheus exposition: the one registry every module's meters are bound to, with the
 * JVM and process meters, served as the Prometheus text format or, when the scraper asks for it, OpenMetrics.
 * Thread-safe. Label values must stay bounded (cluster and route names, never paths or client addresses).
 */
public final class ProxyMetrics implements AutoCloseable {
    /** The content types the registry writes (the exposition writers' own, which are not on the compile path). */
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** With exemplars: each latency bucket may name the trace of a request in it (OpenMetrics only). */
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
            new PrometheusRegistry(), Clock.SYSTEM, ExemplarSpans.INSTANCE);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

    public ProxyMetrics() {
        // promtool's lint rejects these two names (an abbreviated unit, a _count suffix on a gauge); nothing lost:
        // process_cpu_usage is there, and the core count is the machine's, not the proxy's
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")
                || id.getName().equals("system.cpu.count")));
        // every filter comes before the first meter
        registry.config().meterFilter(NettyMeters.HELP_AND_STABLE_TAGS);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Runs {@code task} before each scrape: for meters whose set follows the running config. */
    public void beforeScrape(Runnable task) {
        beforeScrape.add(task);
    }

    /** One exposition: its content type and its text. */
    public record Scrape(String contentType, String body) {
    }

    /**
     * Every meter, in OpenMetrics when {@code accept} (the request's {@code Accept} header, or null) asks for
     * {@code application/openmetrics-text}, in the Prometheus text format otherwise.
     */
    public Scrape scrape(String accept) {
        String type = accept != null && accept.contains("application/openmetrics-text")
                ? OPEN_METRICS : PROMETHEUS_TEXT;
        beforeScrape.forEach(Runnable::run);
        return new Scrape(type, registry.scrape(type));
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
