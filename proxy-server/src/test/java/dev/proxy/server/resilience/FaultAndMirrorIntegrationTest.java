package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Fault injection and mirroring through the running proxy. */
class FaultAndMirrorIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private TestProxy proxy(String yaml) throws Exception {
        return closer.keep(Proxies.start(yaml));
    }

    /** A proxy whose one route goes to {@code primary} and copies every request to the cluster of {@code shadow}. */
    private TestProxy mirroring(TestBackend primary, TestBackend shadow, String shadowClusterKeys) throws Exception {
        return proxy("""
                clusters:
                  - name: main
                    endpoints: [ { address: %s } ]
                  - name: shadow
                    endpoints: [ { address: %s } ]
                    %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: main
                    mirror: { cluster: shadow, percent: 100 }
                """.formatted(primary.address(), shadow.address(), shadowClusterKeys));
    }

    @Test
    void abortsRequestsCarryingTheChaosHeaderWithoutReachingTheUpstream() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    fault: { abort: { percent: 100, status: 418 }, onlyWithHeader: x-chaos }
                """.formatted(backend.address()));
        HttpResponse<String> aborted = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/x"))
                .header("x-chaos", "1").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(aborted.statusCode()).isEqualTo(418);
        assertThat(aborted.headers().firstValue("x-proxy-error")).hasValue("fault_injected");
        assertThat(backend.requestCount()).isZero();
        assertThat(proxy.get("/x").statusCode()).isEqualTo(200);
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    @Test
    void delaysRequestsWithoutHoldingAThread() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = proxy("""
                server:
                  eventLoops: 1
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: slow
                    match: { pathPrefix: /slow }
                    cluster: b
                    fault: { delay: { percent: 100, duration: 2s } }
                  - name: fast
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address()));
        long start = System.nanoTime();
        var delayed = proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri("/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
        // the only event loop is free while the delay runs
        assertThat(proxy.get("/fast").statusCode()).isEqualTo(200);
        assertThat(delayed.isDone()).isFalse();
        assertThat(delayed.get().statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(2000));
    }

    @Test
    void mirrorsRequestsWithTheirBodyToTheShadowAndDropsItsAnswers() throws Exception {
        TestBackend primary = closer.keep(TestBackend.http(TestBackend.ok("primary")));
        List<String> shadowBodies = new CopyOnWriteArrayList<>();
        TestBackend shadow = closer.keep(TestBackend.http((ctx, req) -> {
            shadowBodies.add(req.content().toString(StandardCharsets.UTF_8));
            ctx.writeAndFlush(TestBackend.text(io.netty.handler.codec.http.HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "shadow", true));
        }));
        TestProxy proxy = mirroring(primary, shadow, "");
        String body = "payload-" + "z".repeat(20_000);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = proxy.client().send(HttpRequest.newBuilder(proxy.uri("/orders?id=" + i))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("primary");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> shadow.requestCount() == 3);
        assertThat(shadowBodies).containsOnly(body);
        FullHttpRequest copy = shadow.requests().get(2);
        assertThat(copy.uri()).isEqualTo("/orders?id=2");
        assertThat(primary.requests().get(2).headers().get("host")).isEqualTo("127.0.0.1:" + proxy.port());
        assertThat(copy.headers().get("host")).isEqualTo("127.0.0.1-shadow:" + proxy.port());
        // the shadow's answers go nowhere and its connections go back to its pool
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().snapshot().clusters().get("shadow")
                .poolStats().leased() == 0);
    }

    @Test
    void aHangingOrMissingShadowDoesNotTouchThePrimary() throws Exception {
        TestBackend primary = closer.keep(TestBackend.http(TestBackend.ok("primary")));
        TestBackend hanging = closer.keep(TestBackend.http((ctx, req) -> { }));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        TestProxy proxy = proxy("""
                clusters:
                  - name: main
                    endpoints: [ { address: %s } ]
                  - name: hanging
                    endpoints: [ { address: %s } ]
                    timeouts: { responseHeader: 300ms }
                  - name: gone
                    endpoints: [ { address: 127.0.0.1:%d } ]
                routes:
                  - name: a
                    match: { pathPrefix: /a }
                    cluster: main
                    timeout: 2s
                    mirror: { cluster: hanging }
                  - name: b
                    match: { pathPrefix: /b }
                    cluster: main
                    timeout: 2s
                    mirror: { cluster: gone }
                """.formatted(primary.address(), hanging.address(), closedPort));
        for (int i = 0; i < 5; i++) {
            assertThat(proxy.get("/a").statusCode()).isEqualTo(200);
            assertThat(proxy.get("/b").statusCode()).isEqualTo(200);
        }
        assertThat(primary.requestCount()).isEqualTo(10);
        // the hanging shadow's copies are dropped after its response-header timeout; nothing stays leased
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.server().snapshot().clusters().get("hanging")
                .poolStats().leased() == 0);
    }

    @Test
    void theShadowsBreakerIsNeitherAskedNorToldOfTheCopies() throws Exception {
        TestBackend primary = closer.keep(TestBackend.http(TestBackend.ok("primary")));
        TestBackend failing = closer.keep(TestBackend.http((ctx, req) -> ctx.writeAndFlush(TestBackend.text(
                io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE, "down", true))));
        TestProxy proxy = mirroring(primary, failing,
                "circuitBreaker: { minimumNumberOfCalls: 2, failureRateThreshold: 50, waitInOpen: 60s }");
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/x").statusCode()).isEqualTo(200);
        }
        // had the copies' 503s reached the shadow's breaker, it would have opened after two and kept the rest away
        await().atMost(Duration.ofSeconds(10)).until(() -> failing.requestCount() == 10);
        assertThat(primary.requestCount()).isEqualTo(10);
    }
}
