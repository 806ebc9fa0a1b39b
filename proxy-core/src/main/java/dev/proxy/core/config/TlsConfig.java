package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * TLS on the traffic listener ({@code server.tls}): every connection is TLS once it is set.
 *
 * @param certificates the certificates offered, chosen by the SNI name the client sends; the first is the default
 *     (no SNI, or a name none of them lists)
 * @param protocols the TLS versions accepted, e.g. {@code TLSv1.3}, {@code TLSv1.2}
 * @param ciphers the cipher suites, in the provider's names; empty leaves the provider's defaults
 */
public record TlsConfig(List<CertificateConfig> certificates, List<String> protocols, List<String> ciphers,
                        ClientAuthConfig clientAuth) {
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsConfig {
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(protocols);
        ciphers = List.copyOf(ciphers);
        requireNonNull(clientAuth, "clientAuth");
    }
}
