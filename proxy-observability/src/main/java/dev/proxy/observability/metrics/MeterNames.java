package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;

/**
 * The bounded label values every meter shares (methods, status classes, outcomes) and the fixed latency buckets.
 * Label values come from these lists, route and cluster names only: never paths, query strings or addresses.
 */
final class MeterNames {
    static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};
    /** Index {@code status / 100}; 0 for a status outside 100–599. */
    static final String[] STATUS_CLASSES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    /** The status class of an upstream attempt that got no response. */
    static final String NO_RESPONSE = "error";
    static final String UNROUTED = "unrouted";
    private static final ProxyError[] ERRORS = ProxyError.values();

    /** 100 µs to 30 s: a proxy's own overhead is sub-millisecond, an upstream's tail can reach the route timeout. */
    private static final Duration[] BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
        Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30),
    };

    private MeterNames() {
    }

    static int methodIndex(HttpMethod method) {
        for (int i = 0; i < METHODS.length - 1; i++) {
            if (METHODS[i].equals(method.name())) {
                return i;
            }
        }
        return METHODS.length - 1;
    }

    static int statusClass(int status) {
        int c = status / 100;
        return c >= 1 && c <= 5 ? c : 0;
    }

    static int errorCount() {
        return ERRORS.length;
    }

    /** A timer with the fixed proxy buckets and no client-side percentiles. */
    static Timer.Builder timer(String name) {
        return Timer.builder(name).serviceLevelObjectives(BUCKETS).publishPercentileHistogram(false)
                .minimumExpectedValue(BUCKETS[0]).maximumExpectedValue(BUCKETS[BUCKETS.length - 1]);
    }
}
