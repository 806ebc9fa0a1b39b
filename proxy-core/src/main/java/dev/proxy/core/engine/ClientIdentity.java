package dev.proxy.core.engine;

import dev.proxy.core.client.ClientAddresses;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/**
 * Who the client of one connection (or HTTP/2 stream) is: its address (a PROXY header's source, else the TCP peer;
 * per request, whom a trusted proxy's header names), whether it came over TLS, and its verified certificate's
 * identity. What can be is worked out once per connection. Confined to the connection's event loop.
 */
final class ClientIdentity {
    private final ProxyServer server;
    /** The client's channel: a stream's own, whose parent is the connection. */
    private final Channel channel;
    private final boolean stream;
    /**
     * The connection address (a PROXY header's source, else the TCP peer), looked up once: the PROXY header is read
     * before the first request, and the lookup walks the channel's attributes.
     */
    private InetSocketAddress connectionAddress;
    /** The connection address as X-Forwarded-For writes it: formatted once per connection, not per request. */
    private String clientIp;

    ClientIdentity(ProxyServer server, Channel channel, boolean stream) {
        this.server = server;
        this.channel = channel;
        this.stream = stream;
    }

    /**
     * The connection address as text ({@code 2001:db8:0:0:0:0:0:1}, {@code 192.0.2.7}), made on first use: the hop
     * the proxy appends to {@code X-Forwarded-For} (a PROXY header's source, else the TCP peer).
     */
    String clientIp() {
        if (clientIp == null) {
            clientIp = connectionAddress().getAddress().getHostAddress();
        }
        return clientIp;
    }

    /** The client of {@code request}: the connection address, or whom a trusted proxy's header names. */
    InetSocketAddress clientAddress(HttpRequest request) {
        return server.clientAddresses().resolve(connectionAddress(), request.headers());
    }

    private InetSocketAddress connectionAddress() {
        if (connectionAddress == null) {
            connectionAddress = ClientAddresses.ofConnection(channel);
        }
        return connectionAddress;
    }

    /** Whether this client connection is TLS. */
    boolean isTls() {
        return server.tls().isPresent();
    }

    /** The verified client certificate's identity, or null when the client showed none (or this is not TLS). */
    String tlsIdentity() {
        // a stream's channel is a child of the TLS connection, which holds the handshake's findings
        Channel connection = stream ? channel.parent() : channel;
        return connection.attr(TlsHandshakeEvents.CLIENT_IDENTITY).get();
    }

    /**
     * Puts the verified client certificate's identity in the configured header, after removing whatever the client
     * sent in it: the header is the proxy's word, never the client's. Before routing, so routes can match on it.
     */
    void applyTo(HttpRequest request) {
        String header = server.identityHeader();
        if (header != null) {
            request.headers().remove(header);
            String identity = tlsIdentity();
            if (identity != null) {
                request.headers().set(header, identity);
            }
        }
    }
}
