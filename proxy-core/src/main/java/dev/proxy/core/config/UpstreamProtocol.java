package dev.proxy.core.config;

/**
 * How the proxy talks to a cluster's endpoints: HTTP/1.1, or HTTP/2 (over TLS with ALPN {@code h2} when the
 * cluster has {@code tls}, else cleartext h2c with prior knowledge), which gRPC upstreams need.
 */
public enum UpstreamProtocol {
    HTTP1("http1"), H2("h2");

    private final String configName;

    UpstreamProtocol(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }
}
