package dev.proxy.observability.accesslog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.AccessLogConfig;
import dev.proxy.core.config.TracingConfig;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.observability.tracing.ProxyTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** The access log lines of real requests through a running proxy. */
class AccessLogIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();
    private final Logger logger = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("test.access");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private TestBackend backend;

    @BeforeEach
    void capture() throws Exception {
        lines.start();
        logger.addAppender(lines);
        backend = closer.keep(TestBackend.http(TestBackend.ok("twelve bytes")));
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    private TestProxy proxy(AccessLogConfig config, double random) throws Exception {
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                """.formatted(backend.address()), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE,
                new AccessLog(config, logger, () -> random)));
    }

    private List<JsonNode> logged(int count) throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(() -> lines.list.size() >= count);
        assertThat(lines.list).hasSize(count);
        return lines.list.stream().map(e -> {
            try {
                return JSON.readTree(e.getFormattedMessage());
            } catch (Exception ex) {
                throw new AssertionError("not JSON: " + e.getFormattedMessage(), ex);
            }
        }).toList();
    }

    @Test
    void aForwardedRequestIsOneLineWithWhereItWentAndHowLong() throws Exception {
        TestProxy proxy = proxy(AccessLogConfig.DEFAULTS, 0);
        Instant before = Instant.now().minusSeconds(1);
        HttpResponse<String> response = proxy.get("/api/users/7?token=secret");
        assertThat(response.statusCode()).isEqualTo(200);

        JsonNode line = logged(1).get(0);
        assertThat(Instant.parse(line.get("time").asText())).isBetween(before, Instant.now());
        assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
        assertThat(line.get("method").asText()).isEqualTo("GET");
        assertThat(line.get("host").asText()).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(line.get("path").asText()).as("no query string").isEqualTo("/api/users/7");
        assertThat(line.get("route").asText()).isEqualTo("api");
        assertThat(line.get("cluster").asText()).isEqualTo("app");
        assertThat(line.get("endpoint").asText()).isEqualTo(backend.address());
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("error").isNull()).isTrue();
        assertThat(line.get("attempts").asInt()).isEqualTo(1);
        assertThat(line.get("bytes_in").asLong()).isZero();
        assertThat(line.get("bytes_out").asLong()).isEqualTo("twelve bytes".length());
        assertThat(line.get("upstream_ms").asDouble()).isPositive()
                .isLessThanOrEqualTo(line.get("duration_ms").asDouble());
        assertThat(line.has("trace_id")).as("not traced").isFalse();
        // the id the client was told and the upstream got: one line to find from either side
        String requestId = response.headers().firstValue("x-request-id").orElseThrow();
        assertThat(line.get("request_id").asText()).isEqualTo(requestId);
        assertThat(backend.lastRequest().headers().get("x-request-id")).isEqualTo(requestId);
        assertThat(lines.list.get(0).getFormattedMessage()).doesNotContain("secret");
    }

    @Test
    void aRequestThatMatchedNoRouteSaysWhy() throws Exception {
        TestProxy proxy = proxy(AccessLogConfig.DEFAULTS, 0);
        assertThat(proxy.get("/nowhere").statusCode()).isEqualTo(404);

        JsonNode line = logged(1).get(0);
        assertThat(line.get("status").asInt()).isEqualTo(404);
        assertThat(line.get("error").asText()).isEqualTo("no_route");
        assertThat(line.get("route").isNull()).isTrue();
        assertThat(line.get("attempts").asInt()).isZero();
        assertThat(line.get("upstream_ms").isNull()).isTrue();
    }

    @Test
    void longPathsAreCut() throws Exception {
        TestProxy proxy = proxy(new AccessLogConfig(true, 1, 20), 0);
        assertThat(proxy.get("/api/" + "x".repeat(500)).statusCode()).isEqualTo(200);

        assertThat(logged(1).get(0).get("path").asText()).isEqualTo("/api/" + "x".repeat(15));
    }

    @Test
    void samplingDropsSuccessesButNeverFailures() throws Exception {
        // the random draw is 0.9: above a 0.5 sample rate, so a success is not written
        TestProxy proxy = proxy(new AccessLogConfig(true, 0.5, 256), 0.9);
        for (int i = 0; i < 5; i++) {
            assertThat(proxy.get("/api/ok").statusCode()).isEqualTo(200);
        }
        assertThat(proxy.get("/nowhere").statusCode()).isEqualTo(404);

        List<JsonNode> written = logged(1);
        assertThat(written.get(0).get("status").asInt()).isEqualTo(404);
    }

    @Test
    void aTracedRequestsLineCarriesItsTraceAndServerSpan() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        ProxyTracing tracing = closer.keep(ProxyTracing.create(new TracingConfig(true, "proxy", 1.0, true,
                URI.create("http://127.0.0.1:4317"), TracingConfig.Protocol.GRPC), spans));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address()), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE,
                ProxyObserver.of(List.of(tracing.observer(),
                        new AccessLog(AccessLogConfig.DEFAULTS, logger, () -> 0)))));
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/x"))
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);

        JsonNode line = logged(1).get(0);
        assertThat(line.get("trace_id").asText()).isEqualTo(traceId);
        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getKind() == SpanKind.SERVER));
        SpanData server = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER)
                .findFirst().orElseThrow();
        assertThat(line.get("span_id").asText()).isEqualTo(server.getSpanId());
        String requestId = r.headers().firstValue("x-request-id").orElseThrow();
        assertThat(line.get("request_id").asText()).isEqualTo(requestId);
        assertThat(server.getAttributes().get(AttributeKey.stringKey("proxy.request_id"))).isEqualTo(requestId);
    }

    @Test
    void offMeansNoObserverAtAll() {
        assertThat(AccessLog.of(new AccessLogConfig(false, 1, 256))).isSameAs(ProxyObserver.NONE);
    }
}
