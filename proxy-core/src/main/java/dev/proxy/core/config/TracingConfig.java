package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * OpenTelemetry tracing: a server span per request and a client span per upstream attempt, exported over OTLP.
 *
 * @param ratio the share of new traces sampled, 0 to 1
 * @param parentBased follow the client's sampling decision when its {@code traceparent} carries one
 * @param endpoint the OTLP collector, e.g. {@code http://otel-collector:4317} (gRPC) or {@code …:4318} (HTTP)
 */
public record TracingConfig(boolean enabled, String serviceName, double ratio, boolean parentBased, URI endpoint,
                            Protocol protocol) {
    public static final TracingConfig OFF = new TracingConfig(false, "proxy", 0.1, true,
            URI.create("http://localhost:4317"), Protocol.GRPC);

    /** OTLP over gRPC or over HTTP with protobuf bodies. */
    public enum Protocol { GRPC, HTTP }

    public TracingConfig {
        requireNonNull(serviceName, "serviceName");
        requireNonNull(endpoint, "endpoint");
        requireNonNull(protocol, "protocol");
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("ratio must be between 0 and 1");
        }
    }
}
