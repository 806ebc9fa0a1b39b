package dev.proxy.observability.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.TracingConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.filter.RetryPolicy;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tracing end to end: a real proxy between the JDK client and a real backend that records the trace headers it got,
 * with the spans caught by an in-memory exporter.
 */
class TracingIntegrationTest {
    private static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final Closer closer = new Closer();

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();

    @Test
    void continuesTheClientsTraceAndSendsTheAttemptsSpanUpstream() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(1.0, true), Resilience.NONE);

        HttpResponse<String> r = send(proxy, "/x/y?q=1", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",
                "tracestate", "vendor=opaque", "baggage", "tenant=acme");
        assertThat(r.statusCode()).isEqualTo(200);

        List<SpanData> spans = awaitSpans(2);
        SpanData server = only(spans, SpanKind.SERVER);
        SpanData client = only(spans, SpanKind.CLIENT);

        assertThat(server.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(server.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(server.getParentSpanContext().isRemote()).isTrue();
        assertThat(server.getName()).isEqualTo("GET all");
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_REQUEST_METHOD)).isEqualTo("GET");
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_ROUTE)).isEqualTo("all");
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        assertThat(server.getAttributes().get(UrlAttributes.URL_PATH)).isEqualTo("/x/y");
        assertThat(server.getAttributes().get(UrlAttributes.URL_SCHEME)).isEqualTo("http");
        assertThat(server.getAttributes().get(ServerAttributes.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(server.getAttributes().get(ServerAttributes.SERVER_PORT)).isEqualTo((long) proxy.port());
        assertThat(server.getAttributes().get(ClientAttributes.CLIENT_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(server.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isNull();
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        assertThat(client.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(client.getName()).isEqualTo("GET");
        assertThat(client.getAttributes().get(HttpAttributes.HTTP_REQUEST_METHOD)).isEqualTo("GET");
        assertThat(client.getAttributes().get(ServerAttributes.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(client.getAttributes().get(ServerAttributes.SERVER_PORT)).isEqualTo((long) backend.port());
        assertThat(client.getAttributes().get(UrlAttributes.URL_FULL))
                .isEqualTo("http://" + backend.address() + "/x/y?q=1");
        assertThat(client.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        assertThat(client.getAttributes().get(TracedExchange.PROXY_CLUSTER)).isEqualTo("b");
        assertThat(client.getAttributes().get(HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isNull();

        FullHttpRequest seen = backend.lastRequest();
        assertThat(seen.headers().getAll("traceparent"))
                .containsExactly("00-" + CLIENT_TRACE + "-" + client.getSpanId() + "-01");
        assertThat(seen.headers().get("tracestate")).isEqualTo("vendor=opaque");
        assertThat(seen.headers().get("baggage")).contains("tenant=acme");
    }

    @Test
    void startsATraceWhenTheClientSentNoneAndStillPropagatesIt() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(1.0, true), Resilience.NONE);

        assertThat(proxy.get("/").statusCode()).isEqualTo(200);

        List<SpanData> spans = awaitSpans(2);
        SpanData server = only(spans, SpanKind.SERVER);
        SpanData client = only(spans, SpanKind.CLIENT);
        assertThat(server.getParentSpanContext().isValid()).isFalse();
        assertThat(client.getTraceId()).isEqualTo(server.getTraceId());
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        // flags 03: sampled, and the SDK's trace id is random (the W3C Trace Context level 2 flag)
        assertThat(backend.lastRequest().headers().get("traceparent"))
                .isEqualTo("00-" + server.getTraceId() + "-" + client.getSpanId() + "-03");
        assertThat(backend.lastRequest().headers().contains("tracestate")).isFalse();
    }

    @Test
    void givesEachRetryItsOwnClientSpanAndSendsItsContextUpstream() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> {
            HttpResponseStatus status = calls.getAndIncrement() == 0
                    ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK;
            ctx.writeAndFlush(TestBackend.text(status, "n", HttpUtil.isKeepAlive(req)));
        }));
        TestProxy proxy = startProxy(backend.address(), tracing(1.0, true), retryOnce());

        HttpResponse<String> r = send(proxy, "/", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
        assertThat(r.statusCode()).isEqualTo(200);

        List<SpanData> spans = awaitSpans(3);
        SpanData server = only(spans, SpanKind.SERVER);
        List<SpanData> clients = clientSpans(spans);
        assertThat(clients).hasSize(2);
        SpanData first = clients.get(0);
        SpanData second = clients.get(1);
        assertThat(first.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503L);
        assertThat(first.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("503");
        assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(second.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        assertThat(second.getAttributes().get(HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isEqualTo(1L);
        assertThat(second.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(clients).allSatisfy(c -> {
            assertThat(c.getTraceId()).isEqualTo(CLIENT_TRACE);
            assertThat(c.getParentSpanId()).isEqualTo(server.getSpanId());
        });

        List<String> parents = backend.requests().stream()
                .map(q -> {
                    assertThat(q.headers().getAll("traceparent")).hasSize(1);
                    return parentIdOf(q.headers().get("traceparent"), CLIENT_TRACE);
                })
                .collect(Collectors.toList());
        assertThat(parents).containsExactly(first.getSpanId(), second.getSpanId());
        assertThat(parents.get(0)).isNotEqualTo(parents.get(1));

        List<EventData> events = server.getEvents();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).getName()).isEqualTo(TracedExchange.RETRY_EVENT);
        assertThat(events.get(0).getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503L);
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
    }

    @Test
    void recordsAFailedConnectAsAnAttemptWithItsErrorType() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        int dead = deadPort();
        TestProxy proxy = startProxy("127.0.0.1:" + dead + " }, { address: " + backend.address(),
                tracing(1.0, true), retryOnce());

        // round robin over [dead, live]: a request that starts on the dead endpoint is retried on the live one
        SpanData failed = null;
        for (int i = 0; i < 4 && failed == null; i++) {
            exporter.reset();
            assertThat(proxy.get("/").statusCode()).isEqualTo(200);
            await().atMost(WAIT).until(() -> exporter.getFinishedSpanItems().stream()
                    .anyMatch(s -> s.getKind() == SpanKind.SERVER));
            failed = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getAttributes().get(ErrorAttributes.ERROR_TYPE) != null)
                    .findFirst().orElse(null);
        }
        assertThat(failed).as("a client span of a failed connect").isNotNull();
        List<SpanData> spans = exporter.getFinishedSpanItems();
        SpanData server = only(spans, SpanKind.SERVER);
        List<SpanData> clients = clientSpans(spans);
        assertThat(clients).hasSize(2);
        assertThat(clients.get(0).getSpanId()).isEqualTo(failed.getSpanId());
        assertThat(failed.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(failed.getAttributes().get(ErrorAttributes.ERROR_TYPE))
                .isEqualTo(ProxyError.UPSTREAM_CONNECT_FAILURE.reason());
        assertThat(failed.getAttributes().get(ServerAttributes.SERVER_PORT)).isEqualTo((long) dead);
        assertThat(failed.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isNull();
        assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        SpanData retried = clients.get(1);
        assertThat(retried.getAttributes().get(ServerAttributes.SERVER_PORT)).isEqualTo((long) backend.port());
        assertThat(retried.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        assertThat(server.getEvents()).singleElement().satisfies(e -> assertThat(
                e.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("upstream_connect_failure"));
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
        // only the retry reached the backend, with its own span as the parent
        assertThat(backend.lastRequest().headers().get("traceparent"))
                .isEqualTo("00-" + server.getTraceId() + "-" + retried.getSpanId() + "-03");
    }

    @Test
    void theServerSpanNamesTheProtocolTheClientSpoke() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(1.0, true), Resilience.NONE);

        try (RawHttp2 h2 = RawHttp2.connect(proxy.port())) {
            h2.request(1, "GET", "/h2", true);
            h2.flush();
            await().atMost(WAIT).until(() -> h2.ended(1));
            assertThat(h2.status(1)).isEqualTo("200");
        }
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("GET /h10 HTTP/1.0\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
        assertThat(proxy.get("/h11").statusCode()).isEqualTo(200);

        // an HTTP/2 stream's head reaches the engine as HTTP/1.1: the span must still say what the client spoke
        assertThat(awaitSpans(6).stream().filter(s -> s.getKind() == SpanKind.SERVER)
                .collect(Collectors.toMap(s -> s.getAttributes().get(UrlAttributes.URL_PATH),
                        s -> s.getAttributes().get(NetworkAttributes.NETWORK_PROTOCOL_VERSION))))
                .containsExactlyInAnyOrderEntriesOf(Map.of("/h2", "2", "/h10", "1.0", "/h11", "1.1"));
    }

    @Test
    void aRequestWithoutARouteHasAServerSpanWithItsErrorAndNoClientSpan() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api }
                    cluster: b
                """.formatted(backend.address()), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE,
                closer.keep(tracing(1.0, true)).observer()));

        assertThat(proxy.get("/nope").statusCode()).isEqualTo(404);

        SpanData server = only(awaitSpans(1), SpanKind.SERVER);
        assertThat(server.getName()).isEqualTo("GET");
        assertThat(server.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("no_route");
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(404L);
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_ROUTE)).isNull();
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(clientSpans(exporter.getFinishedSpanItems())).isEmpty();
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void aFailedUpstreamMakesTheServerSpanAnError() throws Exception {
        int dead = deadPort();
        TestProxy proxy = startProxy("127.0.0.1:" + dead, tracing(1.0, true), Resilience.NONE);

        assertThat(proxy.get("/").statusCode()).isEqualTo(502);

        List<SpanData> spans = awaitSpans(2);
        SpanData server = only(spans, SpanKind.SERVER);
        assertThat(server.getAttributes().get(ErrorAttributes.ERROR_TYPE)).isEqualTo("upstream_connect_failure");
        assertThat(server.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(502L);
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(only(spans, SpanKind.CLIENT).getAttributes().get(ErrorAttributes.ERROR_TYPE))
                .isEqualTo("upstream_connect_failure");
    }

    @Test
    void withRatioZeroASampledClientParentIsFollowed() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(0.0, true), Resilience.NONE);

        assertThat(send(proxy, "/", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01").statusCode()).isEqualTo(200);

        List<SpanData> spans = awaitSpans(2);
        SpanData client = only(spans, SpanKind.CLIENT);
        assertThat(only(spans, SpanKind.SERVER).getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(backend.lastRequest().headers().get("traceparent"))
                .isEqualTo("00-" + CLIENT_TRACE + "-" + client.getSpanId() + "-01");
    }

    @Test
    void withRatioZeroANewTraceIsNotExportedButStillPropagatedUnsampled() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(0.0, true), Resilience.NONE);

        assertThat(proxy.get("/dropped").statusCode()).isEqualTo(200);
        String sent = backend.lastRequest().headers().get("traceparent");
        assertThat(sent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-02"); // not sampled, random trace id
        assertThat(sent).doesNotContain("00000000000000000000000000000000");

        // a client's unsampled parent is followed too: its trace goes on upstream, unsampled, with the proxy's span
        assertThat(send(proxy, "/dropped", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-00").statusCode())
                .isEqualTo(200);
        String continued = backend.lastRequest().headers().get("traceparent");
        assertThat(continued).startsWith("00-" + CLIENT_TRACE + "-").endsWith("-00");
        assertThat(parentIdOf(continued, CLIENT_TRACE)).isNotEqualTo(CLIENT_SPAN);

        // the requests above ended before their responses were read whole; a sampled one after them is the only
        // thing exported
        assertThat(send(proxy, "/kept", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01").statusCode())
                .isEqualTo(200);
        List<SpanData> spans = awaitSpans(2);
        assertThat(spans).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(CLIENT_TRACE));
        assertThat(only(spans, SpanKind.SERVER).getAttributes().get(UrlAttributes.URL_PATH)).isEqualTo("/kept");
    }

    @Test
    void withoutParentBasedSamplingTheRatioAloneDecides() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        TestProxy proxy = startProxy(backend.address(), tracing(1.0, false), Resilience.NONE);

        assertThat(send(proxy, "/", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-00").statusCode()).isEqualTo(200);

        List<SpanData> spans = awaitSpans(2);
        assertThat(only(spans, SpanKind.SERVER).getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(backend.lastRequest().headers().get("traceparent"))
                .isEqualTo("00-" + CLIENT_TRACE + "-" + only(spans, SpanKind.CLIENT).getSpanId() + "-01");
    }

    @Test
    void givesTheLogsTheRequestsTraceAndSpan() {
        ProxyTracing tracing = closer.keep(tracing(1.0, true));
        DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        head.headers().set("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");

        ExchangeObserver x = tracing.exchangeStarted(head, HttpProtocol.HTTP_1_1);

        assertThat(x.traceId()).isEqualTo(CLIENT_TRACE);
        assertThat(x.spanId()).matches("[0-9a-f]{16}").isNotEqualTo(CLIENT_SPAN);
    }

    @Test
    void disabledTracingIsNoObserverAtAll() {
        TracingConfig off = new TracingConfig(false, "proxy", 1.0, true, URI.create("http://127.0.0.1:4317"),
                TracingConfig.Protocol.GRPC);
        ProxyTracing tracing = closer.keep(ProxyTracing.create(off));

        assertThat(tracing.enabled()).isFalse();
        assertThat(tracing.observer()).isSameAs(ProxyObserver.NONE);
        assertThat(tracing.openTelemetry()).isNull();
        assertThat(tracing.exchangeStarted(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"),
                HttpProtocol.HTTP_1_1)).isSameAs(ExchangeObserver.NONE);
        assertThat(ProxyTracing.create(off, exporter).observer()).isSameAs(ProxyObserver.NONE);
    }

    @Test
    void exportsOverOtlpHttpToTheConfiguredCollector() throws Exception {
        TestBackend collector = closer.keep(TestBackend.http(TestBackend.ok("")));
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        ProxyTracing tracing = ProxyTracing.create(new TracingConfig(true, "proxy-otlp", 1.0, true,
                URI.create("http://" + collector.address()), TracingConfig.Protocol.HTTP));
        closer.keep(tracing);
        TestProxy proxy = TestProxy.start(routeTo(backend.address()), LoadBalancer.Factory.roundRobinOnly(),
                Resilience.NONE, tracing.observer());
        try {
            assertThat(proxy.get("/").statusCode()).isEqualTo(200);
        } finally {
            proxy.close();
        }
        tracing.close(); // exports what the batch processor still holds

        assertThat(collector.requests()).isNotEmpty();
        FullHttpRequest export = collector.requests().get(0);
        assertThat(export.method()).isEqualTo(HttpMethod.POST);
        assertThat(export.uri()).isEqualTo("/v1/traces");
        assertThat(export.headers().get("content-type")).isEqualTo("application/x-protobuf");
        assertThat(Integer.parseInt(export.headers().get("x-test-body-length"))).isPositive();
    }

    @Test
    void aGrpcExporterWhoseCollectorIsDownNeitherFailsRequestsNorHangsTheClose() throws Exception {
        int dead = deadPort();
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        ProxyTracing tracing = closer.keep(ProxyTracing.create(new TracingConfig(true, "proxy-grpc", 1.0, true,
                URI.create("http://127.0.0.1:" + dead), TracingConfig.Protocol.GRPC)));
        TestProxy proxy = TestProxy.start(routeTo(backend.address()), LoadBalancer.Factory.roundRobinOnly(),
                Resilience.NONE, tracing.observer());
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(proxy.get("/").statusCode()).isEqualTo(200);
            }
        } finally {
            proxy.close();
        }
        assertThat(backend.lastRequest().headers().get("traceparent")).endsWith("-03");
        long start = System.nanoTime();
        tracing.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(25));
    }

    @Test
    void theOtlpHttpEndpointGetsItsTracesPathOnlyWhenItHasNone() {
        // without a path: the generic endpoint, to which the SDK appends /v1/traces (and which OTEL_ may replace)
        assertThat(OtelSettings.defaults(http("http://c:4318"))).containsEntry("otel.exporter.otlp.endpoint",
                "http://c:4318").doesNotContainKey("otel.exporter.otlp.traces.endpoint");
        assertThat(OtelSettings.defaults(http("https://c/otel/v1/traces")))
                .containsEntry("otel.exporter.otlp.traces.endpoint", "https://c/otel/v1/traces");
        assertThat(OtelSettings.defaults(new TracingConfig(true, "p", 0.25, false, URI.create("http://c:4317"),
                TracingConfig.Protocol.GRPC))).containsEntry("otel.exporter.otlp.protocol", "grpc")
                .containsEntry("otel.exporter.otlp.endpoint", "http://c:4317")
                .containsEntry("otel.traces.sampler", "traceidratio").containsEntry("otel.traces.sampler.arg", "0.25")
                .containsEntry("otel.service.name", "p").containsEntry("otel.metrics.exporter", "none");
    }

    @Test
    void theStandardOtelSettingsWinOverTheFile() throws Exception {
        // the SDK reads OTEL_EXPORTER_OTLP_ENDPOINT and the otel.exporter.otlp.endpoint system property alike;
        // a test can set only the latter
        TestBackend fileCollector = closer.keep(TestBackend.http(TestBackend.ok("")));
        TestBackend envCollector = closer.keep(TestBackend.http(TestBackend.ok("")));
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("hi")));
        System.setProperty("otel.exporter.otlp.endpoint", "http://" + envCollector.address());
        ProxyTracing tracing;
        try {
            tracing = closer.keep(ProxyTracing.create(http("http://" + fileCollector.address())));
        } finally {
            System.clearProperty("otel.exporter.otlp.endpoint");
        }
        TestProxy proxy = TestProxy.start(routeTo(backend.address()), LoadBalancer.Factory.roundRobinOnly(),
                Resilience.NONE, tracing.observer());
        try {
            assertThat(proxy.get("/").statusCode()).isEqualTo(200);
        } finally {
            proxy.close();
        }
        tracing.close();

        assertThat(envCollector.requests()).isNotEmpty();
        assertThat(envCollector.requests().get(0).uri()).isEqualTo("/v1/traces");
        assertThat(fileCollector.requests()).isEmpty();
    }

    private static TracingConfig http(String endpoint) {
        return new TracingConfig(true, "proxy-otlp", 1.0, true, URI.create(endpoint), TracingConfig.Protocol.HTTP);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private ProxyTracing tracing(double ratio, boolean parentBased) {
        return ProxyTracing.create(new TracingConfig(true, "proxy-test", ratio, parentBased,
                URI.create("http://127.0.0.1:4317"), TracingConfig.Protocol.GRPC), exporter);
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String routeTo(String endpoints) {
        return TestProxy.oneRoute(endpoints);
    }

    private TestProxy startProxy(String endpoints, ProxyTracing tracing, Resilience resilience) throws Exception {
        closer.keep(tracing);
        return closer.keep(TestProxy.start(routeTo(endpoints), LoadBalancer.Factory.roundRobinOnly(), resilience,
                tracing.observer()));
    }

    private static HttpResponse<String> send(TestProxy proxy, String path, String traceparent, String... more)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(proxy.uri(path)).timeout(Duration.ofSeconds(20))
                .header("traceparent", traceparent);
        for (int i = 0; i < more.length; i += 2) {
            b.header(more[i], more[i + 1]);
        }
        return proxy.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits (bounded) until at least {@code count} spans have ended, then returns them all. */
    private List<SpanData> awaitSpans(int count) {
        await().atMost(WAIT).until(() -> exporter.getFinishedSpanItems().size() >= count);
        List<SpanData> spans = exporter.getFinishedSpanItems();
        assertThat(spans).hasSize(count);
        return spans;
    }

    private static SpanData only(List<SpanData> spans, SpanKind kind) {
        List<SpanData> of = spans.stream().filter(s -> s.getKind() == kind).collect(Collectors.toList());
        assertThat(of).as("%s spans", kind).hasSize(1);
        return of.get(0);
    }

    /** The client spans in the order they started. */
    private static List<SpanData> clientSpans(List<SpanData> spans) {
        return spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT)
                .sorted((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()))
                .collect(Collectors.toList());
    }

    /** The parent-id field of a version-00 {@code traceparent} in trace {@code traceId}. */
    private static String parentIdOf(String traceparent, String traceId) {
        assertThat(traceparent).matches("00-" + traceId + "-[0-9a-f]{16}-0[0-3]");
        return traceparent.substring(36, 52);
    }

    /** Two attempts at most, on a 503 or a failed connect, with no wait and no budget. */
    private static Resilience retryOnce() {
        RetryPolicy policy = new RetryPolicy() {
            @Override
            public int maxAttempts() {
                return 2;
            }

            @Override
            public long bufferBodyUpTo() {
                return 0;
            }

            @Override
            public boolean retriesOn(ProxyError failure) {
                return failure == ProxyError.UPSTREAM_CONNECT_FAILURE;
            }

            @Override
            public boolean retriesOnStatus(int status) {
                return status == 503;
            }

            @Override
            public void onRequest() {
            }

            @Override
            public boolean tryAcquireRetry() {
                return true;
            }

            @Override
            public long backoffNanos(int retry) {
                return 0;
            }

            @Override
            public long retryAfterMaxNanos() {
                return 0;
            }
        };
        return new Resilience() {
            @Override
            public RequestFilter globalLimit(LimitsConfig limits) {
                return Resilience.NONE.globalLimit(limits);
            }

            @Override
            public List<RequestFilter> filters(RouteConfig route) {
                return Resilience.NONE.filters(route);
            }

            @Override
            public RetryPolicy retryPolicy(RouteConfig route) {
                return policy;
            }

            @Override
            public UpstreamGuard guard(ClusterConfig cluster, ClusterObserver observer) {
                return UpstreamGuard.NONE;
            }
        };
    }
}
