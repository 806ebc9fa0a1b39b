package dev.proxy.core;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket implementation (native epoll where the platform has it, NIO elsewhere) and the buffer allocator its
 * channels read into. Immutable.
 */
public final class Transport {
    /**
     * The pooled allocator, not Netty 4.2's default adaptive one: the adaptive allocator calls any JVM with at most
     * 512 MiB of heap "low memory" (the image's flags give 384 MiB in a 768 MiB container, the benchmarks run with
     * 256 MiB), and then shares its magazines between threads and pools no buffer over 16,896 bytes, so every 64 KiB
     * socket read of a large body was a new {@code ByteBuffer.allocateDirect}, zeroed and later freed through a
     * Cleaner. Measured in docs/benchmarks.md ("Buffer allocator").
     */
    private static final ByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    private final String name;
    private final IoHandlerFactory ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends Channel> channel;
    private final Class<? extends DatagramChannel> datagramChannel;

    private Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannel,
                      Class<? extends Channel> channel, Class<? extends DatagramChannel> datagramChannel) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannel = serverChannel;
        this.channel = channel;
        this.datagramChannel = datagramChannel;
    }

    /** Epoll when its native library loads, otherwise NIO. */
    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, EpollDatagramChannel.class);
        }
        return nio();
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class);
    }

    /** A group of {@code threads} event loops (0 means one per core) whose threads are named {@code name-N}. */
    public EventLoopGroup newGroup(int threads, String threadName) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }

    public String name() {
        return name;
    }

    /** The allocator of the proxy's client and upstream channels (set as their {@code ChannelOption.ALLOCATOR}). */
    public ByteBufAllocator allocator() {
        return ALLOCATOR;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends Channel> channel() {
        return channel;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }
}
