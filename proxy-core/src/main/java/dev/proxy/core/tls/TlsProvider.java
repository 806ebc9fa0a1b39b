package dev.proxy.core.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;

/** Which TLS implementation the proxy uses: OpenSSL (BoringSSL via netty-tcnative) when it loads, else the JDK's. */
public final class TlsProvider {
    private TlsProvider() {
    }

    public static SslProvider get() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** {@code openssl} or {@code jdk}, for the log and the metrics. */
    public static String name() {
        return get().name().toLowerCase(Locale.ROOT);
    }
}
