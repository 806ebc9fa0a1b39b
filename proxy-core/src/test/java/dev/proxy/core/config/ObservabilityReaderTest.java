package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code observability} block: access log, tracing, watchdog, log format. */
class ObservabilityReaderTest {
    private static final String REST = """
            clusters:
              - name: app
                endpoints: [ { address: 10.0.0.1:80 } ]
            routes:
              - name: all
                cluster: app
            """;

    @Test
    void withoutTheBlockEverythingHasItsDefault() {
        ProxyConfig config = ConfigReader.read(REST, "plain.yaml");
        assertThat(config.observability()).isEqualTo(ObservabilityConfig.DEFAULTS);
        assertThat(config.observability().accessLog().enabled()).isTrue();
        assertThat(config.observability().tracing().enabled()).isFalse();
        assertThat(config.observability().watchdog().action()).isEqualTo(WatchdogConfig.Action.WARN);
    }

    @Test
    void readsEveryKey() {
        ProxyConfig config = ConfigReader.read("""
                observability:
                  logFormat: json
                  accessLog: { enabled: true, sampleRate: 0.25, maxPathLength: 128 }
                  tracing:
                    enabled: true
                    serviceName: edge
                    sampler: { ratio: 0.5, parentBased: false }
                    otlp: { endpoint: "http://collector:4318", protocol: http }
                  watchdog: { interval: 5s, heapUsedPercent: 80, directMemoryPercent: 70, openFilesPercent: 60,
                              connectionsPercent: 50, maxThreads: 300, action: fail_readiness }
                """ + REST, "full.yaml");

        ObservabilityConfig o = config.observability();
        assertThat(o.logFormat()).contains(ObservabilityConfig.LogFormat.JSON);
        assertThat(o.accessLog()).isEqualTo(new AccessLogConfig(true, 0.25, 128));
        assertThat(o.tracing()).isEqualTo(new TracingConfig(true, "edge", 0.5, false,
                URI.create("http://collector:4318"), TracingConfig.Protocol.HTTP));
        assertThat(o.watchdog()).isEqualTo(new WatchdogConfig(true, Duration.ofSeconds(5), 80, 70, 60, 50, 300,
                WatchdogConfig.Action.FAIL_READINESS));
    }

    @Test
    void theOtlpEndpointDefaultsToTheProtocolsPort() {
        ProxyConfig config = ConfigReader.read("""
                observability:
                  tracing: { enabled: true, otlp: { protocol: http } }
                """ + REST, "http.yaml");
        assertThat(config.observability().tracing().endpoint()).isEqualTo(URI.create("http://localhost:4318"));
        assertThat(config.observability().logFormat()).isEqualTo(Optional.empty());
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read("""
                observability:
                  logFormat: xml
                  accessLog: { sampleRate: 2, maxPathLength: 1, colour: red }
                  tracing:
                    serviceName: ""
                    sampler: { ratio: -1 }
                    otlp: { endpoint: "collector:4317", protocol: thrift }
                  watchdog: { interval: 0s, heapUsedPercent: 101, action: reboot }
                  metrics: {}
                """ + REST, "bad.yaml"));

        assertThat(e).isNotNull();
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "observability.logFormat: 'xml' is not one of text, json (line 2)",
                "observability.accessLog.sampleRate: must be between 0 and 1, was 2 (line 3)",
                "observability.accessLog.maxPathLength: must be between 16 and 65536, was 1 (line 3)",
                "observability.accessLog.colour: unknown key (line 3)",
                "observability.tracing.serviceName: must not be empty (line 5)",
                "observability.tracing.sampler.ratio: must be between 0 and 1, was -1 (line 6)",
                "observability.tracing.otlp.protocol: 'thrift' is not one of grpc, http (line 7)",
                "observability.tracing.otlp.endpoint: 'collector:4317' is not an http:// or https:// URL, e.g. "
                        + "http://otel-collector:4317 (line 7)",
                "observability.watchdog.interval: must be greater than 0 (line 8)",
                "observability.watchdog.heapUsedPercent: must be between 1 and 100, was 101 (line 8)",
                "observability.watchdog.action: 'reboot' is not one of warn, fail_readiness, close_idle (line 8)",
                "observability.metrics: unknown key (line 9)");
    }
}
