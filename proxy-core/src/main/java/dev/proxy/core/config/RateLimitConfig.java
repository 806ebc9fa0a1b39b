package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * A limit on a route's request rate, for the whole route or per client key: {@code burst} permits per period of
 * {@code burst / requestsPerSecond} seconds, topped up in one batch at the start of each period.
 *
 * @param requestsPerSecond the sustained rate allowed
 * @param burst requests allowed at once; the permits refill as one batch of {@code burst} every
 *     {@code burst / requestsPerSecond} seconds
 * @param clientIp the client's IP address is (part of) the key
 * @param header the value of this request header (lower case) is (part of) the key; a request without it shares
 *     one bucket with the others that lack it
 * @param maxKeys the most keys tracked at once; the least recently used are forgotten first
 * @param keyIdleTime a key unused this long is forgotten
 * @param maxQueueTime how long a request over the limit may wait for its permit instead of being rejected;
 *     {@link Duration#ZERO} rejects at once
 * @param global counted by the whole fleet in Redis ({@code scope: global}); false: by this process alone
 * @param failOpen for a global limit, whether requests are admitted (true) or answered 503 (false) while Redis
 *     cannot be reached in time
 */
public record RateLimitConfig(double requestsPerSecond, int burst, boolean clientIp, Optional<String> header,
                              int maxKeys, Duration keyIdleTime, Duration maxQueueTime, boolean global,
                              boolean failOpen) {
    public RateLimitConfig {
        if (!(requestsPerSecond > 0) || burst < 1 || maxKeys < 1) {
            throw new IllegalArgumentException("out of range: " + requestsPerSecond + ", " + burst + ", " + maxKeys);
        }
        requireNonNull(header, "header");
        requireNonNull(keyIdleTime, "keyIdleTime");
        requireNonNull(maxQueueTime, "maxQueueTime");
        if (maxQueueTime.isNegative()) {
            throw new IllegalArgumentException("negative maxQueueTime: " + maxQueueTime);
        }
    }

    /** A limit of this process alone. */
    public RateLimitConfig(double requestsPerSecond, int burst, boolean clientIp, Optional<String> header,
                           int maxKeys, Duration keyIdleTime, Duration maxQueueTime) {
        this(requestsPerSecond, burst, clientIp, header, maxKeys, keyIdleTime, maxQueueTime, false, true);
    }

    /** A limit of this process alone that rejects at once, without queueing. */
    public RateLimitConfig(double requestsPerSecond, int burst, boolean clientIp, Optional<String> header,
                           int maxKeys, Duration keyIdleTime) {
        this(requestsPerSecond, burst, clientIp, header, maxKeys, keyIdleTime, Duration.ZERO);
    }

    /** True when each client key gets its own bucket; false for one bucket for the whole route. */
    public boolean keyed() {
        return clientIp || header.isPresent();
    }
}
