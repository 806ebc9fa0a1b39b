package dev.proxy.server;

import dev.proxy.core.testing.TestBackend;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A {@link TestBackend.Responder} that answers nothing until the test calls {@link #release()}: a slow upstream
 * whose requests stay in flight as long as the test needs. On release every held request gets {@link #BODY}, written
 * on its own channel's event loop; requests arriving after the release are answered at once. Thread-safe.
 */
final class HeldResponder implements TestBackend.Responder {
    /**
     * The response body: 320,000 bytes, several times the 64 KiB write buffer high water mark, so the proxy needs
     * many writes and back-pressure to forward it; distinct lines, so a cut or reordered one is noticed.
     */
    static final String BODY = IntStream.range(0, 10_000)
            .mapToObj(i -> String.format("line %05d of the slow response\n", i))
            .collect(Collectors.joining());

    private final CountDownLatch released = new CountDownLatch(1);
    private final List<Held> held = new ArrayList<>();

    private record Held(ChannelHandlerContext ctx, boolean keepAlive) {
    }

    /** Runs on the backend's event loop: holds the request, or answers it when already released. */
    @Override
    public void respond(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        synchronized (held) {
            if (released.getCount() > 0) {
                held.add(new Held(ctx, keepAlive));
                return;
            }
        }
        answer(ctx, keepAlive);
    }

    /** Answers every held request (each on its channel's event loop) and every later one. Idempotent. */
    void release() {
        List<Held> toAnswer;
        synchronized (held) {
            released.countDown();
            toAnswer = List.copyOf(held);
            held.clear();
        }
        for (Held h : toAnswer) {
            h.ctx().executor().execute(() -> answer(h.ctx(), h.keepAlive()));
        }
    }

    private static void answer(ChannelHandlerContext ctx, boolean keepAlive) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(TestBackend.text(HttpResponseStatus.OK, BODY, keepAlive));
        }
    }
}
