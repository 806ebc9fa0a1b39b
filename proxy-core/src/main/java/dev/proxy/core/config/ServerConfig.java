package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * The listener side of the proxy.
 *
 * @param eventLoops number of event-loop threads; 0 means one per available core
 * @param drainGracePeriod how long in-flight requests may run after SIGTERM before connections are closed
 * @param adminAllowWrites whether the admin port takes requests that change something ({@code POST /config/reload});
 *     off, it only shows
 * @param tls TLS on the traffic listener; empty for plain HTTP
 * @param http2 HTTP/2 towards clients
 * @param requestId the {@code X-Request-Id} of each request
 * @param clientAddress trusted proxies and the PROXY protocol: where a client's address comes from
 * @param zone the zone the proxy runs in, for zone-aware balancing; empty when unknown (no cluster then prefers a
 *     zone)
 */
public record ServerConfig(HostPort listen, HostPort adminListen, int eventLoops, LimitsConfig limits,
                           Duration drainGracePeriod, boolean adminAllowWrites, Optional<TlsConfig> tls,
                           Http2Config http2, RequestIdConfig requestId, ClientAddressConfig clientAddress,
                           Optional<String> zone) {
    public ServerConfig {
        requireNonNull(listen, "listen");
        requireNonNull(adminListen, "adminListen");
        requireNonNull(limits, "limits");
        requireNonNull(drainGracePeriod, "drainGracePeriod");
        requireNonNull(tls, "tls");
        requireNonNull(http2, "http2");
        requireNonNull(requestId, "requestId");
        requireNonNull(clientAddress, "clientAddress");
        requireNonNull(zone, "zone");
    }

    /** A server whose TCP peers are its clients (no trusted proxies, no PROXY protocol), in no known zone. */
    public ServerConfig(HostPort listen, HostPort adminListen, int eventLoops, LimitsConfig limits,
                        Duration drainGracePeriod, boolean adminAllowWrites, Optional<TlsConfig> tls,
                        Http2Config http2, RequestIdConfig requestId) {
        this(listen, adminListen, eventLoops, limits, drainGracePeriod, adminAllowWrites, tls, http2, requestId,
                ClientAddressConfig.DEFAULT, Optional.empty());
    }

    /** A server with the default request ids. */
    public ServerConfig(HostPort listen, HostPort adminListen, int eventLoops, LimitsConfig limits,
                        Duration drainGracePeriod, boolean adminAllowWrites, Optional<TlsConfig> tls,
                        Http2Config http2) {
        this(listen, adminListen, eventLoops, limits, drainGracePeriod, adminAllowWrites, tls, http2,
                RequestIdConfig.DEFAULT);
    }

    /** A server with the default HTTP/2 settings. */
    public ServerConfig(HostPort listen, HostPort adminListen, int eventLoops, LimitsConfig limits,
                        Duration drainGracePeriod, boolean adminAllowWrites, Optional<TlsConfig> tls) {
        this(listen, adminListen, eventLoops, limits, drainGracePeriod, adminAllowWrites, tls,
                Http2Config.defaults(limits.maxHeaderSize()));
    }

    /** A server whose admin port only shows. */
    public ServerConfig(HostPort listen, HostPort adminListen, int eventLoops, LimitsConfig limits,
                        Duration drainGracePeriod) {
        this(listen, adminListen, eventLoops, limits, drainGracePeriod, false, Optional.empty());
    }
}
