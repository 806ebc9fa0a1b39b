package dev.proxy.balancer.dns;

import dev.proxy.core.config.DnsDiscoveryConfig;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.discovery.EndpointSink;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves one cluster's DNS name again and again: after the records' shortest TTL bounded by the configured
 * {@code minRefresh}/{@code maxRefresh}, or after {@code minRefresh} when it failed. One resolution at a time; the
 * query runs on the resolver's event loop, everything else on the discovery thread, which alone writes
 * {@link #state()}.
 */
final class NameRefresh {
    private static final Logger log = LoggerFactory.getLogger(NameRefresh.class);
    /** One query to one server; the resolver tries the next server, and the next refresh comes anyway. */
    static final long QUERY_TIMEOUT_MILLIS = 3000;

    /**
     * What the refresh knows, replaced as a whole so that {@code status()} reads a consistent one from any thread.
     *
     * @param applied the endpoint set handed to the sink last; empty before the first success
     * @param failing the last resolution failed (the applied set, if any, keeps serving)
     * @param nextRefresh the wait before the next resolution, chosen when the last one ended
     */
    record State(Optional<List<EndpointConfig>> applied, boolean failing, long updates, long failures,
                 Optional<Instant> lastUpdate, Duration nextRefresh) {
    }

    private final String cluster;
    private final DnsDiscoveryConfig dns;
    private final EventLoop loop;
    private final ScheduledExecutorService executor;
    private final EndpointSink sink;
    private final TtlRecorder ttls = new TtlRecorder();
    private final DnsNameResolver resolver;
    private volatile State state = new State(Optional.empty(), false, 0, 0, Optional.empty(),
            Duration.ZERO);

    NameRefresh(String cluster, DnsDiscoveryConfig dns, EventLoop loop, ScheduledExecutorService executor,
                EndpointSink sink) {
        this.cluster = cluster;
        this.dns = dns;
        this.loop = loop;
        this.executor = executor;
        this.sink = sink;
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder(loop)
                .datagramChannelType(NioDatagramChannel.class)
                // answers too big for UDP are asked again over TCP
                .socketChannelType(NioSocketChannel.class)
                // every refresh asks the servers; the recorder only notes the TTLs
                .resolveCache(ttls)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                // the name's endpoints are what DNS says, not a pinned /etc/hosts line
                .hostsFileEntriesResolver((host, types) -> null)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .queryTimeoutMillis(QUERY_TIMEOUT_MILLIS);
        if (!dns.servers().isEmpty()) {
            builder.nameServerProvider(new SequentialDnsServerAddressStreamProvider(dns.servers().stream()
                    .map(s -> new InetSocketAddress(s.host(), s.port())).toList()));
        }
        resolver = builder.build();
    }

    String cluster() {
        return cluster;
    }

    State state() {
        return state;
    }

    void start() {
        executor.execute(this::refresh);
    }

    /** On the discovery thread: one resolution, whose outcome comes back to this thread. */
    private void refresh() {
        try {
            loop.execute(() -> {
                ttls.reset();
                resolver.resolveAll(dns.name()).addListener((Future<List<InetAddress>> f) -> {
                    OptionalLong ttl = ttls.shortestTtl();
                    if (f.isSuccess() && !f.getNow().isEmpty()) {
                        List<InetAddress> addresses = f.getNow();
                        executor.execute(() -> resolved(addresses, ttl));
                    } else {
                        Throwable cause = f.cause();
                        executor.execute(() -> failed(cause));
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            // closing: the resolver's loop is gone
        }
    }

    private void resolved(List<InetAddress> addresses, OptionalLong ttlSeconds) {
        List<EndpointConfig> endpoints = addresses.stream()
                .map(a -> new EndpointConfig(new HostPort(a.getHostAddress(), dns.port()), 1))
                .distinct()
                .sorted(Comparator.comparing((EndpointConfig e) -> e.address().host()))
                .toList();
        Duration ttl = ttlSeconds.isPresent() ? Duration.ofSeconds(ttlSeconds.getAsLong()) : dns.minRefresh();
        Duration next = dns.refreshAfter(ttl);
        State s = state;
        if (s.failing()) {
            log.info("cluster {}: DNS name {} resolves again", cluster, dns.name());
        }
        if (s.applied().isPresent() && s.applied().get().equals(endpoints)) {
            state = new State(s.applied(), false, s.updates(), s.failures(), s.lastUpdate(), next);
        } else {
            long started = System.nanoTime();
            try {
                sink.updateEndpoints(cluster, endpoints);
                log.info("cluster {}: {} endpoint(s) from DNS name {}, applied in {} µs", cluster, endpoints.size(),
                        dns.name(), (System.nanoTime() - started) / 1000);
                state = new State(Optional.of(endpoints), false, s.updates() + 1, s.failures(),
                        Optional.of(Instant.now()), next);
            } catch (RuntimeException e) {
                // a sink that fails must not stop discovery: the next refresh tries again
                log.error("cluster {}: applying {} endpoints failed", cluster, endpoints.size(), e);
            }
        }
        schedule(next);
    }

    private void failed(Throwable cause) {
        State s = state;
        String reason = cause == null ? "no addresses" : cause.getMessage();
        if (!s.failing()) {
            log.warn("cluster {}: cannot resolve DNS name {}, keeping the {} known endpoint(s): {}", cluster,
                    dns.name(), s.applied().map(List::size).orElse(0), reason);
        } else {
            log.debug("cluster {}: DNS name {} still unresolved: {}", cluster, dns.name(), reason);
        }
        state = new State(s.applied(), true, s.updates(), s.failures() + 1, s.lastUpdate(), dns.minRefresh());
        schedule(dns.minRefresh());
    }

    private void schedule(Duration delay) {
        executor.schedule(this::refresh, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** After the discovery thread has stopped. */
    void close() {
        resolver.close();
    }
}
