package dev.proxy.core.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately bare HTTP/2 client over cleartext (prior knowledge): it writes frames exactly as told, with none of
 * a real client's manners (it ignores the server's limits, sends resets at will), and records what the server sends
 * back. For testing the proxy's protections; a well-behaved client is Netty's or the JDK's.
 */
public final class RawHttp2 implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final Channel channel;
    private volatile ChannelHandlerContext ctx;
    private volatile Http2Settings settings;
    /** GOAWAY's error code, -1 until one arrives. */
    private final AtomicLong goAway = new AtomicLong(-1);
    private final AtomicLong pings = new AtomicLong();
    private final AtomicLong connectionWindowIncrements = new AtomicLong();
    private final Map<Integer, Long> resets = new ConcurrentHashMap<>();
    private final Map<Integer, String> statuses = new ConcurrentHashMap<>();
    private final Map<Integer, Http2Headers> responseHeaders = new ConcurrentHashMap<>();
    private final Map<Integer, String> allStatuses = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> dataBytes = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> ended = new ConcurrentHashMap<>();

    private RawHttp2(int port, byte[] prefix) throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Reader());
                    }
                })
                .connect(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        run(() -> {
            if (prefix.length > 0) {
                ctx.write(Unpooled.wrappedBuffer(prefix));
            }
            ctx.write(Http2CodecUtil.connectionPrefaceBuf());
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            ctx.flush();
        });
    }

    /** Connects and sends the preface and an empty SETTINGS frame. */
    public static RawHttp2 connect(int port) throws InterruptedException {
        return new RawHttp2(port, new byte[0]);
    }

    /** Connects and sends {@code prefix} (a PROXY protocol header), then the preface and an empty SETTINGS frame. */
    public static RawHttp2 connect(int port, byte[] prefix) throws InterruptedException {
        return new RawHttp2(port, prefix.clone());
    }

    /**
     * Sends HEADERS opening stream {@code id} with a request for {@code path} (authority "test") and the given extra
     * headers (name, value, ...), not flushed.
     */
    public void request(int id, String method, String path, boolean endStream, String... headerNamesAndValues) {
        Http2Headers h = new DefaultHttp2Headers().method(method).path(path).scheme("http").authority("test");
        for (int i = 0; i + 1 < headerNamesAndValues.length; i += 2) {
            h.add(headerNamesAndValues[i], headerNamesAndValues[i + 1]);
        }
        run(() -> writer.writeHeaders(ctx, id, h, 0, endStream, ctx.newPromise()));
    }

    /**
     * Sends HEADERS on stream {@code id} with exactly {@code headers} (pseudo-headers included or left out as given),
     * not flushed: a request, trailers, or something malformed.
     */
    public void headers(int id, Http2Headers headers, boolean endStream) {
        run(() -> writer.writeHeaders(ctx, id, headers, 0, endStream, ctx.newPromise()));
    }

    /**
     * Sends WINDOW_UPDATE on stream {@code id} (0: the connection) with any increment, 0 too; not flushed. This client
     * sends none of its own: what it reads is not given back until a test says so, so a server can send it only its
     * initial windows.
     */
    public void windowUpdate(int id, int increment) {
        run(() -> {
            // the writer refuses an increment of 0, which is what some tests must send: the frame is built by hand
            ctx.write(ctx.alloc().buffer(13).writeMedium(4).writeByte(0x8).writeByte(0).writeInt(id)
                    .writeInt(increment));
        });
    }

    /** Sends RST_STREAM on stream {@code id}, not flushed. */
    public void reset(int id, Http2Error error) {
        run(() -> writer.writeRstStream(ctx, id, error.code(), ctx.newPromise()));
    }

    /** Sends PING, not flushed: its ACK tells that the server has read every frame sent before it. */
    public void ping() {
        run(() -> writer.writePing(ctx, false, pings.get() + 1, ctx.newPromise()));
    }

    /** The sum of the server's WINDOW_UPDATE increments for the connection (stream 0). */
    public long connectionWindowIncrements() {
        return connectionWindowIncrements.get();
    }

    /** PING ACKs received so far. */
    public long pingAcks() {
        return pings.get();
    }

    public void flush() {
        run(() -> ctx.flush());
    }

    /** The server's SETTINGS, null until they arrive. */
    public Http2Settings serverSettings() {
        return settings;
    }

    /** The error code of the server's GOAWAY, or -1. */
    public long goAwayError() {
        return goAway.get();
    }

    /** The error code of the server's RST_STREAM on stream {@code id}, or null. */
    public Long resetError(int id) {
        return resets.get(id);
    }

    /** Every {@code :status} received on stream {@code id}, informational ones included, comma-separated. */
    public String allStatuses(int id) {
        return allStatuses.get(id);
    }

    /** Sends a DATA frame of {@code bytes} on stream {@code id}, not flushed. */
    public void data(int id, byte[] bytes, boolean endStream) {
        run(() -> writer.writeData(ctx, id, ctx.alloc().buffer(bytes.length).writeBytes(bytes), 0, endStream,
                ctx.newPromise()));
    }

    /** The final (non-1xx) {@code :status} of the response on stream {@code id}, or null. */
    public String status(int id) {
        return statuses.get(id);
    }

    /** The headers of the final (non-1xx) response on stream {@code id}, or null. */
    public Http2Headers responseHeaders(int id) {
        return responseHeaders.get(id);
    }

    /** Body bytes received on stream {@code id}. */
    public int dataBytes(int id) {
        return dataBytes.getOrDefault(id, 0);
    }

    /** Whether the server ended stream {@code id} (END_STREAM). */
    public boolean ended(int id) {
        return ended.getOrDefault(id, false);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    private void run(Runnable task) {
        try {
            channel.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Reads the server's frames into the maps above; acknowledges its SETTINGS; never updates windows. */
    private final class Reader extends ByteToMessageDecoder {
        private final DefaultHttp2FrameReader frames = new DefaultHttp2FrameReader(true);
        private boolean prefaceSeen;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            RawHttp2.this.ctx = ctx;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, java.util.List<Object> out) throws Http2Exception {
            frames.readFrame(ctx, in, new Http2FrameAdapter() {
                @Override
                public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings s) {
                    if (!prefaceSeen) {
                        prefaceSeen = true;
                        settings = s;
                    }
                    writer.writeSettingsAck(ctx, ctx.newPromise());
                    ctx.flush();
                }

                @Override
                public void onHeadersRead(ChannelHandlerContext ctx, int id, Http2Headers headers, int padding,
                                          boolean endOfStream) {
                    if (headers.status() != null) {
                        String status = headers.status().toString();
                        if (!status.startsWith("1")) {
                            // before the status, which tests wait for
                            responseHeaders.putIfAbsent(id, headers);
                            statuses.putIfAbsent(id, status);
                        }
                        allStatuses.merge(id, status, (a, b) -> a + "," + b);
                    }
                    if (endOfStream) {
                        ended.put(id, true);
                    }
                }

                @Override
                public void onHeadersRead(ChannelHandlerContext ctx, int id, Http2Headers headers, int dependency,
                                          short weight, boolean exclusive, int padding, boolean endOfStream) {
                    onHeadersRead(ctx, id, headers, padding, endOfStream);
                }

                @Override
                public int onDataRead(ChannelHandlerContext ctx, int id, ByteBuf data, int padding,
                                      boolean endOfStream) {
                    dataBytes.merge(id, data.readableBytes(), Integer::sum);
                    if (endOfStream) {
                        ended.put(id, true);
                    }
                    return data.readableBytes() + padding;
                }

                @Override
                public void onWindowUpdateRead(ChannelHandlerContext ctx, int id, int increment) {
                    if (id == 0) {
                        connectionWindowIncrements.addAndGet(increment);
                    }
                }

                @Override
                public void onPingAckRead(ChannelHandlerContext ctx, long data) {
                    pings.incrementAndGet();
                }

                @Override
                public void onRstStreamRead(ChannelHandlerContext ctx, int id, long errorCode) {
                    resets.put(id, errorCode);
                }

                @Override
                public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debug) {
                    // the first one tells why; a second would only narrow the last stream
                    goAway.compareAndSet(-1, errorCode);
                }
            });
        }
    }
}
