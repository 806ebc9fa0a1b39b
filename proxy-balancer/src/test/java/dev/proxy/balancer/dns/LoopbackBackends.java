package dev.proxy.balancer.dns;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * HTTP backends on one port of several loopback addresses (127.0.0.1, 127.0.0.2, ...), as the pods behind a headless
 * Service: each answers every request with the address it is bound to. Linux routes all of 127.0.0.0/8 to lo.
 */
public final class LoopbackBackends implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<Channel> servers = new ArrayList<>();
    private final int port;

    /**
     * Binds {@code hosts[0]} on a free port, then the others on the same port; a port another process holds on one
     * of the other addresses is given up for a new one.
     */
    public LoopbackBackends(String... hosts) throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                new Echo());
                    }
                });
        int bound = -1;
        for (int attempt = 0; attempt < 10 && bound < 0; attempt++) {
            Channel first = bootstrap.bind(new InetSocketAddress(hosts[0], 0)).sync().channel();
            servers.add(first);
            int candidate = ((InetSocketAddress) first.localAddress()).getPort();
            boolean all = true;
            for (int i = 1; i < hosts.length && all; i++) {
                ChannelFuture f = bootstrap.bind(new InetSocketAddress(hosts[i], candidate)).await();
                if (f.isSuccess()) {
                    servers.add(f.channel());
                } else {
                    all = false;
                }
            }
            if (all) {
                bound = candidate;
            } else {
                servers.forEach(c -> c.close().syncUninterruptibly());
                servers.clear();
            }
        }
        if (bound < 0) {
            close();
            throw new IllegalStateException("no port free on all of " + String.join(", ", hosts));
        }
        port = bound;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        servers.forEach(c -> c.close().syncUninterruptibly());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers with the local address; the aggregated request is released by the superclass. */
    private static final class Echo extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String host = ((InetSocketAddress) ctx.channel().localAddress()).getAddress().getHostAddress();
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(host, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response);
        }
    }
}
