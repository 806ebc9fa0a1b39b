package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * How a route changes the request before forwarding it.
 *
 * @param pathPrefix replaces the matched path prefix (only for prefix routes)
 * @param host replaces the Host header; when empty the client's Host is preserved
 */
public record Rewrite(Optional<String> pathPrefix, Optional<String> host) {
    public static final Rewrite NONE = new Rewrite(Optional.empty(), Optional.empty());

    public Rewrite {
        requireNonNull(pathPrefix, "pathPrefix");
        requireNonNull(host, "host");
    }
}
