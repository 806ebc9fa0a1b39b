package dev.proxy.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failure the proxy exists to prevent: an upstream hangs and clients keep coming. In-flight requests stay at
 * the cap, the rest are shed at once with 503, memory and threads stay flat, and service resumes when the upstream
 * does.
 */
class LoadSheddingIntegrationTest {
    private static final int CAP = 50;
    private static final int CLIENTS = 2000;

    @RegisterExtension
    final Closer closer = new Closer();

    private final ConcurrentLinkedQueue<ChannelHandlerContext> held = new ConcurrentLinkedQueue<>();
    private volatile boolean hanging = true;

    private TestBackend hangingBackend() throws InterruptedException {
        return closer.keep(TestBackend.http((ctx, req) -> {
            if (hanging) {
                held.add(ctx);
            } else {
                Proxies.answer(ctx, HttpResponseStatus.OK, true);
            }
        }));
    }

    private void recover() {
        hanging = false;
        ChannelHandlerContext ctx;
        while ((ctx = held.poll()) != null) {
            ChannelHandlerContext c = ctx;
            c.executor().execute(() -> Proxies.answer(c, HttpResponseStatus.OK, true));
        }
    }

    @Test
    void aHangingUpstreamAnd2000ClientsKeepInFlightAtTheCapAndShedTheRest() throws Exception {
        TestBackend backend = hangingBackend();
        TestProxy proxy = closer.keep(Proxies.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                    pool: { maxConnectionsPerEndpoint: 4096 }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                    timeout: 120s
                    concurrencyLimit: { max: %d }
                """.formatted(backend.address(), CAP)));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        hanging = false;
        assertThat(proxy.get("/warm-up").statusCode()).isEqualTo(200);
        hanging = true;
        System.gc();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();

        ExecutorService clientThreads = Executors.newFixedThreadPool(4);
        HttpClient client = HttpClient.newBuilder().executor(clientThreads).connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1).build();
        try {
            int threadsBefore = threads.getThreadCount();
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(proxy.uri("/slow/" + i))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            // every request beyond the cap is answered while the upstream still hangs: nothing queues
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> responses.stream().filter(CompletableFuture::isDone).count() == CLIENTS - CAP);
            assertThat(held).hasSize(CAP);
            assertThat(backend.requestCount()).isEqualTo(CAP + 1);
            Map<String, Long> shed = responses.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join)
                    .collect(Collectors.groupingBy(r -> r.statusCode() + " "
                            + r.headers().firstValue("x-proxy-error").orElse(""), Collectors.counting()));
            assertThat(shed).containsExactly(Map.entry("503 overloaded", (long) (CLIENTS - CAP)));

            // the proxy holds no thread per request and no queue: threads and heap stay flat under the flood
            assertThat(threads.getThreadCount()).isLessThanOrEqualTo(threadsBefore + 16);
            System.gc();
            assertThat(memory.getHeapMemoryUsage().getUsed() - heapBefore).isLessThan(256L * 1024 * 1024);

            recover();
            for (CompletableFuture<HttpResponse<String>> r : responses) {
                assertThat(r.get().statusCode()).isIn(200, 503);
            }
            assertThat(responses.stream().filter(r -> r.join().statusCode() == 200).count()).isEqualTo(CAP);
            for (int i = 0; i < 20; i++) {
                assertThat(proxy.get("/after").statusCode()).isEqualTo(200);
            }
        } finally {
            recover();
            clientThreads.shutdownNow();
        }
    }

    @Test
    void theGlobalCapShedsAcrossRoutes() throws Exception {
        TestBackend backend = hangingBackend();
        TestProxy proxy = closer.keep(Proxies.start("""
                server:
                  limits: { maxInFlightRequests: 3 }
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: one
                    match: { pathPrefix: /one }
                    cluster: b
                  - name: two
                    match: { pathPrefix: /two }
                    cluster: b
                """.formatted(backend.address())));
        try {
            List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
            slow.add(proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri("/one/a")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            slow.add(proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri("/one/b")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            slow.add(proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri("/two/c")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 3);
            HttpResponse<String> shed = proxy.get("/two/d");
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.headers().firstValue("x-proxy-error")).hasValue("overloaded");
            recover();
            for (CompletableFuture<HttpResponse<String>> r : slow) {
                assertThat(r.get().statusCode()).isEqualTo(200);
            }
            assertThat(proxy.get("/two/e").statusCode()).isEqualTo(200);
        } finally {
            recover();
        }
    }
}
