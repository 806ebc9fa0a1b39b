package dev.proxy.core.tls;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.config.UpstreamTlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;

/**
 * TLS to one cluster's endpoints: one client context (so sessions are cached and resumed per endpoint), the
 * endpoint's certificate checked against the trusted CAs and against the expected name (hostname verification),
 * and an optional client certificate. Thread-safe.
 */
public final class UpstreamTls {
    private final UpstreamTlsConfig config;
    private final SslContext context;

    private UpstreamTls(UpstreamTlsConfig config, SslContext context) {
        this.config = config;
        this.context = context;
    }

    /**
     * @param cluster names the cluster in the error
     * @throws IllegalArgumentException naming the file, when one cannot be read
     */
    public static UpstreamTls of(String cluster, UpstreamTlsConfig config, UpstreamProtocol protocol) {
        requireNonNull(config, "config");
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(TlsProvider.get());
            if (protocol == UpstreamProtocol.H2) {
                // HTTP/2 over TLS is agreed in the handshake; an upstream that cannot is refused there
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.FATAL_ALERT,
                        ApplicationProtocolNames.HTTP_2));
            }
            if (!config.verify()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                config.trustedCa().ifPresent(ca -> b.trustManager(ca.toFile()));
                b.endpointIdentificationAlgorithm("HTTPS");
            }
            if (config.certificate().isPresent()) {
                b.keyManager(config.certificate().get().toFile(), config.key().orElseThrow().toFile());
            }
            return new UpstreamTls(config, b.build());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("clusters." + cluster + ".tls: " + e.getMessage(), e);
        }
    }

    /** A handler for a new connection to {@code host:port}: SNI and the name checked are the configured name or host. */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        return context.newHandler(alloc, config.serverName().orElse(host), port);
    }
}
