package dev.proxy.server.admin;

import dev.proxy.core.Transport;
import dev.proxy.core.config.HostPort;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener: probes, metrics, the admin API and the status page ({@link AdminHandler}), on an event loop of
 * its own so that it answers even when the traffic loops are saturated. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final ExecutorService worker;
    private final Channel channel;

    private AdminServer(EventLoopGroup group, ExecutorService worker, Channel channel) {
        this.group = group;
        this.worker = worker;
        this.channel = channel;
    }

    public static AdminServer start(HostPort listen, AdminApi api) {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "proxy-admin");
        // the one blocking admin call, a reload, runs here and not on the admin loop
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "proxy-admin-work");
            t.setDaemon(true);
            return t;
        });
        try {
            AdminHandler handler = new AdminHandler(api, worker);
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
            return new AdminServer(group, worker, ch.channel());
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            worker.shutdownNow();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        worker.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
