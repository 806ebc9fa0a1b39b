package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An endpoint set change applies at once to new requests; requests in flight on a removed endpoint finish. */
class EndpointRemovalIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private static String config(String... addresses) {
        StringBuilder endpoints = new StringBuilder();
        for (String a : addresses) {
            endpoints.append("      - { address: ").append(a).append(" }\n");
        }
        return """
                clusters:
                  - name: c
                    endpoints:
                %s
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: c
                """.formatted(endpoints);
    }

    @Test
    void finishesTheInFlightRequestOfARemovedEndpointThenClosesItsPool() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestBackend leaving = closer.keep(TestBackend.http((ctx, req) -> CompletableFuture.runAsync(() -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.OK, "leaving", true);
            ctx.channel().eventLoop().execute(() -> ctx.writeAndFlush(r));
        })));
        TestBackend staying = closer.keep(TestBackend.http(TestBackend.ok("staying")));
        TestProxy proxy = closer.keep(TestProxy.start(config(leaving.address())));
        Cluster old = proxy.server().snapshot().clusters().get("c");
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return proxy.get("/slow");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> leaving.requestCount() == 1);

        proxy.server().apply(ConfigReader.read("server:\n  listen: 127.0.0.1:0\n" + config(staying.address()),
                "reload.yaml"));
        for (int i = 0; i < 5; i++) {
            assertThat(proxy.get("/new").body()).isEqualTo("staying");
        }
        assertThat(leaving.requestCount()).isEqualTo(1);

        release.countDown();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("leaving");
        // the retired pool does not keep the connection its last request used
        await().atMost(Duration.ofSeconds(5)).until(() -> old.poolStats().open() == 0
                && leaving.openConnections() == 0);
    }
}
