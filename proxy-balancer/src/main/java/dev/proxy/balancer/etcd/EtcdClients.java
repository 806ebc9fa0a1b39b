package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.proxy.core.config.EtcdConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;

/** Builds the jetcd client an {@link EtcdConfig} describes; one place for TLS, authentication and timeouts. */
public final class EtcdClients {
    /** gRPC keep-alive pings find a dead connection (a member gone without a reset) within about 15 s. */
    private static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);
    private static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    private EtcdClients() {
    }

    /**
     * A client for {@code config}. It connects lazily: building it never blocks and never fails because etcd is
     * down; calls do, after their timeout.
     *
     * @throws IllegalArgumentException a TLS file or the password file cannot be read
     */
    public static Client connect(EtcdConfig config) {
        ClientBuilder b = Client.builder()
                .endpoints(config.endpoints())
                .connectTimeout(config.connectTimeout())
                .keepaliveTime(KEEPALIVE_TIME)
                .keepaliveTimeout(KEEPALIVE_TIMEOUT)
                .keepaliveWithoutCalls(true)
                // fail a call at once while no member is reachable, rather than park it until one is: the proxy
                // retries on its own schedule and keeps serving the last known endpoints meanwhile
                .waitForReady(false);
        if (config.username().isPresent()) {
            b.user(ByteSequence.from(config.username().get(), UTF_8)).password(ByteSequence.from(password(config),
                    UTF_8));
        }
        if (config.endpoints().stream().anyMatch(u -> "https".equals(u.getScheme()))) {
            try {
                b.sslContext(ssl -> {
                    config.trustedCa().ifPresent(ca -> ssl.trustManager(ca.toFile()));
                    if (config.clientCertificate().isPresent() && config.clientKey().isPresent()) {
                        ssl.keyManager(config.clientCertificate().get().toFile(), config.clientKey().get().toFile());
                    }
                });
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("etcd TLS: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    private static String password(EtcdConfig config) {
        if (config.password().isPresent()) {
            return config.password().get();
        }
        try {
            return Files.readString(config.passwordFile().orElseThrow(), UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("etcd password file " + config.passwordFile().get()
                    + " cannot be read: " + e.getMessage(), e);
        }
    }
}
