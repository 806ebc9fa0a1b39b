package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/** A {@code host:port} pair as written in the config file; never resolved here. */
public record HostPort(String host, int port) {
    public HostPort {
        requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535, was " + port);
        }
    }

    /** Parses {@code host:port} or {@code [v6]:port}. */
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not host:port");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new IllegalArgumentException("'" + text + "' has no valid host");
        }
        String portText = text.substring(colon + 1);
        if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + text + "' has no numeric port");
        }
        int port = Integer.parseInt(portText);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "' has a port outside 0-65535");
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
