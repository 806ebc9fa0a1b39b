package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/**
 * A route's header edits: those of the request sent upstream and those of the upstream's response sent to the
 * client. Immutable.
 */
public record HeadersConfig(HeaderEditConfig request, HeaderEditConfig response) {
    /** No edits either way. */
    public static final HeadersConfig NONE = new HeadersConfig(HeaderEditConfig.NONE, HeaderEditConfig.NONE);

    public HeadersConfig {
        requireNonNull(request, "request");
        requireNonNull(response, "response");
    }
}
