package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.upstream.ConnectionPool;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stale keep-alive race against an upstream that closes idle connections after a short time it never announces
 * (no {@code Keep-Alive} header), as Node, Go and Python servers do: bursts of GETs and POSTs, paused so that the
 * pooled connections are about as old as the upstream's timeout when the next burst comes. The proxy learns the
 * timeout from the idle connections the upstream closes, and no request is lost.
 *
 * <p>Run with {@code -DstaleRace.learn=false} to see the old behaviour ({@code pool.learnIdleTimeout: false}): the
 * POSTs that meet a connection the upstream is closing fail with 502 (GETs are resent once on a new connection).
 */
class StaleConnectionIntegrationTest {
    /** The upstream's unannounced idle timeout. */
    private static final long IDLE_CLOSE_MILLIS = 300;
    /**
     * After its idle timeout the upstream reads nothing more and its FIN reaches the proxy this much later: the
     * one-way delay of a real network, which loopback lacks, and which is the window of the race.
     */
    private static final long CLOSE_DELAY_MILLIS = 20;
    private static final int BURSTS = 48;
    private static final int GETS_PER_BURST = 5;
    private static final int POSTS_PER_BURST = 5;

    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void losesNoRequestToAnUpstreamThatClosesIdleConnectionsUnannounced() throws Exception {
        boolean learn = Boolean.parseBoolean(System.getProperty("staleRace.learn", "true"));
        AtomicInteger served = new AtomicInteger();
        TestBackend backend = closer.keep(TestBackend.raw(p -> p.addLast(
                new IdleStateHandler(0, 0, IDLE_CLOSE_MILLIS, TimeUnit.MILLISECONDS), new SilentIdleClose(),
                new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Answer(served))));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                    pool: { maxIdleTime: 60s, learnIdleTimeout: %s }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address(), learn)));
        ConnectionPool pool = proxy.server().snapshot().clusters().get("b").pool(
                proxy.server().snapshot().clusters().get("b").endpoints().get(0));

        // a first burst, then a quiet moment past the upstream's timeout: the proxy sees its idle connections closed
        // (in production, the first quiet moment does the same)
        List<HttpResponse<String>> responses = new ArrayList<>(burst(proxy, 0));
        if (learn) {
            await().atMost(Duration.ofSeconds(20)).until(() -> pool.learnedIdleTimeout().isPresent());
        }
        for (int i = 1; i < BURSTS; i++) {
            // the traffic's pattern, not a wait for a condition: every fourth pause is short, so connections are
            // still reused; the others put the connections' idle time across the upstream's timeout and its close
            long pauseMillis = i % 4 == 0 ? 120 : IDLE_CLOSE_MILLIS - 14 + (i * 7L) % 40;
            Thread.sleep(pauseMillis);
            responses.addAll(burst(proxy, i));
        }

        List<String> failed = responses.stream().filter(r -> r.statusCode() != 200)
                .map(r -> r.request().method() + " " + r.uri().getPath() + " " + r.statusCode() + " "
                        + r.headers().firstValue("x-proxy-error").orElse(""))
                .toList();
        assertThat(failed).as("requests failed, of %d", responses.size()).isEmpty();
        assertThat(responses).hasSize(BURSTS * (GETS_PER_BURST + POSTS_PER_BURST));
        assertThat(served.get()).isGreaterThanOrEqualTo(responses.size());
        // kept-alive connections were still reused where the pause was short
        assertThat(backend.acceptedConnections()).isLessThan(responses.size());
        assertThat(pool.learnedIdleTimeout()).isPresent();
    }

    /** Sends a burst of GETs and POSTs at once and waits for every answer. */
    private static List<HttpResponse<String>> burst(TestProxy proxy, int n) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < GETS_PER_BURST + POSTS_PER_BURST; i++) {
            HttpRequest.Builder r = HttpRequest.newBuilder(proxy.uri("/" + n + "/" + i)).timeout(Duration.ofSeconds(30));
            if (i >= GETS_PER_BURST) {
                r.POST(HttpRequest.BodyPublishers.ofString("order " + n + "/" + i));
            }
            calls.add(proxy.client().sendAsync(r.build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> out = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            out.add(c.get(60, TimeUnit.SECONDS));
        }
        return out;
    }

    /**
     * At the idle timeout the upstream stops reading the connection and closes it {@link #CLOSE_DELAY_MILLIS} later,
     * saying nothing: a request that arrives meanwhile gets no answer.
     */
    private static final class SilentIdleClose extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.channel().config().setAutoRead(false);
                ctx.executor().schedule(() -> ctx.close(), CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }
    }

    /** Answers every request 200, keep-alive, with no {@code Keep-Alive} header. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final AtomicInteger served;

        Answer(AtomicInteger served) {
            this.served = served;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest) {
                served.incrementAndGet();
                ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, "ok", true));
            }
            ReferenceCountUtil.release(msg);
        }
    }
}
