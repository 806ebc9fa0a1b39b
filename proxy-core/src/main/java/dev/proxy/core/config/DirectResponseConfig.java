package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/**
 * A route that answers with a fixed response instead of forwarding (a maintenance page, a health answer). Immutable.
 *
 * @param body the body, sent as UTF-8; may be empty
 * @param contentType the {@code Content-Type} of the body
 */
public record DirectResponseConfig(int status, String body, String contentType) {
    public DirectResponseConfig {
        requireNonNull(body, "body");
        requireNonNull(contentType, "contentType");
    }
}
