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
 * @param username with {@code password}, etcd's own authentication; both or neither
 * @param trustedCa the CA that signed the members' certificates (https endpoints); empty: the JVM's trust store
 * @param clientCertificate with {@code clientKey}, the proxy's certificate for mutual TLS (PEM, PKCS#8 key)
 * @param connectTimeout how long one connection attempt to a member may take
 * @param requestTimeout how long one list or lease call may take before it is retried
 * @param snapshotFile when present, the last known endpoints of every cluster are kept in this file, so that a
 *     proxy restarted while etcd is unreachable still serves
 */
public record EtcdConfig(List<URI> endpoints, Optional<String> username, Optional<String> password,
                         Optional<Path> trustedCa, Optional<Path> clientCertificate, Optional<Path> clientKey,
                         Duration connectTimeout, Duration requestTimeout, Optional<Path> snapshotFile) {
    public EtcdConfig {
        endpoints = List.copyOf(endpoints);
        requireNonNull(username, "username");
        requireNonNull(password, "password");
        requireNonNull(trustedCa, "trustedCa");
        requireNonNull(clientCertificate, "clientCertificate");
        requireNonNull(clientKey, "clientKey");
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(requestTimeout, "requestTimeout");
        requireNonNull(snapshotFile, "snapshotFile");
    }
}
