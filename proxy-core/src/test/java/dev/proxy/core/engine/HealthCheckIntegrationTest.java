package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Active health checks through the running proxy: an endpoint failing its checks gets no traffic until it passes. */
class HealthCheckIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    /** Serves traffic with its name over HTTP/1.1; its /health answers 503 while {@code sick} is set. */
    private TestBackend backend(String name, AtomicBoolean sick, AtomicInteger checks) throws InterruptedException {
        return closer.keep(TestBackend.http(responder(name, sick, checks)));
    }

    /** A proxy routing {@code /app} to cluster {@code c} of {@code backends}, with {@code clusterKeys} added to it. */
    private TestProxy proxy(String clusterKeys, TestBackend... backends) throws InterruptedException {
        String endpoints = Arrays.stream(backends).map(b -> "{ address: " + b.address() + " }")
                .collect(Collectors.joining(", "));
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: c
                    endpoints: [ %s ]
                %s
                routes:
                  - name: all
                    match: { pathPrefix: /app }
                    cluster: c
                """.formatted(endpoints, clusterKeys.indent(4))));
    }

    @Test
    void takesAnEndpointOutWhileItFailsItsChecksAndBringsItBack() throws Exception {
        AtomicBoolean sick = new AtomicBoolean();
        AtomicInteger sickChecks = new AtomicInteger();
        TestBackend a = backend("a", sick, sickChecks);
        TestBackend b = backend("b", new AtomicBoolean(), new AtomicInteger());
        TestProxy proxy = proxy("""
                healthCheck: { path: /health, interval: 100ms, timeout: 1s, healthyThreshold: 2, unhealthyThreshold: 2 }
                """, a, b);
        Cluster cluster = proxy.server().snapshot().clusters().get("c");
        Endpoint endpointA = cluster.endpoints().get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> sickChecks.get() >= 2);
        assertThat(cluster.isAvailable(endpointA)).isTrue();

        sick.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.isAvailable(endpointA));
        int before = trafficTo(a);
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 20; i++) {
                assertThat(c.send("GET /app HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().body()).isEqualTo("b");
            }
        }
        assertThat(trafficTo(a)).isEqualTo(before);

        sick.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.isAvailable(endpointA));
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 4; i++) {
                c.send("GET /app HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            }
        }
        assertThat(trafficTo(a)).isGreaterThan(before);
        // the checks use their own connections: the traffic pool never held more than the client needed
        assertThat(cluster.pool(endpointA).stats().open()).isLessThanOrEqualTo(1);
    }

    private static int trafficTo(TestBackend backend) {
        return (int) backend.requests().stream().filter(r -> r.uri().startsWith("/app")).count();
    }

    @Test
    void withPanicOffAClusterWithNoHealthyEndpointAnswers503() throws Exception {
        AtomicBoolean sick = new AtomicBoolean();
        AtomicInteger checks = new AtomicInteger();
        TestBackend only = backend("only", sick, checks);
        TestProxy proxy = proxy("""
                healthCheck: { path: /health, interval: 100ms, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 2 }
                outlierDetection: { panicThreshold: 0 }
                """, only);
        Cluster cluster = proxy.server().snapshot().clusters().get("c");
        Endpoint endpoint = cluster.endpoints().get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() >= 1);
        assertThat(proxy.get("/app").body()).isEqualTo("only");

        sick.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.isAvailable(endpoint));
        int before = trafficTo(only);
        HttpResponse<String> refused = proxy.get("/app");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("x-proxy-error")).hasValue("no_endpoint");
        assertThat(trafficTo(only)).as("nothing sent to the unhealthy endpoint").isEqualTo(before);

        sick.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.isAvailable(endpoint));
        assertThat(proxy.get("/app").body()).isEqualTo("only");
    }

    @Test
    void checksAnHttp2ClusterOverHttp2() throws Exception {
        AtomicBoolean sick = new AtomicBoolean();
        AtomicInteger checks = new AtomicInteger();
        TestBackend a = closer.keep(TestBackend.h2(null, responder("a", sick, checks)));
        TestBackend b = closer.keep(TestBackend.h2(null, responder("b", new AtomicBoolean(), new AtomicInteger())));
        TestProxy proxy = proxy("""
                protocol: h2
                healthCheck: { path: /health, interval: 100ms, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 2 }
                """, a, b);
        Cluster cluster = proxy.server().snapshot().clusters().get("c");
        Endpoint endpointA = cluster.endpoints().get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() >= 2);
        assertThat(cluster.isAvailable(endpointA)).isTrue();
        assertThat(a.requests()).as("each check is an HTTP/2 request, a stream of its own")
                .allSatisfy(r -> assertThat(r.headers().contains("x-http2-stream-id")).isTrue());

        sick.set(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.isAvailable(endpointA));
        for (int i = 0; i < 6; i++) {
            assertThat(proxy.get("/app").body()).isEqualTo("b");
        }

        sick.set(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.isAvailable(endpointA));
    }

    /** Answers with {@code name}; /health answers 503 while {@code sick} is set. Counts the checks. */
    private static TestBackend.Responder responder(String name, AtomicBoolean sick, AtomicInteger checks) {
        return (ctx, req) -> {
            boolean health = req.uri().equals("/health");
            if (health) {
                checks.incrementAndGet();
            }
            HttpResponseStatus status = health && sick.get() ? HttpResponseStatus.SERVICE_UNAVAILABLE
                    : HttpResponseStatus.OK;
            ctx.writeAndFlush(TestBackend.text(status, name, HttpUtil.isKeepAlive(req)));
        };
    }
}
