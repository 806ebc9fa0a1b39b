package dev.proxy.core.engine;

import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.tls.PeerIdentity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.AttributeKey;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import javax.net.ssl.SSLHandshakeException;

/**
 * Sits after the listener's TLS handler: reports each handshake to the observer (the protocol, or why it failed),
 * keeps the verified client identity on the channel for the requests that follow, and then leaves the pipeline.
 * A failed handshake closes the connection: the client got its TLS alert, there is nothing else to answer.
 */
final class TlsHandshakeEvents extends ChannelInboundHandlerAdapter {
    /** The verified client certificate's identity (see {@link PeerIdentity}), absent without one. */
    static final AttributeKey<String> CLIENT_IDENTITY = AttributeKey.valueOf("proxy.clientIdentity");

    private final ProxyObserver observer;
    private final long startNanos = System.nanoTime();

    TlsHandshakeEvents(ProxyObserver observer) {
        this.observer = observer;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            long took = System.nanoTime() - startNanos;
            if (done.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                observer.tlsHandshake(true, ssl.engine().getSession().getProtocol(), took);
                PeerIdentity.of(ssl.engine().getSession())
                        .ifPresent(id -> ctx.channel().attr(CLIENT_IDENTITY).set(id));
            } else {
                observer.tlsHandshake(false, reason(done.cause()), took);
                ctx.close();
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // the completion event reports a failed handshake; the decoder's exception says the same thing again
        if (cause instanceof DecoderException && cause.getCause() instanceof SSLHandshakeException
                || cause instanceof NotSslRecordException
                || cause instanceof DecoderException && cause.getCause() instanceof NotSslRecordException) {
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /** A failure's reason in a word, from a bounded set, for the metrics. */
    static String reason(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof NotSslRecordException) {
            return "not_tls";
        }
        if (c instanceof SslHandshakeTimeoutException) {
            return "timeout";
        }
        if (c instanceof ClosedChannelException) {
            return "client_closed";
        }
        String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("certificate_required") || m.contains("empty client certificate") || m.contains("null cert")
                || m.contains("peer_did_not_return_a_certificate") || m.contains("no certificate")) {
            return "no_client_certificate";
        }
        if (m.contains("expired")) {
            return "expired_certificate";
        }
        if (m.contains("certificate") || m.contains("pkix") || m.contains("unknown_ca") || m.contains("unknown ca")) {
            return "untrusted_client_certificate";
        }
        if (m.contains("protocol") || m.contains("cipher") || m.contains("version")) {
            return "protocol_or_cipher";
        }
        return "other";
    }
}
