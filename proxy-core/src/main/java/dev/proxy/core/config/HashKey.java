package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/**
 * What a consistent-hashing balancer hashes to choose an endpoint: a header, a cookie, the client IP or the path.
 *
 * @param name the header or cookie name (lower case for headers); empty for the client IP and the path
 */
public record HashKey(Source source, String name) {
    /** Where the key comes from. */
    public enum Source { HEADER, COOKIE, CLIENT_IP, PATH }

    public HashKey {
        requireNonNull(source, "source");
        requireNonNull(name, "name");
    }
}
