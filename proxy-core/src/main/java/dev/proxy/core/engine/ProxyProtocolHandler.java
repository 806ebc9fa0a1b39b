package dev.proxy.core.engine;

import dev.proxy.core.client.ClientAddresses;
import dev.proxy.core.config.ClientAddressConfig;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.ProxyProtocolRejection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a connection on a PROXY protocol listener until its header is read, then sets up the rest of the connection.
 * It follows {@link ProxyProtocolDetector} (and the decoder the detector puts in its place) and is the last handler
 * until then: nothing else (TLS, HTTP, their timers) is installed before the header is read, as the header comes
 * before a TLS ClientHello. Then:
 * <ul>
 *   <li>a decoded header: its source ({@link ClientAddresses#fromProxyHeader}; the TCP peer for {@code LOCAL} and
 *       UNIX or unspecified addresses) becomes the connection address;</li>
 *   <li>bytes (plain traffic, {@code mode: optional}): the TCP peer stays the connection address, the bytes go on;</li>
 *   <li>a header that does not decode, a missing one ({@code mode: required}), one from an untrusted peer
 *       ({@code trustedOnly}), or nothing decidable within {@code limits.requestHeaderTimeout}: the connection is
 *       closed, counted by reason, with a DEBUG line at most (a peer's bad input is not the proxy's fault).</li>
 * </ul>
 * Either way it then leaves the pipeline. One per connection; runs on its event loop. Releases the header message;
 * passes plain bytes on unreleased; releases what arrives after a rejection.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "proxy-protocol";
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

    private enum State { AWAITING, DONE, REJECTED }

    private final FrontendInitializer initializer;
    private final ClientAddressConfig config;
    private final ClientAddresses addresses;
    private final ProxyObserver observer;
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private State state = State.AWAITING;

    ProxyProtocolHandler(FrontendInitializer initializer, ClientAddressConfig config, ClientAddresses addresses,
                         ProxyObserver observer, long timeoutNanos) {
        this.initializer = initializer;
        this.config = config;
        this.addresses = addresses;
        this.observer = observer;
        this.timeoutNanos = timeoutNanos;
    }

    boolean required() {
        return config.proxyProtocol() == ClientAddressConfig.ProxyProtocolMode.REQUIRED;
    }

    /** The detector found plain traffic where {@code mode: required} wants a header. */
    void missing() {
        reject(ProxyProtocolRejection.MISSING, null);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // from accept: a connection that sends nothing at all is closed too
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (state == State.AWAITING) {
                reject(ProxyProtocolRejection.TIMEOUT, null);
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state != State.AWAITING) {
            if (state == State.DONE) {
                ctx.fireChannelRead(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        if (msg instanceof HAProxyMessage header) {
            InetSocketAddress source;
            try {
                source = ClientAddresses.fromProxyHeader(header, peer);
            } finally {
                header.release();
            }
            if (config.proxyProtocolTrustedOnly() && !addresses.trusts(peer.getAddress())) {
                reject(ProxyProtocolRejection.UNTRUSTED_PEER, null);
                return;
            }
            ClientAddresses.declare(ctx.channel(), source);
            proceed(null);
        } else if (msg instanceof ByteBuf) {
            // plain traffic on an optional listener: the detector has left and passed its bytes on
            proceed(msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Installs the listener's handlers after this one, passes {@code bytes} (if not null) to them, then leaves; bytes
     * still to come reach them directly.
     */
    private void proceed(Object bytes) {
        state = State.DONE;
        cancelTimer();
        initializer.addConnectionHandlers(ctx.pipeline());
        if (bytes != null) {
            ctx.fireChannelRead(bytes);
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.AWAITING && cause instanceof DecoderException) {
            reject(ProxyProtocolRejection.MALFORMED, cause);
        } else if (state == State.DONE) {
            ctx.fireExceptionCaught(cause);
        } else {
            // a reset before the header, or anything after a refusal: the peer's connection, nothing else to tell
            log.debug("client connection {} failed before its PROXY header was read: {}",
                    ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private void reject(ProxyProtocolRejection reason, Throwable cause) {
        if (state != State.AWAITING) {
            return;
        }
        state = State.REJECTED;
        cancelTimer();
        observer.proxyProtocolRejected(reason);
        log.debug("closing client connection {}: PROXY protocol header {}{}", ctx.channel().remoteAddress(),
                reason.reason(), cause == null ? "" : " (" + cause.getMessage() + ")");
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
