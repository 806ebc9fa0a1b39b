package dev.proxy.core.tls;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.CertificateConfig;
import dev.proxy.core.config.ClientAuthConfig;
import dev.proxy.core.config.TlsConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS: one context per certificate, chosen by the SNI name of each handshake (exact names, then
 * {@code *.suffix} wildcards, then the first certificate as the default), with client certificates asked for or
 * required as configured. {@link #reload} reads the files again and swaps the contexts in one step: new handshakes
 * use the new certificates, connections already up keep theirs; files that do not load leave the old ones serving.
 * Thread-safe.
 */
public final class ServerTls {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** ALPN names, most preferred first; the handshake picks the first the client also offers. */
    private static final ApplicationProtocolConfig H2_AND_HTTP11 = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    private final TlsConfig config;
    private final boolean http2;
    private volatile Loaded loaded;

    /** The contexts of one load, and each certificate's name and expiry. */
    private record Loaded(Mapping<String, SslContext> bySni, Map<String, Instant> expiries) {
    }

    private ServerTls(TlsConfig config, boolean http2, Loaded loaded) {
        this.config = config;
        this.http2 = http2;
        this.loaded = loaded;
    }

    /**
     * Loads every certificate of {@code config}.
     *
     * @throws IllegalArgumentException naming the file, when one cannot be read or is not a certificate or key: the
     *     proxy must not start with a listener that cannot complete a handshake
     */
    public static ServerTls load(TlsConfig config) {
        return load(config, false);
    }

    /**
     * Loads every certificate of {@code config}; with {@code http2}, the handshakes offer ALPN {@code h2} before
     * {@code http/1.1} (a client that names neither gets HTTP/1.1).
     */
    public static ServerTls load(TlsConfig config, boolean http2) {
        return new ServerTls(requireNonNull(config, "config"), http2, build(config, http2));
    }

    private static Loaded build(TlsConfig config, boolean http2) {
        DomainWildcardMappingBuilder<SslContext> mapping = null;
        Map<String, Instant> expiries = new LinkedHashMap<>();
        for (CertificateConfig c : config.certificates()) {
            SslContext context = context(c, config, http2);
            if (mapping == null) {
                mapping = new DomainWildcardMappingBuilder<>(context);
            }
            for (String name : c.serverNames()) {
                mapping.add(name, context);
            }
            expiries.put(name(c), notAfter(c.certificate()));
        }
        if (mapping == null) {
            throw new IllegalArgumentException("server.tls has no certificate");
        }
        return new Loaded(mapping.build(), Map.copyOf(expiries));
    }

    private static SslContext context(CertificateConfig c, TlsConfig config, boolean http2) {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(c.certificate().toFile(), c.key().toFile())
                    .sslProvider(TlsProvider.get())
                    .protocols(config.protocols());
            if (!config.ciphers().isEmpty()) {
                b.ciphers(config.ciphers());
            }
            if (http2) {
                b.applicationProtocolConfig(H2_AND_HTTP11);
            }
            ClientAuthConfig auth = config.clientAuth();
            if (auth.mode() != ClientAuthConfig.Mode.NONE) {
                b.trustManager(auth.trustedCa().orElseThrow().toFile());
                b.clientAuth(auth.mode() == ClientAuthConfig.Mode.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("server.tls: cannot load " + c.certificate() + " with " + c.key()
                    + (config.clientAuth().trustedCa().map(ca -> " (client CA " + ca + ")").orElse("")) + ": "
                    + e.getMessage(), e);
        }
    }

    private static String name(CertificateConfig c) {
        return c.serverNames().isEmpty() ? c.certificate().getFileName().toString() : c.serverNames().get(0);
    }

    private static Instant notAfter(Path certificate) {
        try (InputStream in = Files.newInputStream(certificate)) {
            X509Certificate x = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return x.getNotAfter().toInstant();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("server.tls: cannot read " + certificate + ": " + e.getMessage(), e);
        }
    }

    /** A handler that completes the TLS handshake of a new connection, with the certificate its SNI name asks for. */
    public SniHandler newHandler(long handshakeTimeoutMillis) {
        // reads the current contexts at each handshake, so a reload needs no new pipelines
        Mapping<String, SslContext> current = name -> loaded.bySni().map(name);
        return new SniHandler(current, handshakeTimeoutMillis);
    }

    /** When each certificate expires, by its first server name (or its file name when it has none). */
    public Map<String, Instant> expiries() {
        return loaded.expiries();
    }

    /** Every file the contexts are built from: what to watch for changes. */
    public List<Path> files() {
        Set<Path> files = new LinkedHashSet<>();
        for (CertificateConfig c : config.certificates()) {
            files.add(c.certificate());
            files.add(c.key());
        }
        config.clientAuth().trustedCa().ifPresent(files::add);
        return new ArrayList<>(files);
    }

    /** Reads the files again; true when the new certificates serve, false (logged) when the old ones still do. */
    public boolean reload() {
        try {
            loaded = build(config, http2);
            log.info("TLS certificates reloaded: {}", loaded.expiries());
            return true;
        } catch (IllegalArgumentException e) {
            log.warn("TLS certificates not reloaded, the previous ones keep serving: {}", e.getMessage());
            return false;
        }
    }

    public ClientAuthConfig clientAuth() {
        return config.clientAuth();
    }
}
