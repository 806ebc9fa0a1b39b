package dev.proxy.core.engine;

import dev.proxy.core.config.ClientAddressConfig;
import dev.proxy.core.config.LimitsConfig;
import dev.proxy.core.config.ServerConfig;
import dev.proxy.core.io.IdleTimeout;
import dev.proxy.core.tls.ServerTls;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * Builds the pipeline of each accepted client connection: on a PROXY protocol listener first only the PROXY header
 * reader ({@link ProxyProtocolHandler}), which installs the rest once the header is read; then TLS if configured, the
 * idle timer, then the protocol's handlers. HTTP/1.1 gets the header-read timer, the codec with the configured limits and the {@link FrontendHandler};
 * HTTP/2 gets {@link Http2Frontend}'s. With HTTP/2 on, the protocol is chosen per connection: by ALPN after a TLS
 * handshake ({@link AlpnNegotiation}), by the first bytes on a plain listener ({@link PriorKnowledgeDetector}).
 * Stateless and sharable.
 */
@ChannelHandler.Sharable
final class FrontendInitializer extends ChannelInitializer<SocketChannel> {
    static final String IDLE = "idle";
    static final String HEADER_TIMEOUT = "header-timeout";
    static final String CODEC = "codec";
    static final String PROXY = "proxy";
    /** Takes the codec's place while a WebSocket upgrade request awaits its answer: responses only, no decoding. */
    static final String ENCODER = "encoder";
    /** Takes the proxy handler's place once the connection is a WebSocket tunnel. */
    static final String TUNNEL = "tunnel";
    private final ProxyServer server;
    private final LimitsConfig limits;
    private final ClientAddressConfig clientAddress;
    private final ServerTls tls;
    /** Null when HTTP/2 is off. */
    private final Http2Frontend http2;

    /**
     * @param tls the listener's TLS, or null for plain HTTP
     */
    FrontendInitializer(ProxyServer server, ServerConfig config, ServerTls tls) {
        this.server = server;
        this.limits = config.limits();
        this.clientAddress = config.clientAddress();
        this.tls = tls;
        this.http2 = config.http2().enabled() ? new Http2Frontend(server, config.http2(), config.drainGracePeriod())
                : null;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (!server.admit(ch)) {
            ch.close();
            return;
        }
        ChannelPipeline p = ch.pipeline();
        if (clientAddress.proxyProtocol() == ClientAddressConfig.ProxyProtocolMode.NONE) {
            addConnectionHandlers(p);
        } else {
            // the PROXY header comes first, before a TLS ClientHello: the rest is installed once it has been read
            ProxyProtocolHandler header = new ProxyProtocolHandler(this, clientAddress, server.clientAddresses(),
                    server.observer(), limits.requestHeaderTimeout().toNanos());
            p.addLast(ProxyProtocolDetector.NAME, new ProxyProtocolDetector(header))
                    .addLast(ProxyProtocolHandler.NAME, header);
        }
    }

    /** Adds the connection's TLS, idle timer and protocol handlers at the end of {@code p}. */
    void addConnectionHandlers(ChannelPipeline p) {
        if (tls != null) {
            // a client slow to say hello or to finish the handshake is slowloris too; the header timer starts after
            p.addLast("tls", tls.newHandler(limits.tlsHandshakeTimeout().toMillis()))
                    .addLast("tls-events", new TlsHandshakeEvents(server.observer()));
        }
        // before the protocol is known too: a connection that never says anything is closed after idleTimeout
        p.addLast(IDLE, new IdleTimeout(limits.idleTimeout().toNanos()));
        if (http2 == null) {
            addHttp1(p);
        } else if (tls != null) {
            p.addLast("alpn", new AlpnNegotiation(this));
        } else {
            // the header timer runs from the first byte, while the detector waits for enough of them too: a client
            // that stalls inside what could be the preface is cut like any slow request head
            RequestHeaderTimeout headerTimeout = newHeaderTimeout();
            p.addLast(HEADER_TIMEOUT, headerTimeout)
                    .addLast("detect", new PriorKnowledgeDetector(this, headerTimeout));
        }
    }

    private RequestHeaderTimeout newHeaderTimeout() {
        return new RequestHeaderTimeout(limits.requestHeaderTimeout().toNanos(), server.observer());
    }

    /** Adds the HTTP/1.1 handlers at the end of {@code p}. */
    void addHttp1(ChannelPipeline p) {
        RequestHeaderTimeout headerTimeout = newHeaderTimeout();
        p.addLast(HEADER_TIMEOUT, headerTimeout);
        addHttp1After(p, headerTimeout);
    }

    /** Adds the HTTP/1.1 codec and handler at the end of {@code p}, which has {@code headerTimeout} already. */
    void addHttp1After(ChannelPipeline p, RequestHeaderTimeout headerTimeout) {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineSize())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                // RFC 9110 §8.6: a list of identical values ("5, 5") is one length; differing ones are refused (400)
                .setAllowDuplicateContentLengths(true);
        p.addLast(CODEC, new HttpServerCodec(decoder));
        if (limits.minRequestBodyBytesPerSecond() > 0) {
            p.addLast("body-rate", new RequestBodyRate(limits.minRequestBodyBytesPerSecond(),
                    limits.minRequestBodyGracePeriod().toNanos()));
        }
        p.addLast(PROXY, new FrontendHandler(server, headerTimeout));
    }

    /** Adds the HTTP/2 handlers at the end of {@code p}. */
    void addHttp2(ChannelPipeline p) {
        http2.install(p);
        // last: the codec passes the client's SETTINGS frames along the connection's pipeline
        p.addLast("h2-preface-timeout", new Http2PrefaceTimeout(limits.requestHeaderTimeout().toNanos(),
                server.observer()));
    }
}
