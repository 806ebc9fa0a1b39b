package dev.proxy.server.admin;

import dev.proxy.core.Transport;
import dev.proxy.core.config.HostPort;
import dev.proxy.observability.metrics.ProxyMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener ({@code /healthz}, {@code /readyz}), on an event loop of its own so that it answers even when
 * the traffic loops are saturated. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;

    private AdminServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static AdminServer start(HostPort listen, Readiness readiness, ProxyMetrics metrics) {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "proxy-admin");
        try {
            AdminHandler handler = new AdminHandler(readiness, metrics);
            ChannelFuture ch = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline()
                                    .addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpObjectAggregator(64 * 1024))
                                    .addLast(handler);
                        }
                    })
                    .bind(new InetSocketAddress(listen.host(), listen.port())).awaitUninterruptibly();
            if (!ch.isSuccess()) {
                throw new IllegalStateException("cannot listen on " + listen + " (admin): "
                        + ch.cause().getMessage(), ch.cause());
            }
            return new AdminServer(group, ch.channel());
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
