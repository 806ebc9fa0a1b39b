package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A route that answers with a redirect instead of forwarding: each part of the {@code Location} left empty is the
 * request's own. Immutable.
 *
 * @param scheme {@code http} or {@code https}; empty keeps the request's
 * @param host the host name (no port); empty keeps the one the client asked for
 * @param port the port; empty keeps the client's, or drops it when the scheme changes (the new scheme's default)
 * @param path replaces the whole path; at most one of {@code path} and {@code prefixRewrite}
 * @param prefixRewrite replaces the prefix {@code match.pathPrefix} matched
 * @param status 301, 302, 303, 307 or 308
 */
public record RedirectConfig(Optional<String> scheme, Optional<String> host, OptionalInt port, Optional<String> path,
                             Optional<String> prefixRewrite, int status) {
    public RedirectConfig {
        requireNonNull(scheme, "scheme");
        requireNonNull(host, "host");
        requireNonNull(port, "port");
        requireNonNull(path, "path");
        requireNonNull(prefixRewrite, "prefixRewrite");
    }
}
