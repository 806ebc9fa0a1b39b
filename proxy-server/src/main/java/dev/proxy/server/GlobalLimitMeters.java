package dev.proxy.server;

import dev.proxy.resilience.ratelimit.GlobalLimitHealth;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;

/**
 * The meters of the global rate limits' Redis, read off {@link GlobalLimitHealth} at each scrape: calls and their
 * latency, errors (failed or timed-out calls), and fallbacks (requests decided by a limit's {@code failureMode}).
 * Bound once, only when the config has a {@code redis} block.
 */
final class GlobalLimitMeters {
    private GlobalLimitMeters() {
    }

    static void bind(MeterRegistry registry, GlobalLimitHealth health) {
        FunctionTimer.builder("proxy_ratelimit_redis_calls", health, GlobalLimitHealth::calls,
                        GlobalLimitHealth::latencyNanos, TimeUnit.NANOSECONDS)
                .description("Draws of permits from Redis by the global rate limits, and their latency")
                .register(registry);
        FunctionCounter.builder("proxy_ratelimit_redis_errors", health, h -> h.errors())
                .description("Draws from Redis that failed or timed out")
                .register(registry);
        FunctionCounter.builder("proxy_ratelimit_redis_fallbacks", health, h -> h.fallbacks())
                .description("Requests decided by a global limit's failureMode because Redis could not be asked")
                .register(registry);
    }
}
