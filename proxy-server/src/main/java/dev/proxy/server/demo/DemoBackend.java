package dev.proxy.server.demo;

import dev.proxy.core.Transport;
import dev.proxy.core.config.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP server that answers every request with a JSON description of it and of itself, so that a request
 * sent through the proxy shows which backend answered and what the proxy forwarded. For {@code --demo} only.
 */
public final class DemoBackend implements AutoCloseable {
    private final EventLoopGroup group;
    private final List<Channel> channels;

    private DemoBackend(EventLoopGroup group, List<Channel> channels) {
        this.group = group;
        this.channels = channels;
    }

    /** Starts one demo server on each address; they share one event loop. */
    public static DemoBackend start(List<HostPort> addresses) throws InterruptedException {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "demo-backend");
        List<Channel> channels = new ArrayList<>();
        try {
            for (HostPort address : addresses) {
                Handler handler = new Handler("demo-" + (channels.size() + 1), address.toString());
                channels.add(new ServerBootstrap()
                        .group(group)
                        .channel(transport.serverChannel())
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline()
                                        .addLast(new HttpServerCodec())
                                        .addLast(new HttpServerKeepAliveHandler())
                                        .addLast(new HttpObjectAggregator(1024 * 1024))
                                        .addLast(handler);
                            }
                        })
                        .bind(new InetSocketAddress(address.host(), address.port())).sync().channel());
            }
        } catch (RuntimeException | InterruptedException e) {
            channels.forEach(Channel::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        return new DemoBackend(group, channels);
    }

    @Override
    public void close() {
        channels.forEach(c -> c.close().awaitUninterruptibly());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;
        private final String address;

        Handler(String name, String address) {
            this.name = name;
            this.address = address;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            StringBuilder json = new StringBuilder(256);
            json.append("{\"backend\":\"").append(name).append("\",\"address\":\"").append(address)
                    .append("\",\"method\":\"").append(request.method().name())
                    .append("\",\"uri\":").append(quote(request.uri()))
                    .append(",\"bodyBytes\":").append(request.content().readableBytes())
                    .append(",\"headers\":{");
            boolean first = true;
            for (Map.Entry<String, String> h : request.headers()) {
                json.append(first ? "" : ",").append(quote(h.getKey().toLowerCase())).append(':')
                        .append(quote(h.getValue()));
                first = false;
            }
            json.append("}}\n");
            ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            response.headers().set("x-backend", name);
            HttpUtil.setContentLength(response, body.readableBytes());
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.writeAndFlush(response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a client that resets its connection is normal for a demo server; nothing to report
            ctx.close();
        }

        private static String quote(String s) {
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            return sb.append('"').toString();
        }
    }
}
