package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.RouteObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The downstream meters of one route (or of the requests that matched none), the observer the engine hands each of
 * the route's requests to. Every meter is registered on first use, so a route shows only the methods, status classes
 * and errors it served, and one that served nothing shows nothing. Thread-safe; a registration race is harmless, as
 * the registry gives both sides the same meter for the same name and tags.
 */
final class RouteMeters implements RouteObserver {
    private final MeterRegistry registry;
    private final String route;
    /** By method, then status class. */
    private final AtomicReferenceArray<Counter> requests =
            new AtomicReferenceArray<>(MeterNames.METHODS.length * MeterNames.STATUS_CLASSES.length);
    /** By {@link ProxyError} ordinal. */
    private final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(MeterNames.errorCount());
    /** The meters every request updates; null until the route's first request. */
    private volatile Totals totals;

    private record Totals(Timer duration, Counter bytesIn, Counter bytesOut) {
    }

    RouteMeters(MeterRegistry registry, String route) {
        this.registry = registry;
        this.route = route;
    }

    @Override
    public void ended(ExchangeRecord r) {
        record(MeterNames.methodIndex(r.request().method()), MeterNames.statusClass(r.status()), r.error(),
                r.durationNanos(), r.bytesIn(), r.bytesOut());
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
        Totals t = totals;
        if (t == null) {
            t = registerTotals();
        }
        t.duration().record(nanos, TimeUnit.NANOSECONDS);
        ExemplarSpans.clear();
        if (in > 0) {
            t.bytesIn().increment(in);
        }
        if (out > 0) {
            t.bytesOut().increment(out);
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

    private Totals registerTotals() {
        Totals t = new Totals(
                MeterNames.timer("proxy.request.duration")
                        .description("From the request head to the end of the response, as the client saw it")
                        .tag("route", route).register(registry),
                Counter.builder("proxy.request.body").baseUnit("bytes")
                        .description("Request body bytes read from clients").tag("route", route).register(registry),
                Counter.builder("proxy.response.body").baseUnit("bytes")
                        .description("Response body bytes written to clients").tag("route", route)
                        .register(registry));
        totals = t;
        return t;
    }
}
