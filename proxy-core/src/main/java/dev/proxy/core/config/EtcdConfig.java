package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How the proxy reaches etcd, set once for every cluster that discovers its endpoints there.
 *
 * @param endpoints the members' client URLs ({@code http://host:2379} or {@code https://…})
 * @param username with a password, etcd's own authentication
 * @param password the password itself; at most one of {@code password} and {@code passwordFile}
 * @param passwordFile a file holding the password (a mounted secret), read when the client connects
 * @param trustedCa the CA that signed the members' certificates (https endpoints); empty: the JVM's trust store
 * @param clientCertificate with {@code clientKey}, the proxy's certificate for mutual TLS (PEM, PKCS#8 key)
 * @param connectTimeout how long one connection attempt to a member may take
 * @param requestTimeout how long one list or lease call may take before it is retried
 * @param snapshotFile when present, the last known endpoints of every cluster are kept in this file, so that a
 *     proxy restarted while etcd is unreachable still serves
 * @param fallback a second etcd cluster to discover from while this one is unreachable; empty: none
 */
public record EtcdConfig(List<URI> endpoints, Optional<String> username, Optional<String> password,
                         Optional<Path> passwordFile, Optional<Path> trustedCa, Optional<Path> clientCertificate,
                         Optional<Path> clientKey, Duration connectTimeout, Duration requestTimeout,
                         Optional<Path> snapshotFile, Optional<EtcdFallbackConfig> fallback) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);

    public EtcdConfig {
        endpoints = List.copyOf(endpoints);
        requireNonNull(username, "username");
        requireNonNull(password, "password");
        requireNonNull(passwordFile, "passwordFile");
        requireNonNull(trustedCa, "trustedCa");
        requireNonNull(clientCertificate, "clientCertificate");
        requireNonNull(clientKey, "clientKey");
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(requestTimeout, "requestTimeout");
        requireNonNull(snapshotFile, "snapshotFile");
        requireNonNull(fallback, "fallback");
    }

    /** A connection without a fallback etcd. */
    public EtcdConfig(List<URI> endpoints, Optional<String> username, Optional<String> password,
                      Optional<Path> passwordFile, Optional<Path> trustedCa, Optional<Path> clientCertificate,
                      Optional<Path> clientKey, Duration connectTimeout, Duration requestTimeout,
                      Optional<Path> snapshotFile) {
        this(endpoints, username, password, passwordFile, trustedCa, clientCertificate, clientKey, connectTimeout,
                requestTimeout, snapshotFile, Optional.empty());
    }

    /** The same connection with {@code fallback}. */
    public EtcdConfig withFallback(EtcdFallbackConfig fallback) {
        return new EtcdConfig(endpoints, username, password, passwordFile, trustedCa, clientCertificate, clientKey,
                connectTimeout, requestTimeout, snapshotFile, Optional.of(fallback));
    }

    /** Plain-text etcd at these URLs with default timeouts and no snapshot file: what tests and the demo use. */
    public static EtcdConfig plain(List<URI> endpoints) {
        return new EtcdConfig(endpoints, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_REQUEST_TIMEOUT, Optional.empty());
    }

    /** Never prints the password: configs end up in logs. */
    @Override
    public String toString() {
        return "EtcdConfig[endpoints=" + endpoints + ", username=" + username.orElse("-")
                + ", password=" + (password.isPresent() ? "<redacted>" : passwordFile.map(Path::toString).orElse("-"))
                + ", tls=" + (trustedCa.isPresent() || clientCertificate.isPresent())
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
                + ", snapshotFile=" + snapshotFile.map(Path::toString).orElse("-")
                + fallback.map(f -> ", fallback=" + f.connection() + " after " + f.failoverAfter()).orElse("") + "]";
    }
}
