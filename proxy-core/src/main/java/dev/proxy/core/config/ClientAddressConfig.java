package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Where the proxy takes a client's address from when it stands behind other proxies or load balancers.
 *
 * @param trustedProxies the peers whose forwarding headers are believed; empty: none, the TCP peer is the client
 * @param header which forwarding header a trusted peer's client address is read from (only that one)
 * @param proxyProtocol whether the listener reads a PROXY protocol header before anything else
 * @param proxyProtocolTrustedOnly a PROXY header is accepted only from a peer in {@code trustedProxies}
 */
public record ClientAddressConfig(List<Cidr> trustedProxies, Header header, ProxyProtocolMode proxyProtocol,
                                  boolean proxyProtocolTrustedOnly) {
    /** No trusted proxies and no PROXY protocol: the TCP peer is the client. */
    public static final ClientAddressConfig DEFAULT = new ClientAddressConfig(List.of(), Header.X_FORWARDED_FOR,
            ProxyProtocolMode.NONE, false);

    /** The forwarding header a trusted peer names the client in. */
    public enum Header {
        /** {@code X-Forwarded-For}: the rightmost address that is not a trusted proxy. */
        X_FORWARDED_FOR("x-forwarded-for"),
        /** RFC 7239 {@code Forwarded}: the {@code for=} of the rightmost element that is not a trusted proxy. */
        FORWARDED("forwarded");

        private final String text;

        Header(String text) {
            this.text = text;
        }

        /** The name as the config file writes it. */
        public String text() {
            return text;
        }
    }

    /** Whether a connection starts with a PROXY protocol (v1 or v2) header. */
    public enum ProxyProtocolMode {
        /** Never read: bytes that look like one are plain traffic (and fail as HTTP). */
        NONE,
        /** Read when the first bytes carry the v1 or v2 signature; other connections are plain traffic. */
        OPTIONAL,
        /** Every connection must start with one; one that does not is closed. */
        REQUIRED
    }

    public ClientAddressConfig {
        trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies"));
        requireNonNull(header, "header");
        requireNonNull(proxyProtocol, "proxyProtocol");
        if (proxyProtocolTrustedOnly && trustedProxies.isEmpty()) {
            throw new IllegalArgumentException("proxyProtocol.trustedOnly needs trustedProxies");
        }
    }
}
