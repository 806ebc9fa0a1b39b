package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * One certificate of the listener: a PEM chain and its PKCS#8 key, and the SNI names it answers for (exact, or a
 * {@code *.suffix} wildcard). Both files are read again when they change.
 */
public record CertificateConfig(Path certificate, Path key, List<String> serverNames) {
    public CertificateConfig {
        requireNonNull(certificate, "certificate");
        requireNonNull(key, "key");
        serverNames = List.copyOf(serverNames);
    }
}
