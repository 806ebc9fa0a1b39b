package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Client certificates on the listener (mutual TLS).
 *
 * @param trustedCa the CA bundle client certificates must chain to; required unless {@code mode} is none
 * @param forwardHeader the request header the verified identity is put in (SPIFFE ID when the certificate has one,
 *     else the subject); a value the client sent in it is always removed first. Routes can match on it.
 */
public record ClientAuthConfig(Mode mode, Optional<Path> trustedCa, Optional<String> forwardHeader) {
    public static final ClientAuthConfig NONE = new ClientAuthConfig(Mode.NONE, Optional.empty(), Optional.empty());

    /** Whether a client certificate is asked for, and whether a client without one is refused. */
    public enum Mode { NONE, OPTIONAL, REQUIRED }

    public ClientAuthConfig {
        requireNonNull(mode, "mode");
        requireNonNull(trustedCa, "trustedCa");
        requireNonNull(forwardHeader, "forwardHeader");
    }
}
