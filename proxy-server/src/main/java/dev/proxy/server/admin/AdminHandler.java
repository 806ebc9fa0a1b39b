package dev.proxy.server.admin;

import dev.proxy.observability.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Answers the admin endpoints. Stateless and sharable; runs on the admin event loop. */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final Readiness readiness;
    private final ProxyMetrics metrics;

    AdminHandler(Readiness readiness, ProxyMetrics metrics) {
        this.readiness = readiness;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            send(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad request\n", false);
            return;
        }
        String path = request.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            send(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n", true);
            return;
        }
        switch (path) {
            case "/healthz" -> send(ctx, request, HttpResponseStatus.OK, "ok\n", true);
            case "/readyz" -> {
                List<String> reasons = readiness.notReadyReasons();
                if (reasons.isEmpty()) {
                    List<String> degraded = readiness.degradations();
                    send(ctx, request, HttpResponseStatus.OK, degraded.isEmpty() ? "ready\n"
                            : "ready, degraded: " + String.join(", ", degraded) + "\n", true);
                } else {
                    send(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "not ready: " + String.join(", ", reasons) + "\n", true);
                }
            }
            case "/metrics" -> {
                // a scrape of a few hundred series takes well under a millisecond: fine on the admin loop
                ProxyMetrics.Scrape scrape = metrics.scrape(request.headers().get(HttpHeaderNames.ACCEPT));
                send(ctx, request, HttpResponseStatus.OK, scrape.contentType(), scrape.body(), true);
            }
            default -> send(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n", true);
        }
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             String body, boolean keepAliveAllowed) {
        send(ctx, request, status, TEXT, body, keepAliveAllowed);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             String contentType, String body, boolean keepAliveAllowed) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(response, content.readableBytes());
        boolean keepAlive = keepAliveAllowed && HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
