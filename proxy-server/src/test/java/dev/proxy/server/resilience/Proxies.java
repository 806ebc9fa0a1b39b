package dev.proxy.server.resilience;

import dev.proxy.balancer.Balancers;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.resilience.ResilienceFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** The proxy as the server assembles it (every balancer, every resilience filter), and backends for its tests. */
final class Proxies {
    private Proxies() {
    }

    static TestProxy start(String yaml) throws InterruptedException {
        return TestProxy.start(yaml, Balancers.factory(), new ResilienceFactory());
    }

    /** A responder that answers the n-th request (0-based, counted per responder) with the status given for n. */
    static TestBackend.Responder statuses(IntFunction<HttpResponseStatus> byRequest) {
        AtomicInteger n = new AtomicInteger();
        return (ctx, req) -> answer(ctx, byRequest.apply(n.getAndIncrement()), HttpUtil.isKeepAlive(req));
    }

    static void answer(ChannelHandlerContext ctx, HttpResponseStatus status, boolean keepAlive) {
        FullHttpResponse r = TestBackend.text(status, status.code() + " from backend", keepAlive);
        ctx.writeAndFlush(r);
    }
}
