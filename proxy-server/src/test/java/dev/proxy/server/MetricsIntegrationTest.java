package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The metrics a running proxy shows on the admin port after real traffic: what each request, retry, rejection and
 * pooled connection adds, the fixed buckets, bounded labels, and an exposition {@code promtool} accepts.
 */
class MetricsIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private TestBackend healthy;
    private TestBackend unavailable;
    private ProxyApp app;

    @BeforeEach
    void start() throws Exception {
        healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        unavailable = closer.keep(TestBackend.http((ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "busy",
                    HttpUtil.isKeepAlive(req));
            ctx.writeAndFlush(r);
        }));
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: app
                    endpoints: [ { address: %s }, { address: %s } ]
                    balancer: { policy: round_robin }
                  - name: quiet
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                    retry: { attempts: 2, on: [503], backoff: { base: 1ms, max: 2ms }, budget: { percent: 100 } }
                  - name: limited
                    match: { pathPrefix: /limited/ }
                    cluster: quiet
                    rateLimit: { requestsPerSecond: 0.01, burst: 1 }
                """.formatted(healthy.address(), unavailable.address(), healthy.address()), "metrics-test.yaml"),
                false);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    @Test
    void requestsRetriesAndRejectionsAreCountedWithBoundedLabels() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(get("/api/users/" + i + "?token=secret" + i).statusCode()).isEqualTo(200);
        }
        assertThat(get("/elsewhere").statusCode()).isEqualTo(404);
        int limited = 0;
        for (int i = 0; i < 3; i++) {
            limited += get("/limited/x").statusCode() == 429 ? 1 : 0;
        }
        assertThat(limited).as("a burst of 1, the next permit 100 s away").isEqualTo(2);
        try (RawHttp raw = new RawHttp(app.proxy().address().getPort())) {
            raw.send("GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readResponse().status()).isEqualTo(400);
        }

        PrometheusText m = scrape();

        assertThat(m.sum("proxy_requests_total", "route", "api", "method", "GET", "status_class", "2xx"))
                .isEqualTo(10);
        assertThat(m.sum("proxy_errors_total", "route", "unrouted", "reason", "no_route")).isEqualTo(1);
        assertThat(m.sum("proxy_errors_total", "route", "unrouted", "reason", "bad_request")).isEqualTo(1);
        assertThat(m.sum("proxy_errors_total", "route", "limited", "reason", "rate_limited")).isEqualTo(limited);
        // every attempt that met the 503 endpoint was retried on the healthy one
        int refused = unavailable.requestCount();
        assertThat(refused).isPositive();
        assertThat(m.sum("proxy_upstream_attempts_total", "cluster", "app", "outcome", "5xx")).isEqualTo(refused);
        assertThat(m.sum("proxy_upstream_retries_total", "cluster", "app", "reason", "503")).isEqualTo(refused);
        assertThat(m.sum("proxy_upstream_attempts_total", "cluster", "app", "outcome", "2xx")).isEqualTo(10);
        assertThat(m.sum("proxy_upstream_latency_seconds_count", "cluster", "app")).isEqualTo(10 + refused);
        assertThat(m.sum("proxy_request_duration_seconds_count", "route", "api")).isEqualTo(10);
        assertThat(m.sum("proxy_response_body_bytes_total", "route", "api")).isEqualTo(10 * "fine".length());
        // keep-alive: fewer connections opened than requests sent, the rest reused and now idle
        double opened = m.sum("proxy_upstream_connections_opened_total", "cluster", "app");
        assertThat(opened).isPositive();
        assertThat(m.sum("proxy_upstream_connections_reused_total", "cluster", "app")).isEqualTo(10 + refused - opened);
        assertThat(m.sum("proxy_conn_pool_idle", "cluster", "app")).isPositive();
        assertThat(m.sum("proxy_conn_pool_utilization_ratio", "cluster", "app")).isZero();
        assertThat(m.sum("proxy_endpoints", "cluster", "app", "state", "available")).isEqualTo(2);
        assertThat(m.sum("proxy_connections_accepted_total")).isGreaterThanOrEqualTo(2);
        assertThat(m.sum("proxy_config_generation")).isEqualTo(1);
        BuildInfo build = BuildInfo.current();
        assertThat(m.sum("proxy_build_info", "version", build.version(), "commit", build.commit(), "java",
                build.java())).isEqualTo(1);
        assertThat(build.version()).as("stamped by the build").isNotEqualTo("unknown");

        // the path and query of each request appear in no label
        assertThat(m.body()).doesNotContain("secret", "/api/users");
        Set<String> routes = m.samples().stream().map(s -> s.labels().get("route")).filter(r -> r != null)
                .collect(Collectors.toSet());
        assertThat(routes).containsExactlyInAnyOrder("api", "limited", "unrouted");
        // the fixed buckets, 100 µs to 30 s, and +Inf
        assertThat(m.series("proxy_request_duration_seconds_bucket", "route", "api"))
                .extracting(s -> s.labels().get("le"))
                .containsExactly("1.0E-4", "2.5E-4", "5.0E-4", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                        "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "+Inf");
    }

    @Test
    void theExpositionPassesPromtool() throws Exception {
        Promtool.assumeInstalled();
        assertThat(get("/api/x").statusCode()).isEqualTo(200);
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
        String body = scrape().body();

        Promtool.assertMetricsPass(body);
    }

    @Test
    void poolGaugesShowARequestInFlight() throws Exception {
        // a backend that holds its answer until told: the request is in flight while the gauges are read
        HeldResponder held = new HeldResponder();
        TestBackend slow = closer.keep(TestBackend.http(held));
        app.stop(Duration.ZERO);
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: slow
                    endpoints: [ { address: %s } ]
                    pool: { maxConnectionsPerEndpoint: 4 }
                routes:
                  - name: slow
                    match: { pathPrefix: / }
                    cluster: slow
                """.formatted(slow.address()), "metrics-test.yaml"), false);
        var pending = client.sendAsync(HttpRequest.newBuilder(trafficUri("/hold")).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().sum("proxy_conn_pool_active", "cluster", "slow")
                == 1);
        PrometheusText m = scrape();
        assertThat(m.sum("proxy_conn_pool_utilization_ratio", "cluster", "slow")).isEqualTo(0.25);
        assertThat(m.sum("proxy_connections_active")).isGreaterThanOrEqualTo(1);
        held.release();
        assertThat(pending.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().sum("proxy_conn_pool_active", "cluster", "slow")
                == 0);
    }

    @Test
    void webSocketTunnelsAreCountedWhileOpenAndTheirBytesWhenTheyClose() throws Exception {
        TestBackend echo = closer.keep(TestBackend.webSocketEcho("/ws"));
        app.stop(Duration.ZERO);
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: chat
                    endpoints: [ { address: %s } ]
                routes:
                  - name: chat
                    match: { pathPrefix: / }
                    cluster: chat
                """.formatted(echo.address()), "metrics-test.yaml"), false);
        LinkedBlockingQueue<String> echoed = new LinkedBlockingQueue<>();
        WebSocket ws = client.newWebSocketBuilder().buildAsync(
                URI.create("ws://127.0.0.1:" + app.proxy().address().getPort() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        echoed.add(data.toString());
                        webSocket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        closer.keep(ws::abort);
        ws.sendText("12345", true).get(10, TimeUnit.SECONDS);
        assertThat(echoed.poll(10, TimeUnit.SECONDS)).isEqualTo("12345");

        PrometheusText open = scrape();
        assertThat(open.sum("proxy_websocket_active")).isEqualTo(1);
        assertThat(open.sum("proxy_websocket_tunnels_total")).isEqualTo(1);
        assertThat(open.sum("proxy_requests_total", "route", "chat", "status_class", "1xx")).isEqualTo(1);
        assertThat(open.sum("proxy_conn_pool_active", "cluster", "chat")).as("a tunnel holds no pool slot").isZero();

        ws.abort();
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().sum("proxy_websocket_active") == 0);
        PrometheusText closed = scrape();
        assertThat(closed.sum("proxy_websocket_tunnels_total")).isEqualTo(1);
        // the client's masked 5-byte frame is 11 bytes, the server's unmasked echo 7
        assertThat(closed.sum("proxy_websocket_bytes_total", "direction", "upstream")).isEqualTo(11);
        assertThat(closed.sum("proxy_websocket_bytes_total", "direction", "downstream")).isEqualTo(7);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(trafficUri(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI trafficUri(String path) {
        return URI.create("http://127.0.0.1:" + app.proxy().address().getPort() + path);
    }

    private PrometheusText scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.admin().address().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return PrometheusText.parse(r.body());
    }
}
