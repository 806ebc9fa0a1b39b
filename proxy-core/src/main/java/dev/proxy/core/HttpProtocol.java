package dev.proxy.core;

import io.netty.handler.codec.http.HttpVersion;

/**
 * The HTTP version of one hop as it was on the wire. The engine handles every message as Netty's HTTP/1.x objects,
 * and an HTTP/2 stream's head, once converted, says HTTP/1.1 like any other; so the version is carried beside the
 * message, taken from where the hop is known: the client connection's handler (an HTTP/2 stream, or the version an
 * HTTP/1.x request line gave) and the cluster's {@code protocol} for the upstream.
 */
public enum HttpProtocol {
    HTTP_1_0("1.0"), HTTP_1_1("1.1"), HTTP_2("2");

    private final String version;

    HttpProtocol(String version) {
        this.version = version;
    }

    /**
     * The protocol-version as a {@code Via} header (RFC 9110 §7.6.3) and OpenTelemetry's
     * {@code network.protocol.version} write it: {@code 1.0}, {@code 1.1}, {@code 2}. HTTP/2 has no minor version,
     * and RFC 9110 §2.5 implies one ({@code 2.0}) only where the syntax requires it, which neither does.
     */
    public String version() {
        return version;
    }

    /**
     * The protocol of a request or response an HTTP/1.x codec decoded: minor version 0 is HTTP/1.0, anything
     * else is treated as HTTP/1.1. Not for a message converted from an HTTP/2 stream, which says HTTP/1.1 too.
     */
    public static HttpProtocol ofHttp1(HttpVersion version) {
        return version.minorVersion() == 0 ? HTTP_1_0 : HTTP_1_1;
    }
}
