package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The downstream meters of one route (or of the requests that matched none). Counters are registered on first use,
 * so a route shows only the methods and status classes it served. Thread-safe.
 */
final class RouteMeters {
    private final MeterRegistry registry;
    private final String route;
    private final AtomicReferenceArray<Counter> requests =
            new AtomicReferenceArray<>(MeterNames.METHODS.length * MeterNames.STATUS_CLASSES.length);
    private final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(MeterNames.errorCount());
    private final Timer duration;
    private final Counter bytesIn;
    private final Counter bytesOut;

    RouteMeters(MeterRegistry registry, String route) {
        this.registry = registry;
        this.route = route;
        this.duration = MeterNames.timer("proxy.request.duration")
                .description("From the request head to the end of the response, as the client saw it")
                .tag("route", route).register(registry);
        this.bytesIn = Counter.builder("proxy.request.body").baseUnit("bytes")
                .description("Request body bytes read from clients").tag("route", route).register(registry);
        this.bytesOut = Counter.builder("proxy.response.body").baseUnit("bytes")
                .description("Response body bytes written to clients").tag("route", route).register(registry);
    }

    void record(int method, int statusClass, ProxyError error, long nanos, long in, long out) {
        int i = method * MeterNames.STATUS_CLASSES.length + statusClass;
        Counter c = requests.get(i);
        if (c == null) {
            c = Counter.builder("proxy.requests").description("Requests by route, method and status class")
                    .tag("route", route).tag("method", MeterNames.METHODS[method])
                    .tag("status_class", MeterNames.STATUS_CLASSES[statusClass]).register(registry);
            requests.set(i, c);
        }
        c.increment();
        duration.record(nanos, TimeUnit.NANOSECONDS);
        if (in > 0) {
            bytesIn.increment(in);
        }
        if (out > 0) {
            bytesOut.increment(out);
        }
        if (error != null) {
            Counter e = errors.get(error.ordinal());
            if (e == null) {
                e = Counter.builder("proxy.errors")
                        .description("Requests the proxy failed itself, by reason (rate_limited, overloaded, "
                                + "circuit_open, upstream_reset, bad_request, ...)")
                        .tag("route", route).tag("reason", error.reason()).register(registry);
                errors.set(error.ordinal(), e);
            }
            e.increment();
        }
    }
}
