package dev.proxy.resilience.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A route's rate limit: {@code burst} requests per {@code burst / requestsPerSecond} seconds, for the whole route or
 * per client key (the client's IP address, a request header's value, or both). A request over the limit is answered
 * {@code 429 rate_limited} with {@code Retry-After} and the {@code RateLimit-*} headers of the IETF draft, all in whole
 * seconds until the bucket refills.
 *
 * <p>Per-key buckets live in a Caffeine cache bounded by {@code maxKeys} (least recently used forgotten first) and
 * expiring after {@code keyIdleTime} unused, so a flood of distinct keys cannot grow memory without bound; a forgotten
 * key starts again with a full bucket. The cache's upkeep runs on the common fork-join pool, not on the event loops.
 *
 * <p>Thread-safe and called from every event loop. A known key costs a lock-free cache read and one compare-and-set;
 * a new key computes its bucket in the cache (the only path that may briefly wait on another thread creating the same
 * key). Only a rejection allocates (its headers).
 */
public final class RateLimitFilter implements RequestFilter {
    static final AsciiString RATELIMIT_LIMIT = AsciiString.cached("ratelimit-limit");
    static final AsciiString RATELIMIT_REMAINING = AsciiString.cached("ratelimit-remaining");
    static final AsciiString RATELIMIT_RESET = AsciiString.cached("ratelimit-reset");
    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier nanoClock;
    private final long periodNanos;
    private final int burst;
    private final boolean byClientIp;
    private final String header;
    /** The route's one bucket when not keyed, else null. */
    private final PermitBucket routeBucket;
    /** Buckets per client key when keyed, else null. */
    private final Cache<String, PermitBucket> keyed;
    // a field, not a lambda at the call site, so that looking up a key does not allocate a capturing lambda
    private final Function<String, PermitBucket> newBucket;

    public RateLimitFilter(RateLimitConfig config, LongSupplier nanoClock) {
        requireNonNull(config, "config");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.burst = config.burst();
        this.periodNanos = Math.max(1, Math.round(config.burst() / config.requestsPerSecond() * NANOS_PER_SECOND));
        this.byClientIp = config.clientIp();
        this.header = config.header().orElse(null);
        this.newBucket = key -> new PermitBucket(nanoClock.getAsLong(), periodNanos, burst);
        if (config.keyed()) {
            this.routeBucket = null;
            this.keyed = Caffeine.newBuilder()
                    .maximumSize(config.maxKeys())
                    .expireAfterAccess(config.keyIdleTime())
                    .ticker(nanoClock::getAsLong)
                    .build();
        } else {
            this.routeBucket = new PermitBucket(nanoClock.getAsLong(), periodNanos, burst);
            this.keyed = null;
        }
    }

    @Override
    public Verdict onRequest(RequestInfo request) {
        long now = nanoClock.getAsLong();
        PermitBucket bucket = routeBucket != null ? routeBucket : keyed.get(keyOf(request), newBucket);
        return bucket.tryAcquire(now) ? Verdict.PASS : reject(bucket.nanosToRefill(now));
    }

    private Verdict reject(long nanosToRefill) {
        long seconds = Math.max(1, (nanosToRefill + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.RETRY_AFTER, seconds);
        headers.setInt(RATELIMIT_LIMIT, burst);
        headers.setInt(RATELIMIT_REMAINING, 0);
        headers.set(RATELIMIT_RESET, seconds);
        return Verdict.reject(ProxyError.RATE_LIMITED, HttpResponseStatus.TOO_MANY_REQUESTS, headers);
    }

    /**
     * The client IP, the header's value, or both joined by a space, which cannot occur in an IP address, so distinct
     * pairs never share a key. A missing header counts as the empty value: all requests without it share a bucket.
     */
    private String keyOf(RequestInfo request) {
        String value = header == null ? null : request.request().headers().get(header);
        if (!byClientIp) {
            return value == null ? "" : value;
        }
        String ip = ipOf(request.client());
        return header == null ? ip : ip + ' ' + (value == null ? "" : value);
    }

    private static String ipOf(InetSocketAddress client) {
        InetAddress address = client.getAddress();
        return address != null ? address.getHostAddress() : client.getHostString();
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
