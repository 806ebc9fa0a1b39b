package dev.proxy.resilience.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A route's rate limit, for the whole route or per client key (the client's IP address, a request header's value, or
 * both), enforced by resilience4j's {@code AtomicRateLimiter} behind a {@link GuardedLimiter}. The algorithm is
 * resilience4j's: time is cut into periods of {@code burst / requestsPerSecond} seconds, counted from the limit's
 * creation; at the start of each period the permits are topped up to {@code burst} in one batch (unused ones do not
 * pile up beyond that). So at most {@code burst} requests pass in any one period, and over time
 * {@code requestsPerSecond}.
 *
 * <p>A request over the limit is answered {@code 429 rate_limited} with {@code Retry-After} and the
 * {@code RateLimit-*} headers of the IETF draft, in whole seconds until a permit is free. With a queueing time
 * ({@code maxQueueTime}), a request over the limit instead takes the next free permit and waits for it, when that is
 * no further away than the queueing time: the filter answers {@link Verdict#delay}, which the exchange serves with a
 * timer on the request's own event loop (not reading its body meanwhile, counting the wait against the route
 * deadline, and holding its concurrency permit); only a request whose wait would be longer is rejected.
 *
 * <p>Per-key limiters live in a Caffeine cache bounded by {@code maxKeys} (least recently used forgotten first) and
 * expiring after {@code keyIdleTime} unused, so a flood of distinct keys cannot grow memory without bound; a forgotten
 * key starts again with a full set of permits. The cache's upkeep runs on the common fork-join pool, not on the event
 * loops.
 *
 * <p>Thread-safe and called from every event loop; never parks or blocks one (see {@link GuardedLimiter}). When
 * another event loop holds the same limiter at that instant, the request is asked about again on the next turn of its
 * own event loop ({@link Verdict#askAgain}). A new key computes its limiter in the cache (the only path that may
 * briefly wait on another thread creating the same key). A rejection and a queued request allocate their verdict.
 */
public final class RateLimitFilter implements RequestFilter {
    static final AsciiString RATELIMIT_LIMIT = AsciiString.cached("ratelimit-limit");
    static final AsciiString RATELIMIT_REMAINING = AsciiString.cached("ratelimit-remaining");
    static final AsciiString RATELIMIT_RESET = AsciiString.cached("ratelimit-reset");
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Asks again on the next turn of the event loop: the shortest delay the exchange's timer takes. */
    private static final Verdict ASK_AGAIN = Verdict.askAgain(1);

    private final int burst;
    private final long periodNanos;
    private final ClientKeys keys;
    /** The route's one limiter when not keyed, else null. */
    private final GuardedLimiter routeLimiter;
    /** Limiters per client key when keyed, else null. */
    private final Cache<String, GuardedLimiter> keyed;
    // a field, not a lambda at the call site, so that looking up a key does not allocate a capturing lambda
    private final Function<String, GuardedLimiter> newLimiter;

    /**
     * @param name names the limiter (the route's name)
     * @param nanoClock a monotonic nanosecond clock, as {@link System#nanoTime}
     */
    public RateLimitFilter(String name, RateLimitConfig config, LongSupplier nanoClock) {
        requireNonNull(name, "name");
        requireNonNull(config, "config");
        requireNonNull(nanoClock, "nanoClock");
        this.burst = config.burst();
        this.periodNanos = Math.max(1, Math.round(config.burst() / config.requestsPerSecond() * NANOS_PER_SECOND));
        this.keys = new ClientKeys(config);
        // one immutable config shared by all of the route's limiters
        RateLimiterConfig limiterConfig = RateLimiterConfig.custom()
                .limitForPeriod(burst)
                .limitRefreshPeriod(Duration.ofNanos(periodNanos))
                .timeoutDuration(config.maxQueueTime())
                .writableStackTraceEnabled(false)
                .build();
        this.newLimiter = key -> new GuardedLimiter(name, limiterConfig, nanoClock);
        if (config.keyed()) {
            this.routeLimiter = null;
            this.keyed = Caffeine.newBuilder()
                    .maximumSize(config.maxKeys())
                    .expireAfterAccess(config.keyIdleTime())
                    .ticker(nanoClock::getAsLong)
                    .build();
        } else {
            this.routeLimiter = new GuardedLimiter(name, limiterConfig, nanoClock);
            this.keyed = null;
        }
    }

    /** A limit named "rate-limit". */
    public RateLimitFilter(RateLimitConfig config, LongSupplier nanoClock) {
        this("rate-limit", config, nanoClock);
    }

    @Override
    public Verdict onRequest(RequestInfo request) {
        GuardedLimiter limiter = routeLimiter != null ? routeLimiter : keyed.get(keys.of(request), newLimiter);
        long wait = limiter.reserve();
        if (wait == 0) {
            return Verdict.PASS;
        }
        if (wait > 0) {
            // queueing mode: the permit is ours, at the end of this wait
            return Verdict.delay(wait);
        }
        return wait == GuardedLimiter.BUSY ? ASK_AGAIN : reject(limiter.nanosToWait());
    }

    private Verdict reject(long nanosToWait) {
        return reject(nanosToWait, burst);
    }

    /** 429 with {@code Retry-After} and {@code RateLimit-*}: the whole seconds until a permit is free, at least 1. */
    static Verdict reject(long nanosToWait, int burst) {
        long seconds = Math.max(1, (nanosToWait + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.RETRY_AFTER, seconds);
        headers.setInt(RATELIMIT_LIMIT, burst);
        headers.setInt(RATELIMIT_REMAINING, 0);
        headers.set(RATELIMIT_RESET, seconds);
        return Verdict.reject(ProxyError.RATE_LIMITED, HttpResponseStatus.TOO_MANY_REQUESTS, headers);
    }

    /** Client keys tracked now (an estimate: forgotten keys may still be counted until the cache's next upkeep). */
    public long keyCount() {
        return keyed == null ? 0 : keyed.estimatedSize();
    }

    /** Runs the key cache's pending upkeep (evictions, expiries) now; for tests. */
    void cleanUp() {
        if (keyed != null) {
            keyed.cleanUp();
        }
    }

    @Override
    public String toString() {
        return "RateLimitFilter[" + burst + " per " + periodNanos + "ns" + (keyed == null ? "" : ", keyed") + "]";
    }
}
