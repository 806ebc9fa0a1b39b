package dev.proxy.core.engine;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.Transport;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.client.ClientAddresses;
import dev.proxy.core.config.ClusterConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.config.ServerConfig;
import dev.proxy.core.discovery.EndpointSink;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.SnapshotFactory;
import dev.proxy.core.tls.ServerTls;
import dev.proxy.core.tls.TlsProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's traffic listener and everything it forwards with: event loops, upstream bootstrap and resolver, and
 * the current {@link ConfigSnapshot}. Client connections and the upstream connections they use share an event
 * loop. Thread-safe; {@link #start}, {@link #apply}, {@link #updateEndpoints} and {@link #shutdown} are called from
 * outside the event loops.
 */
public final class ProxyServer implements EndpointSink {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final ServerConfig serverConfig;
    private final Transport transport;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup workers;
    private final DnsAddressResolverGroup resolver;
    private final SnapshotFactory snapshots;
    private final ProxyObserver observer;
    private final Optional<ServerTls> tls;
    private final String identityHeader;
    private final ClientAddresses clientAddresses;
    private final AtomicReference<ConfigSnapshot> current = new AtomicReference<>();
    /** The latest endpoint set of each discovered cluster; guarded by {@code current}'s monitor. */
    private final Map<String, List<EndpointConfig>> discovered = new HashMap<>();
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Channel listener;
    private volatile boolean draining;

    private ProxyServer(ProxyConfig config, LoadBalancer.Factory balancers, Resilience resilience,
                        ProxyObserver observer, Transport transport) {
        this.serverConfig = config.server();
        this.observer = requireNonNull(observer, "observer");
        this.tls = serverConfig.tls().map(t -> ServerTls.load(t, serverConfig.http2().enabled()));
        this.identityHeader = serverConfig.tls().flatMap(t -> t.clientAuth().forwardHeader()).orElse(null);
        this.clientAddresses = new ClientAddresses(serverConfig.clientAddress());
        this.transport = transport;
        this.acceptor = transport.newGroup(1, "proxy-accept");
        this.workers = transport.newGroup(serverConfig.eventLoops(), "proxy-worker");
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel()));
        Bootstrap upstream = new Bootstrap()
                .group(workers)
                .channel(transport.channel())
                .resolver(resolver)
                .option(ChannelOption.ALLOCATOR, transport.allocator())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        this.snapshots = new SnapshotFactory(balancers, resilience, upstream, observer);
        this.current.set(snapshots.build(config, null));
    }

    /** Builds the runtime for {@code config} and binds the traffic port; plain forwarding, no resilience filters. */
    public static ProxyServer start(ProxyConfig config, LoadBalancer.Factory balancers) {
        return start(config, balancers, Resilience.NONE);
    }

    /** Builds the runtime for {@code config} with these balancers and resilience filters and binds the traffic port. */
    public static ProxyServer start(ProxyConfig config, LoadBalancer.Factory balancers, Resilience resilience) {
        return start(config, balancers, resilience, ProxyObserver.NONE);
    }

    /**
     * Builds the runtime for {@code config} and binds the traffic port; {@code observer} hears every connection,
     * request and upstream pool (metrics, tracing, the access log).
     */
    public static ProxyServer start(ProxyConfig config, LoadBalancer.Factory balancers, Resilience resilience,
                                    ProxyObserver observer) {
        ProxyServer server = new ProxyServer(requireNonNull(config, "config"), balancers, resilience, observer,
                Transport.best());
        try {
            server.bind();
        } catch (RuntimeException e) {
            server.shutdown(Duration.ZERO);
            throw e;
        }
        return server;
    }

    private void bind() {
        InetSocketAddress address = new InetSocketAddress(serverConfig.listen().host(), serverConfig.listen().port());
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, transport.allocator())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new FrontendInitializer(this, serverConfig, tls.orElse(null)));
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("cannot listen on " + address + ": " + bound.cause().getMessage(),
                    bound.cause());
        }
        listener = bound.channel();
        log.info("proxy listening on {} ({} transport, {} event loops, {}, config generation {})", address(),
                transport.name(), eventLoopCount(), tls.isPresent() ? "TLS by " + TlsProvider.name() : "plain HTTP",
                snapshot().generation());
    }

    private int eventLoopCount() {
        int n = 0;
        for (var ignored : workers) {
            n++;
        }
        return n;
    }

    /** The buffer allocator of the client and upstream channels (for its meters). */
    public ByteBufAllocator allocator() {
        return transport.allocator();
    }

    /**
     * The event loops serving client and upstream connections, for meters only (pending tasks per loop): do not
     * schedule work on them or shut them down; {@link #shutdown} does.
     */
    public EventLoopGroup workers() {
        return workers;
    }

    /** The bound traffic address (with the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The snapshot new requests use. */
    public ConfigSnapshot snapshot() {
        return current.get();
    }

    /**
     * Swaps in a new config: new requests use it at once, requests in flight finish on the old one, and clusters
     * that did not change keep their pools. Listener settings ({@code server:}) apply only at the next start.
     */
    public ConfigSnapshot apply(ProxyConfig config) {
        synchronized (current) {
            return swap(config);
        }
    }

    /**
     * Replaces the endpoint set of a discovered cluster: new requests use it at once, the pools of the endpoints
     * that stay carry on and the others drain. Ignored for a cluster the current config does not discover.
     */
    @Override
    public void updateEndpoints(String cluster, List<EndpointConfig> endpoints) {
        synchronized (current) {
            ProxyConfig config = current.get().config();
            if (config.cluster(cluster).filter(ClusterConfig::discovered).isEmpty()) {
                log.debug("ignoring endpoints of cluster {}: it does not use discovery", cluster);
                return;
            }
            discovered.put(cluster, List.copyOf(endpoints));
            swap(config);
        }
    }

    private ConfigSnapshot swap(ProxyConfig config) {
        ConfigSnapshot old = current.get();
        ConfigSnapshot next = snapshots.build(config, old, discovered);
        current.set(next);
        SnapshotFactory.retire(old, next);
        return next;
    }

    /** The header that carries the verified client identity, or null when none is configured. */
    String identityHeader() {
        return identityHeader;
    }

    /** The listener's TLS, empty for plain HTTP: its certificates can be reloaded and their expiry read. */
    public Optional<ServerTls> tls() {
        return tls;
    }

    /** Closes every idle upstream connection of the current snapshot's pools; they reconnect on demand. */
    public void closeIdleUpstreamConnections() {
        for (var cluster : current.get().clusters().values()) {
            for (var endpoint : cluster.endpoints()) {
                cluster.pool(endpoint).closeIdle();
            }
        }
    }

    /** True while the listener is bound and not draining. */
    public boolean isReady() {
        Channel l = listener;
        return l != null && l.isActive() && !draining;
    }

    public boolean isDraining() {
        return draining;
    }

    /** Client connections open now. */
    public int connectionCount() {
        return connections.get();
    }

    /** Who a request's client is: trusted proxies and their forwarding headers (read once, at startup). */
    public ClientAddresses clientAddresses() {
        return clientAddresses;
    }

    ProxyObserver observer() {
        return observer;
    }

    boolean admit(SocketChannel ch) {
        if (draining || connections.incrementAndGet() > serverConfig.limits().maxConnections()) {
            if (!draining) {
                connections.decrementAndGet();
                observer.connectionRejected(ProxyError.OVERLOADED);
            }
            return false;
        }
        observer.connectionOpened();
        ch.closeFuture().addListener(f -> {
            connections.decrementAndGet();
            observer.connectionClosed();
        });
        clients.add(ch);
        return true;
    }

    /**
     * Stops gracefully: stops accepting, lets requests in flight finish for up to {@code grace}, closes idle
     * connections and WebSocket tunnels at once and busy ones after their response, then closes everything. Blocks; not for an event loop.
     */
    public void shutdown(Duration grace) {
        draining = true;
        Channel l = listener;
        if (l != null) {
            l.close().awaitUninterruptibly();
        }
        for (Channel c : clients) {
            Drain.start(c);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (connections.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (connections.get() > 0) {
            log.warn("closing {} client connections still busy after the {} grace period", connections.get(), grace);
        }
        clients.close().awaitUninterruptibly();
        SnapshotFactory.retire(current.get(), null);
        resolver.close();
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        log.info("proxy stopped");
    }
}
