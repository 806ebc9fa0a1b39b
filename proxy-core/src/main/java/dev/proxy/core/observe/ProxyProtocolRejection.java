package dev.proxy.core.observe;

import java.util.Locale;

/** Why a connection was closed while its PROXY protocol header was awaited: a short, fixed set (a metric label). */
public enum ProxyProtocolRejection {
    /** The header had the v1 or v2 signature but did not decode (bad syntax, version, addresses, length). */
    MALFORMED,
    /** {@code mode: required}, and the connection started with something else. */
    MISSING,
    /** Nothing decidable arrived within {@code server.limits.requestHeaderTimeout}. */
    TIMEOUT,
    /** {@code trustedOnly}, and the peer that sent it is not in {@code server.trustedProxies}. */
    UNTRUSTED_PEER;

    private final String reason = name().toLowerCase(Locale.ROOT);

    /** The label value: {@code malformed}, {@code missing}, {@code timeout}, {@code untrusted_peer}. */
    public String reason() {
        return reason;
    }
}
