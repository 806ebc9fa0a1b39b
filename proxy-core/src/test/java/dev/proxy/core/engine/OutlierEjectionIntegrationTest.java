package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Passive health through the running proxy: a failing endpoint stops getting traffic, then comes back. */
class OutlierEjectionIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    /** A backend answering 200, or 503 while {@code failing} is set. */
    private TestBackend switchable(String name, AtomicBoolean failing) throws InterruptedException {
        return closer.keep(TestBackend.http((ctx, req) -> ctx.writeAndFlush(TestBackend.text(
                failing.get() ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, name,
                HttpUtil.isKeepAlive(req)))));
    }

    private TestProxy proxy(String outliers, TestBackend... backends) throws InterruptedException {
        StringBuilder endpoints = new StringBuilder();
        for (TestBackend b : backends) {
            endpoints.append("      - { address: ").append(b.address()).append(" }\n");
        }
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    outlierDetection: %s
                    endpoints:
                %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(outliers, endpoints)));
    }

    private static int status(RawHttp c) throws Exception {
        return c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status();
    }

    @Test
    void ejectsAFailingEndpointAndLetsItBackWhenItsTimeIsUp() throws Exception {
        // a long ejection while counting, so that a slow machine cannot let the endpoint back in mid-count
        AtomicBoolean failing = new AtomicBoolean(true);
        TestBackend sick = switchable("sick", failing);
        TestBackend well1 = switchable("well1", new AtomicBoolean());
        TestBackend well2 = switchable("well2", new AtomicBoolean());
        TestProxy proxy = proxy("{ consecutiveGatewayFailures: 3, baseEjectionTime: 60s, maxEjectionPercent: 50 }",
                sick, well1, well2);
        int errors = 0;
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 60; i++) {
                errors += status(c) == 503 ? 1 : 0;
            }
        }
        // round robin sends every third request to the sick endpoint until its third 503 ejects it
        assertThat(sick.requestCount()).isEqualTo(3);
        assertThat(errors).isEqualTo(3);

        // a short ejection: once the endpoint has healed, it gets requests again when its time is up
        AtomicBoolean healing = new AtomicBoolean(true);
        TestBackend back = switchable("back", healing);
        TestBackend other = switchable("other", new AtomicBoolean());
        TestProxy shortProxy = proxy("{ consecutiveGatewayFailures: 1, baseEjectionTime: 300ms, "
                + "maxEjectionPercent: 50 }", back, other);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (RawHttp c = new RawHttp(shortProxy.port())) {
                status(c);
            }
            return back.requestCount() >= 1;
        });
        healing.set(false);
        int before = back.requestCount();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (RawHttp c = new RawHttp(shortProxy.port())) {
                status(c);
            }
            return back.requestCount() > before;
        });
    }

    @Test
    void spreadsOverAllEndpointsInPanicRatherThanFailingEverything() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        TestBackend a = switchable("a", failing);
        TestBackend b = switchable("b", failing);
        TestProxy proxy = proxy("{ consecutiveGatewayFailures: 1, baseEjectionTime: 60s, maxEjectionPercent: 100,"
                + " panicThreshold: 50 }", a, b);
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 20; i++) {
                // the upstreams' own 503s come through; never the proxy's no_endpoint
                RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("x-proxy-error")).isNull();
            }
        }
        assertThat(a.requestCount()).isGreaterThan(1);
        assertThat(b.requestCount()).isGreaterThan(1);
    }

    @Test
    void ejectsAnEndpointThatRefusesConnections() throws Exception {
        TestBackend well = switchable("well", new AtomicBoolean());
        TestBackend gone = switchable("gone", new AtomicBoolean());
        gone.close();
        TestProxy proxy = proxy("{ consecutiveGatewayFailures: 2, baseEjectionTime: 60s }", well, gone);
        int refused = 0;
        try (RawHttp c = new RawHttp(proxy.port())) {
            for (int i = 0; i < 20; i++) {
                RawHttp.Response r = c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                refused += r.status() == 502 ? 1 : 0;
            }
        }
        assertThat(refused).isEqualTo(2);
    }
}
