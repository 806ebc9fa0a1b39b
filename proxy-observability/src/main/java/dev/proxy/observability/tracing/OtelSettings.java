package dev.proxy.observability.tracing;

import dev.proxy.core.config.TracingConfig;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * The SDK built by OpenTelemetry's own autoconfiguration, with the routes file's {@code observability.tracing} as its
 * defaults: every standard {@code OTEL_*} environment variable (or {@code otel.*} system property) that is set wins
 * over the file, as operators expect from any OpenTelemetry-instrumented service, e.g. {@code OTEL_SERVICE_NAME},
 * {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_HEADERS},
 * {@code OTEL_TRACES_SAMPLER}/{@code _ARG}, {@code OTEL_SDK_DISABLED}. The library reads them, not this class, so
 * their meaning is the specification's.
 *
 * <p>Only traces are exported (metrics and logs exporters default to {@code none}: the proxy's metrics are on
 * {@code /metrics}, its logs on standard output). Whether tracing runs at all is the file's
 * {@code tracing.enabled}; {@code OTEL_SDK_DISABLED=true} turns it off even where the file enables it.
 */
final class OtelSettings {
    private OtelSettings() {
    }

    /** The SDK for {@code config} (enabled), with {@code OTEL_*} settings applied over it. */
    static OpenTelemetrySdk sdk(TracingConfig config) {
        return AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults(config))
                // ProxyTracing.close() exports the last spans once the server has stopped, in the proxy's order
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
    }

    /**
     * The file's settings in the autoconfiguration's property names; the lowest precedence, under environment
     * variables and system properties. The endpoint goes to the generic {@code otel.exporter.otlp.endpoint} so that a
     * generic {@code OTEL_EXPORTER_OTLP_ENDPOINT} can replace it (a signal-specific key would shadow it), except an
     * HTTP endpoint with a path of its own, which is used as written, as the file's reference says.
     */
    static Map<String, String> defaults(TracingConfig config) {
        Map<String, String> p = new HashMap<>();
        p.put("otel.service.name", config.serviceName());
        p.put("otel.traces.exporter", "otlp");
        p.put("otel.metrics.exporter", "none");
        p.put("otel.logs.exporter", "none");
        p.put("otel.propagators", "tracecontext,baggage");
        p.put("otel.traces.sampler", config.parentBased() ? "parentbased_traceidratio" : "traceidratio");
        p.put("otel.traces.sampler.arg", Double.toString(config.ratio()));
        URI endpoint = config.endpoint();
        if (config.protocol() == TracingConfig.Protocol.GRPC) {
            p.put("otel.exporter.otlp.protocol", "grpc");
            p.put("otel.exporter.otlp.endpoint", endpoint.toString());
        } else {
            p.put("otel.exporter.otlp.protocol", "http/protobuf");
            String path = endpoint.getRawPath();
            if (path != null && !path.isEmpty() && !path.equals("/")) {
                p.put("otel.exporter.otlp.traces.endpoint", endpoint.toString());
            } else {
                // the SDK appends /v1/traces to the generic endpoint for HTTP
                p.put("otel.exporter.otlp.endpoint", endpoint.toString());
            }
        }
        return p;
    }
}
