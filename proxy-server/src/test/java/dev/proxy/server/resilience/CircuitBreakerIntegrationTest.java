package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cluster's breaker through the running proxy: opens on failures, stops traffic, probes, closes. */
class CircuitBreakerIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private final AtomicReference<HttpResponseStatus> answer = new AtomicReference<>(HttpResponseStatus.OK);

    private TestBackend backend() throws InterruptedException {
        return closer.keep(TestBackend.http((ctx, req) -> Proxies.answer(ctx, answer.get(), HttpUtil.isKeepAlive(req))));
    }

    private TestProxy proxy(TestBackend backend, String breaker) throws Exception {
        return closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                    circuitBreaker: %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address(), breaker)));
    }

    @Test
    void aBurstOf503sOpensTheBreakerAndProbesCloseItAgain() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend, "{ minimumNumberOfCalls: 5, failureRateThreshold: 50, waitInOpen: 300ms, "
                + "halfOpenCalls: 2 }");
        answer.set(HttpResponseStatus.SERVICE_UNAVAILABLE);
        for (int i = 0; i < 5; i++) {
            assertThat(proxy.get("/x").statusCode()).isEqualTo(503);
        }
        assertThat(backend.requestCount()).isEqualTo(5);

        HttpResponse<String> rejected = proxy.get("/x");
        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(rejected.headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        for (int i = 0; i < 20; i++) {
            assertThat(proxy.get("/x").headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        }
        assertThat(backend.requestCount()).as("an open breaker keeps requests from the upstream").isEqualTo(5);

        answer.set(HttpResponseStatus.OK);
        // after waitInOpen the probes go through, succeed, and the breaker closes
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> proxy.get("/x").statusCode() == 200);
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/x").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aFailedProbeOpensItAgain() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend, "{ minimumNumberOfCalls: 2, failureRateThreshold: 50, waitInOpen: 200ms, "
                + "halfOpenCalls: 1 }");
        answer.set(HttpResponseStatus.BAD_GATEWAY);
        proxy.get("/x");
        proxy.get("/x");
        assertThat(proxy.get("/x").headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        int before = backend.requestCount();
        // after waitInOpen one probe reaches the still-failing upstream, and its failure reopens the breaker
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> proxy.get("/x").headers().firstValue("x-proxy-error").isEmpty());
        assertThat(backend.requestCount()).isEqualTo(before + 1);
        for (int i = 0; i < 5; i++) {
            assertThat(proxy.get("/x").headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        }
        assertThat(backend.requestCount()).isEqualTo(before + 1);
    }

    @Test
    void clientErrorsAndUnlistedStatusesDoNotOpenIt() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend, "{ minimumNumberOfCalls: 2, failureRateThreshold: 50 }");
        answer.set(HttpResponseStatus.NOT_FOUND);
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/x").statusCode()).isEqualTo(404);
        }
        answer.set(HttpResponseStatus.INTERNAL_SERVER_ERROR);
        for (int i = 0; i < 10; i++) {
            assertThat(proxy.get("/x").statusCode()).isEqualTo(500);
        }
        assertThat(backend.requestCount()).isEqualTo(20);
    }

    @Test
    void listedStatusesDoOpenIt() throws Exception {
        TestBackend backend = backend();
        TestProxy proxy = proxy(backend, "{ minimumNumberOfCalls: 2, failureRateThreshold: 50, "
                + "failureStatuses: [500, 502, 503, 504] }");
        answer.set(HttpResponseStatus.INTERNAL_SERVER_ERROR);
        proxy.get("/x");
        proxy.get("/x");
        assertThat(proxy.get("/x").headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        assertThat(backend.requestCount()).isEqualTo(2);
    }

    @Test
    void aRetryAfterKeepsItOpenLongerThanTheWait() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> {
            var r = TestBackend.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "later", true);
            r.headers().set("retry-after", "2");
            ctx.writeAndFlush(r);
        }));
        TestProxy proxy = proxy(backend, "{ minimumNumberOfCalls: 2, failureRateThreshold: 50, waitInOpen: 100ms, "
                + "halfOpenCalls: 1, retryAfterMax: 10s }");
        long opened = System.nanoTime();
        proxy.get("/x");
        proxy.get("/x");
        int afterBurst = backend.requestCount();
        // held open for the upstream's 2 s although waitInOpen is 100 ms: no probe for at least ~2 s
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> proxy.get("/x").headers().firstValue("x-proxy-error").isEmpty());
        assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(backend.requestCount()).isEqualTo(afterBurst + 1);
    }
}
