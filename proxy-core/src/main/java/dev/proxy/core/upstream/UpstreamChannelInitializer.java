package dev.proxy.core.upstream;

import dev.proxy.core.config.ClusterTimeouts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Sets up a new upstream connection: the HTTP/1.1 client codec and the idle timer. The pool adds the
 * {@link UpstreamHandler} once the connection is established. Stateless and sharable.
 */
@io.netty.channel.ChannelHandler.Sharable
public final class UpstreamChannelInitializer extends ChannelInitializer<Channel> {
    static final String IDLE = "idle";
    private static final int MAX_RESPONSE_HEADER_SIZE = 64 * 1024;
    private final long idleNanos;

    public UpstreamChannelInitializer(ClusterTimeouts timeouts) {
        this.idleNanos = timeouts.idle().toNanos();
    }

    @Override
    protected void initChannel(Channel ch) {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxHeaderSize(MAX_RESPONSE_HEADER_SIZE)
                .setMaxInitialLineLength(8192)
                .setMaxChunkSize(64 * 1024);
        ch.pipeline().addLast("codec", new HttpClientCodec(decoder, false, false));
        ch.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
    }
}
