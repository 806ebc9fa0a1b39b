package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How the proxy reaches the Redis that holds the counters of the rate limits with {@code scope: global}.
 *
 * @param url {@code redis://host:port} or, for TLS, {@code rediss://host:port}; a database number as its path
 * @param username with {@code passwordFile}, Redis 6 ACL authentication; empty: the {@code default} user
 * @param passwordFile a file holding the password (a mounted secret), read when the client is created; empty: none
 * @param trustedCa for {@code rediss://}, the CA that signed the server's certificate; empty: the JVM's trust store
 * @param connectTimeout how long one connection attempt may take
 * @param timeout how long one call may take; past it the limit's {@code failureMode} decides
 */
public record RedisConfig(URI url, Optional<String> username, Optional<Path> passwordFile, Optional<Path> trustedCa,
                          Duration connectTimeout, Duration timeout) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(100);

    public RedisConfig {
        requireNonNull(url, "url");
        requireNonNull(username, "username");
        requireNonNull(passwordFile, "passwordFile");
        requireNonNull(trustedCa, "trustedCa");
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(timeout, "timeout");
    }

    /** True for {@code rediss://}. */
    public boolean tls() {
        return "rediss".equals(url.getScheme());
    }
}
