package dev.proxy.resilience.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A route's rate limit with {@code scope: global}: counted by the whole fleet in Redis, for the whole route or per
 * client key, through one {@link GlobalLimiter} per limit (per key in a cache bounded as for local limits). The same
 * answers as a local limit ({@code 429 rate_limited} with {@code Retry-After} and {@code RateLimit-*}, the seconds to
 * the end of the fleet's period); while Redis cannot be asked, {@code failureMode: open} admits (counted as a
 * fallback) and {@code closed} answers {@code 503 rate_limit_unavailable}. A request that arrives while this replica
 * waits for its first share of a period is asked again a millisecond later on its own event loop, for no longer than
 * the Redis timeout.
 *
 * <p>Thread-safe, non-blocking, called from every event loop.
 */
public final class GlobalRateLimitFilter implements RequestFilter {
    /** A replica draws this share of a period's permits at a time, so a handful of replicas seldom strand many. */
    private static final int SHARES_PER_PERIOD = 20;
    private static final Verdict ASK_AGAIN = Verdict.askAgain(TimeUnit.MILLISECONDS.toNanos(1));
    private static final Verdict UNAVAILABLE = Verdict.reject(ProxyError.RATE_LIMIT_UNAVAILABLE);

    private final int burst;
    private final boolean failOpen;
    private final GlobalLimitHealth health;
    private final ClientKeys keys;
    private final GlobalLimiter routeLimiter;
    private final Cache<String, GlobalLimiter> keyed;
    private final Function<String, GlobalLimiter> newLimiter;

    /**
     * @param name the route's name: with the limit's numbers, it names the counters in Redis, so replicas with the
     *     same route share them and a changed limit starts afresh
     */
    public GlobalRateLimitFilter(String name, RateLimitConfig config, TokenSource source, GlobalLimitHealth health,
                                 LongSupplier nanoClock) {
        requireNonNull(name, "name");
        requireNonNull(source, "source");
        this.health = requireNonNull(health, "health");
        this.burst = config.burst();
        this.failOpen = config.failOpen();
        this.keys = new ClientKeys(config);
        long periodMillis = Math.max(1, Math.round(config.burst() / config.requestsPerSecond() * 1000));
        int chunk = Math.max(1, burst / SHARES_PER_PERIOD);
        String prefix = "proxy:ratelimit:" + name + ':' + burst + ':' + periodMillis + ':';
        this.newLimiter = key -> new GlobalLimiter(source, health, prefix + key, burst, periodMillis, chunk,
                nanoClock);
        if (config.keyed()) {
            this.routeLimiter = null;
            this.keyed = Caffeine.newBuilder()
                    .maximumSize(config.maxKeys())
                    .expireAfterAccess(config.keyIdleTime())
                    .ticker(nanoClock::getAsLong)
                    .build();
        } else {
            this.routeLimiter = newLimiter.apply("route");
            this.keyed = null;
        }
    }

    @Override
    public Verdict onRequest(RequestInfo request) {
        GlobalLimiter limiter = routeLimiter != null ? routeLimiter : keyed.get(keys.of(request), newLimiter);
        return switch (limiter.tryAcquire()) {
            case ADMIT -> Verdict.PASS;
            case REJECT -> RateLimitFilter.reject(limiter.nanosToPeriodEnd(), burst);
            case WAIT -> ASK_AGAIN;
            case UNAVAILABLE -> failOpen ? Verdict.PASS : UNAVAILABLE;
        };
    }

    /** How the Redis behind this limit is doing. */
    public GlobalLimitHealth health() {
        return health;
    }

    @Override
    public String toString() {
        return "GlobalRateLimitFilter[" + burst + (keyed == null ? "" : ", keyed") + (failOpen ? ", fail open"
                : ", fail closed") + "]";
    }
}
