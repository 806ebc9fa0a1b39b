package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS to a cluster's endpoints.
 *
 * @param trustedCa the CA bundle the endpoints' certificates must chain to; empty uses the JVM's trust store
 * @param serverName the SNI name sent and the name the certificate must carry; empty uses each endpoint's host
 * @param certificate a client certificate (PEM chain) for mutual TLS, with {@code key}; both or neither
 * @param verify false skips certificate and hostname checks: for tests only, never in production
 */
public record UpstreamTlsConfig(Optional<Path> trustedCa, Optional<String> serverName, Optional<Path> certificate,
                                Optional<Path> key, boolean verify) {
    public UpstreamTlsConfig {
        requireNonNull(trustedCa, "trustedCa");
        requireNonNull(serverName, "serverName");
        requireNonNull(certificate, "certificate");
        requireNonNull(key, "key");
    }
}
