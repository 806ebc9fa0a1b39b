package dev.proxy.server.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.proxy.observability.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Answers the admin endpoints. Stateless and sharable; runs on the admin event loop, and hands the one blocking
 * call (a reload) to {@code worker}, writing its answer back on the loop.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";
    private static final String HTML = "text/html; charset=utf-8";

    private final AdminApi api;
    private final Executor worker;

    AdminHandler(AdminApi api, Executor worker) {
        this.api = api;
        this.worker = worker;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            send(ctx, request, HttpResponseStatus.BAD_REQUEST, TEXT, "bad request\n", false);
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String path = query.path();
        boolean read = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
        if (path.equals("/config/reload")) {
            reload(ctx, request);
            return;
        }
        if (!read) {
            send(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "only GET\n", true);
            return;
        }
        switch (path) {
            case "/" -> send(ctx, request, HttpResponseStatus.OK, HTML, StatusPage.HTML, true);
            case "/healthz" -> send(ctx, request, HttpResponseStatus.OK, TEXT, "ok\n", true);
            case "/readyz" -> readyz(ctx, request);
            case "/metrics" -> {
                // a scrape of a few hundred series takes well under a millisecond: fine on the admin loop
                ProxyMetrics.Scrape scrape = api.scrape(request.headers().get(HttpHeaderNames.ACCEPT));
                send(ctx, request, HttpResponseStatus.OK, scrape.contentType(), scrape.body(), true);
            }
            case "/config" -> json(ctx, request, HttpResponseStatus.OK, api.config());
            case "/clusters" -> json(ctx, request, HttpResponseStatus.OK, api.clusters());
            case "/status" -> json(ctx, request, HttpResponseStatus.OK, api.status());
            case "/routes", "/debug/route" -> routes(ctx, request, query);
            default -> send(ctx, request, HttpResponseStatus.NOT_FOUND, TEXT, "not found\n", true);
        }
    }

    private void readyz(ChannelHandlerContext ctx, FullHttpRequest request) {
        List<String> reasons = api.readiness().notReadyReasons();
        if (reasons.isEmpty()) {
            List<String> degraded = api.readiness().degradations();
            send(ctx, request, HttpResponseStatus.OK, TEXT, degraded.isEmpty() ? "ready\n"
                    : "ready, degraded: " + String.join(", ", degraded) + "\n", true);
        } else {
            send(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, TEXT,
                    "not ready: " + String.join(", ", reasons) + "\n", true);
        }
    }

    /**
     * Without {@code path}: the route table. With it: the explanation for a request to it; {@code host},
     * {@code method} (GET), {@code client} (the caller's address, for client-IP hashing) and any number of
     * {@code header=name:value} describe the rest.
     */
    private void routes(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query) {
        Map<String, List<String>> p = query.parameters();
        if (!p.containsKey("path")) {
            json(ctx, request, HttpResponseStatus.OK, api.routes());
            return;
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String h : p.getOrDefault("header", List.of())) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                send(ctx, request, HttpResponseStatus.BAD_REQUEST, TEXT, "header must be name:value, was " + h + "\n",
                        true);
                return;
            }
            headers.add(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        first(p, "host").ifPresent(h -> headers.set(HttpHeaderNames.HOST, h));
        String method = first(p, "method").orElse("GET").toUpperCase(Locale.ROOT);
        InetSocketAddress client = first(p, "client").map(c -> new InetSocketAddress(c, 0))
                .orElse((InetSocketAddress) ctx.channel().remoteAddress());
        try {
            json(ctx, request, HttpResponseStatus.OK, api.explain(method, first(p, "path").get(), headers, client));
        } catch (IllegalArgumentException e) {
            send(ctx, request, HttpResponseStatus.BAD_REQUEST, TEXT, e.getMessage() + "\n", true);
        }
    }

    private static Optional<String> first(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    private void reload(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.method().equals(HttpMethod.POST)) {
            send(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT, "POST to reload\n", true);
            return;
        }
        if (!api.writable()) {
            send(ctx, request, HttpResponseStatus.FORBIDDEN, TEXT,
                    "the admin port is read-only: set server.admin.allowWrites: true to reload through it\n", true);
            return;
        }
        request.retain();
        CompletableFuture.supplyAsync(api::reload, worker).whenComplete((result, error) -> ctx.executor().execute(() -> {
            try {
                if (error != null) {
                    send(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, "reload failed: "
                            + error.getMessage() + "\n", true);
                } else {
                    boolean ok = !"rejected".equals(result.path("outcome").asText());
                    json(ctx, request, ok ? HttpResponseStatus.OK : HttpResponseStatus.UNPROCESSABLE_ENTITY, result);
                }
            } finally {
                request.release();
            }
        }));
    }

    /**
     * The mapper, made at the first JSON answer rather than when the admin listener starts: Jackson's databind is some
     * 250 classes that neither the probes nor /metrics need, and the listener starts while the first requests come.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private static void json(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             JsonNode body) {
        String text;
        try {
            text = Json.MAPPER.writeValueAsString(body) + "\n";
        } catch (JsonProcessingException e) {
            send(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, TEXT, e.getMessage() + "\n", true);
            return;
        }
        send(ctx, request, status, JSON, text, true);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                             String contentType, String body, boolean keepAliveAllowed) {
        // for HEAD the server codec sends the head alone
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
