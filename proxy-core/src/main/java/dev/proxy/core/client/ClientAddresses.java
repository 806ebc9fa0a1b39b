package dev.proxy.core.client;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.Cidr;
import dev.proxy.core.config.ClientAddressConfig;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The one answer to "who is the client": what rate limits, {@code clientIp} hashing, the access log, tracing and the
 * {@code ${client_ip}} header variable use. Two steps:
 * <ol>
 *   <li>Per connection, the <em>connection address</em>: the source a PROXY protocol header declared
 *       ({@link #declare}), else the TCP peer ({@link #ofConnection}). It is what the proxy appends to
 *       {@code X-Forwarded-For}: the hop it received the request from.</li>
 *   <li>Per request, {@link #resolve}: when the connection address is a trusted proxy, the configured forwarding
 *       header is believed, walking its hops from the right and taking the first that is not a trusted proxy (all
 *       trusted: the leftmost); a hop with no readable address stops the walk at the connection address. From an
 *       untrusted peer the headers are never read, so a client cannot name itself someone else.</li>
 * </ol>
 * Immutable and thread-safe; {@link #resolve} is pure, so tests call it without sockets.
 */
public final class ClientAddresses {
    /** No trusted proxies: the connection address is the client. */
    public static final ClientAddresses NONE = new ClientAddresses(ClientAddressConfig.DEFAULT);

    private static final AttributeKey<InetSocketAddress> DECLARED =
            AttributeKey.valueOf(ClientAddresses.class, "declared");

    private final List<Cidr> trusted;
    private final CharSequence headerName;
    private final boolean forwarded;

    public ClientAddresses(ClientAddressConfig config) {
        requireNonNull(config, "config");
        this.trusted = config.trustedProxies();
        this.forwarded = config.header() == ClientAddressConfig.Header.FORWARDED;
        this.headerName = AsciiString.cached(config.header().text());
    }

    /** Whether {@code address} is in {@code server.trustedProxies}. */
    public boolean trusts(InetAddress address) {
        if (address == null) {
            return false;
        }
        for (Cidr c : trusted) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client of a request that arrived from {@code connection} (its {@link #ofConnection connection address})
     * with {@code headers}.
     */
    public InetSocketAddress resolve(InetSocketAddress connection, HttpHeaders headers) {
        if (trusted.isEmpty() || !trusts(connection.getAddress())) {
            return connection;
        }
        List<String> values = headers.getAll(headerName);
        if (values.isEmpty()) {
            return connection;
        }
        List<InetSocketAddress> hops = forwarded ? ForwardedHops.forwarded(values) : ForwardedHops.xForwardedFor(values);
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetSocketAddress hop = hops.get(i);
            if (hop == null) {
                // an unknown or obfuscated hop: whoever it was, nothing to its left can be believed either
                return connection;
            }
            if (!trusts(hop.getAddress())) {
                return hop;
            }
        }
        return hops.isEmpty() ? connection : hops.get(0);
    }

    /** Records the client address a PROXY protocol header declared for the connection {@code channel}. */
    public static void declare(Channel channel, InetSocketAddress address) {
        channel.attr(DECLARED).set(requireNonNull(address, "address"));
    }

    /**
     * The connection address of {@code channel} (a client connection or one of its HTTP/2 streams): what a PROXY
     * header declared, else the TCP peer.
     */
    public static InetSocketAddress ofConnection(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            if (c.hasAttr(DECLARED)) {
                return c.attr(DECLARED).get();
            }
        }
        return (InetSocketAddress) channel.remoteAddress();
    }

    /**
     * The source address a PROXY header names, or {@code peer} when it names none: the {@code LOCAL} command (a
     * health check by the load balancer itself), v1 {@code UNKNOWN}, or a UNIX or unspecified address family.
     */
    public static InetSocketAddress fromProxyHeader(HAProxyMessage header, InetSocketAddress peer) {
        if (header.command() != HAProxyCommand.PROXY || header.sourceAddress() == null) {
            return peer;
        }
        HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4
                && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
            return peer;
        }
        byte[] address = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
        if (address == null) {
            return peer;   // the decoder checked it already; kept for safety
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), header.sourcePort());
        } catch (UnknownHostException e) {
            return peer;
        }
    }
}
