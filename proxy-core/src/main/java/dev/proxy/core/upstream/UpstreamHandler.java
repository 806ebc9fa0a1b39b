package dev.proxy.core.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection: hands each event to the connection's current lessee. A message
 * that arrives while the connection is idle in the pool is unsolicited, so it is released and the connection closed.
 * One instance per connection; runs on the connection's event loop.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final PooledConnection connection;

    UpstreamHandler(PooledConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener l = connection.listener;
        if (l != null && msg instanceof HttpObject) {
            l.onUpstreamMessage((HttpObject) msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamListener l = connection.listener;
        if (l != null) {
            l.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamListener l = connection.listener;
        if (l != null) {
            l.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        UpstreamListener l = connection.listener;
        if (evt instanceof IdleStateEvent && l != null) {
            l.onUpstreamIdle();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener l = connection.listener;
        connection.listener = null;
        if (l != null) {
            l.onUpstreamClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamListener l = connection.listener;
        connection.listener = null;
        ctx.close();
        if (l != null) {
            l.onUpstreamError(cause);
        }
    }
}
