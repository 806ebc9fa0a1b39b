package dev.proxy.core.config;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** A variable a header edit's value may name as {@code ${name}}; its value is the request's. */
public enum HeaderVariable {
    /** The client's IP address, as the proxy's {@code X-Forwarded-For} entry writes it. */
    CLIENT_IP("client_ip"),
    /** The request's id, as sent upstream in {@code X-Request-Id}. */
    REQUEST_ID("request_id"),
    /** The name of the route that took the request. */
    ROUTE("route"),
    /** The authority the client asked for, before any {@code rewrite.host}. */
    HOST("host"),
    /** The verified client certificate's identity on a listener with client authentication; absent otherwise. */
    TLS_IDENTITY("tls_identity");

    private final String configName;

    HeaderVariable(String configName) {
        this.configName = configName;
    }

    /** The name written between {@code ${} and {@code }}. */
    public String configName() {
        return configName;
    }

    static Optional<HeaderVariable> fromConfigName(String name) {
        return Arrays.stream(values()).filter(v -> v.configName.equals(name)).findFirst();
    }

    static String allNames() {
        return Arrays.stream(values()).map(v -> "${" + v.configName + "}").collect(Collectors.joining(", "));
    }
}
