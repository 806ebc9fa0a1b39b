package dev.proxy.core.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The first handler of a connection on a listener with the PROXY protocol on: looks at the first bytes, and as soon
 * as they decide, leaves. The v1 ({@code PROXY}) or v2 (the 12-byte binary signature) start puts Netty's
 * {@link HAProxyMessageDecoder} in its place, which then gets those bytes; any other start is plain traffic, which
 * {@code mode: optional} passes on to {@link ProxyProtocolHandler} as bytes and {@code mode: required} refuses. A
 * start that could still be either (a client that sent {@code PRO} so far) waits for more, bounded by the handler's
 * timer. Unlike {@link HAProxyMessageDecoder#detectProtocol}, which wants 12 bytes, it decides at the first byte that
 * differs, so a short plain request is never held. One per connection; runs on its event loop; the bytes it holds
 * go on to whichever handler follows it.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {
    static final String NAME = "proxy-protocol-detect";
    static final String DECODER = "proxy-protocol-decoder";
    private static final byte[] V1 = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private enum Start { UNDECIDED, PROXY_HEADER, OTHER }

    private final ProxyProtocolHandler handler;

    ProxyProtocolDetector(ProxyProtocolHandler handler) {
        this.handler = handler;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (start(in)) {
            case PROXY_HEADER -> ctx.pipeline().replace(this, DECODER, new HAProxyMessageDecoder());
            case OTHER -> {
                if (handler.required()) {
                    in.skipBytes(in.readableBytes());
                    handler.missing();
                } else {
                    // leaving passes the bytes held on to the handler, which takes them as plain traffic
                    ctx.pipeline().remove(this);
                }
            }
            case UNDECIDED -> {
                // wait for more
            }
        }
    }

    private static Start start(ByteBuf in) {
        boolean v1 = matches(in, V1);
        boolean v2 = matches(in, V2);
        if (!v1 && !v2) {
            return Start.OTHER;
        }
        int readable = in.readableBytes();
        return (v1 && readable >= V1.length) || (v2 && readable >= V2.length) ? Start.PROXY_HEADER : Start.UNDECIDED;
    }

    /** Whether the readable bytes agree with {@code signature} as far as both go. */
    private static boolean matches(ByteBuf in, byte[] signature) {
        int n = Math.min(in.readableBytes(), signature.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != signature[i]) {
                return false;
            }
        }
        return true;
    }
}
