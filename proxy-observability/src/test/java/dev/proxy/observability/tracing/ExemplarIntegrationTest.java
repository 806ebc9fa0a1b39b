package dev.proxy.observability.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.TracingConfig;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.observability.metrics.ProxyMeters;
import dev.proxy.observability.metrics.ProxyMetrics;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The latency histograms carry exemplars naming the trace of a request in the bucket, in the OpenMetrics exposition:
 * the request duration names the request's server span, the upstream latency its attempt's client span. A request
 * the sampler dropped names none.
 */
class ExemplarIntegrationTest {
    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0";

    @RegisterExtension
    final Closer closer = new Closer();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();

    @Test
    void theLatencyBucketsNameTheSampledRequestsSpans() throws Exception {
        ProxyMetrics metrics = start(1.0);

        List<SpanData> spans = awaitSpans(2);
        SpanData server = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        SpanData client = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
        String body = metrics.scrape(OPEN_METRICS).body();

        assertThat(exemplar(body, "proxy_request_duration_seconds_bucket"))
                .containsExactly(server.getTraceId(), server.getSpanId());
        assertThat(exemplar(body, "proxy_upstream_latency_seconds_bucket"))
                .containsExactly(client.getTraceId(), client.getSpanId());
        // the Prometheus text format has no exemplars
        assertThat(metrics.scrape(null).body()).doesNotContain("trace_id");
    }

    @Test
    void anUnsampledRequestLeavesNoExemplar() throws Exception {
        ProxyMetrics metrics = start(0.0);

        String body = metrics.scrape(OPEN_METRICS).body();

        assertThat(body).contains("proxy_request_duration_seconds_bucket").doesNotContain("trace_id");
        assertThat(exporter.getFinishedSpanItems()).isEmpty();
    }

    /** A proxy traced at {@code ratio} with the meters beside, after one request through it. */
    private ProxyMetrics start(double ratio) throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        ProxyTracing tracing = closer.keep(ProxyTracing.create(new TracingConfig(true, "proxy-test", ratio, false,
                URI.create("http://127.0.0.1:4317"), TracingConfig.Protocol.GRPC), exporter));
        ProxyMetrics metrics = closer.keep(new ProxyMetrics());
        TestProxy proxy = closer.keep(TestProxy.start(TestProxy.oneRoute(backend.address()),
                LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE,
                ProxyObserver.of(List.of(tracing.observer(), new ProxyMeters(metrics.registry())))));
        assertThat(proxy.get("/").statusCode()).isEqualTo(200);
        // the meters record at the request's end, which may follow the response by a moment
        await().atMost(Duration.ofSeconds(10)).until(() -> metrics.scrape(null).body()
                .contains("proxy_request_duration_seconds_count{"));
        return metrics;
    }

    private List<SpanData> awaitSpans(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> exporter.getFinishedSpanItems().size() >= count);
        return exporter.getFinishedSpanItems();
    }

    /** The trace and span id of the one exemplar among {@code series}' lines. */
    private static List<String> exemplar(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + "\\{[^}]*} \\S+ # \\{([^}]*)}").matcher(body);
        assertThat(m.find()).as("an exemplar on %s in%n%s", series, body).isTrue();
        String labels = m.group(1);
        assertThat(m.find()).as("one bucket with an exemplar on %s", series).isFalse();
        return List.of(label(labels, "trace_id"), label(labels, "span_id"));
    }

    private static String label(String labels, String name) {
        Matcher m = Pattern.compile(name + "=\"([0-9a-f]+)\"").matcher(labels);
        assertThat(m.find()).as("%s in %s", name, labels).isTrue();
        return m.group(1);
    }
}
