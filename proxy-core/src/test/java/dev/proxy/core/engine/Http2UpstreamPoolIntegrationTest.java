package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.upstream.PoolStats;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HTTP/2 upstream connections are multiplexed within the pool's bounds: streams share a connection up to
 * {@code maxStreamsPerConnection} and the upstream's own limit, connections stay within
 * {@code maxConnectionsPerEndpoint}, a reset stream leaves its neighbours alone and a GOAWAY drains its connection.
 * One event loop, so every request meets the same per-loop connections.
 */
class Http2UpstreamPoolIntegrationTest {
    /** Generous: a bound, not a timing; a loaded 2-core machine once took longer than 10 s here. */
    private static final Duration BOUND = Duration.ofSeconds(30);
    /**
     * A request that waits at the pool's cap waits until the test releases the held ones, however long a loaded
     * machine takes to get there: with the default acquireTimeout (2s) it fails with 503 pool_acquire_timeout when
     * the test's first check comes later than that (shown with acquireTimeout: 50ms).
     */
    private static final String WAIT_AT_THE_CAP = "acquireTimeout: 60s";

    @RegisterExtension
    final Closer closer = new Closer();

    /**
     * Holds each request's response until {@link #release} names its path; keeps every request's stream
     * ({@link #byPath}) and counts how many it held at once at most.
     */
    private static final class Held implements TestBackend.Responder {
        final Map<String, List<ChannelHandlerContext>> byPath = new ConcurrentHashMap<>();
        private final Map<String, Queue<ChannelHandlerContext>> waiting = new ConcurrentHashMap<>();
        final AtomicInteger holding = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();

        @Override
        public void respond(ChannelHandlerContext ctx, FullHttpRequest req) {
            byPath.computeIfAbsent(req.uri(), p -> new CopyOnWriteArrayList<>()).add(ctx);
            waiting.computeIfAbsent(req.uri(), p -> new ConcurrentLinkedQueue<>()).add(ctx);
            peak.accumulateAndGet(holding.incrementAndGet(), Math::max);
        }

        int held() {
            return holding.get();
        }

        /**
         * Answers the requests for {@code path} held now, and not those that arrive meanwhile: each answer frees a
         * stream for a waiting request, which can reach the queue before this loop ends (only the first {@code n}
         * are taken: they are the ones present when it was counted).
         */
        void release(String path) {
            Queue<ChannelHandlerContext> q = waiting.getOrDefault(path, new ConcurrentLinkedQueue<>());
            for (int n = q.size(); n > 0; n--) {
                ChannelHandlerContext c = q.poll();
                c.executor().execute(() -> {
                    holding.decrementAndGet();
                    c.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "released " + path, true));
                });
            }
        }
    }

    private TestProxy proxy(TestBackend backend, String pool, String routes) throws InterruptedException {
        return closer.keep(TestProxy.start("""
                server: { eventLoops: 1 }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                    protocol: h2
                    pool: %s
                routes:
                %s
                """.formatted(backend.address(), pool, routes.indent(2))));
    }

    private static final String ONE_ROUTE = """
            - name: all
              match: { pathPrefix: / }
              cluster: app
            """;

    private static PoolStats pool(TestProxy proxy) {
        return proxy.server().snapshot().clusters().get("app").poolStats();
    }

    private static List<CompletableFuture<HttpResponse<String>>> send(TestProxy proxy, String path, int n) {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sent.add(proxy.client().sendAsync(HttpRequest.newBuilder(proxy.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        return sent;
    }

    private static void assertAllOk(List<CompletableFuture<HttpResponse<String>>> sent, String body) throws Exception {
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.headers().firstValue("x-proxy-error").orElse("")).isEqualTo(200);
            assertThat(r.body()).isEqualTo(body);
        }
    }

    @Test
    void concurrentRequestsShareConnectionsUpToTheirStreamLimitAndThenWait() throws Exception {
        Held held = new Held();
        TestBackend backend = closer.keep(TestBackend.h2(null, held));
        TestProxy proxy = proxy(backend, "{ maxConnectionsPerEndpoint: 2, maxStreamsPerConnection: 4, "
                + WAIT_AT_THE_CAP + " }", ONE_ROUTE);

        List<CompletableFuture<HttpResponse<String>>> sent = send(proxy, "/held", 9);
        await().atMost(BOUND).until(() -> held.held() == 8 && pool(proxy).pending() == 1);

        assertThat(backend.acceptedConnections()).as("two connections of four streams each").isEqualTo(2);
        assertThat(pool(proxy)).isEqualTo(new PoolStats(2, 8, 0, 1));

        held.release("/held");
        await().atMost(BOUND).until(() -> held.held() == 1);
        held.release("/held");
        assertAllOk(sent, "released /held");
        assertThat(held.peak.get()).isEqualTo(8);
        assertThat(backend.acceptedConnections()).as("the ninth request waited for a stream, not a connection")
                .isEqualTo(2);
        await().atMost(BOUND).until(() -> pool(proxy).equals(new PoolStats(2, 0, 2, 0)));
    }

    @Test
    void theUpstreamsOwnStreamLimitIsRespected() throws Exception {
        Held held = new Held();
        TestBackend backend = closer.keep(TestBackend.h2(null, Http2Settings.defaultSettings().maxConcurrentStreams(3),
                held));
        TestProxy proxy = proxy(backend, "{ maxConnectionsPerEndpoint: 1, maxStreamsPerConnection: 100, "
                + WAIT_AT_THE_CAP + " }", ONE_ROUTE);

        List<CompletableFuture<HttpResponse<String>>> sent = send(proxy, "/held", 6);
        await().atMost(BOUND).until(() -> held.held() == 3);
        assertThat(pool(proxy).leased()).isEqualTo(3);

        // each released response frees a stream for a waiting request: 3, then 3 more
        held.release("/held");
        await().atMost(BOUND).until(() -> backend.requestCount() == 6 && held.held() == 3);
        held.release("/held");
        assertAllOk(sent, "released /held");
        assertThat(held.peak.get()).as("never more streams than the upstream allows (it would refuse them)")
                .isEqualTo(3);
        assertThat(backend.acceptedConnections()).isEqualTo(1);
    }

    @Test
    void aStreamCutByItsTimeoutLeavesTheOtherStreamsOfItsConnectionRunning() throws Exception {
        Held held = new Held();
        TestBackend backend = closer.keep(TestBackend.h2(null, held));
        TestProxy proxy = proxy(backend, "{ maxConnectionsPerEndpoint: 1 }", """
                - name: slow
                  match: { pathPrefix: /slow }
                  cluster: app
                  timeout: 300ms
                - name: all
                  match: { pathPrefix: / }
                  cluster: app
                """);

        List<CompletableFuture<HttpResponse<String>>> patient = send(proxy, "/patient", 3);
        await().atMost(BOUND).until(() -> held.held() == 3);
        HttpResponse<String> cut = proxy.get("/slow");
        assertThat(cut.statusCode()).isEqualTo(504);
        assertThat(cut.headers().firstValue("x-proxy-error")).hasValue("route_timeout");

        ChannelHandlerContext slowStream = held.byPath.get("/slow").get(0);
        await().atMost(BOUND).until(() -> !slowStream.channel().isActive());
        assertThat(slowStream.channel().parent().isActive()).as("only the stream was reset").isTrue();

        held.release("/patient");
        assertAllOk(patient, "released /patient");
        assertThat(backend.acceptedConnections()).isEqualTo(1);
        await().atMost(BOUND).until(() -> pool(proxy).equals(new PoolStats(1, 0, 1, 0)));
    }

    @Test
    void aGoAwayDrainsItsConnectionWhileNewRequestsGoToANewOne() throws Exception {
        Held held = new Held();
        TestBackend backend = closer.keep(TestBackend.h2(null, (ctx, req) -> {
            held.respond(ctx, req);
            if (req.uri().equals("/before")) {
                // the server is going away: this stream still gets its answer, new ones must not come here
                ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            }
        }));
        TestProxy proxy = proxy(backend, "{ maxConnectionsPerEndpoint: 2 }", ONE_ROUTE);

        List<CompletableFuture<HttpResponse<String>>> before = send(proxy, "/before", 1);
        await().atMost(BOUND).until(() -> held.held() == 1);
        ChannelHandlerContext first = held.byPath.get("/before").get(0);

        List<CompletableFuture<HttpResponse<String>>> after = send(proxy, "/after", 1);
        await().atMost(BOUND).until(() -> held.held() == 2);
        assertThat(held.byPath.get("/after").get(0).channel().parent()).isNotSameAs(first.channel().parent());
        assertThat(backend.acceptedConnections()).isEqualTo(2);

        held.release("/before");
        held.release("/after");
        assertAllOk(before, "released /before");
        assertAllOk(after, "released /after");
        await().atMost(BOUND).until(() -> !first.channel().parent().isActive());
        await().atMost(BOUND).until(() -> pool(proxy).equals(new PoolStats(1, 0, 1, 0)));
    }
}
