package dev.proxy.balancer.dns;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.DnsDiscoveryConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSink;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.discovery.SourceThread;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the clusters of a config that discover their endpoints by DNS (Envoy's {@code STRICT_DNS}), one
 * {@link NameRefresh} per cluster, and hands each changed address set to an {@link EndpointSink}. Fails static: a
 * resolution that fails (timeout, SERVFAIL, NXDOMAIN, no records) keeps the last set serving, is counted in
 * {@link #status()} and is retried after {@code minRefresh}.
 *
 * <p>Two threads of its own, never the proxy's event loops: the queries run on a one-thread event loop
 * ({@code dns-resolver}, Netty's non-blocking {@code DnsNameResolver}); scheduling and the sink run on
 * {@code dns-discovery}, as the sink must not be called on an event loop.
 */
public final class DnsEndpointSource implements EndpointSource {
    private static final Logger log = LoggerFactory.getLogger(DnsEndpointSource.class);

    private final Map<String, DnsDiscoveryConfig> names;
    private final ScheduledThreadPoolExecutor executor;
    private final EventLoopGroup resolverLoop;
    /** Set once by {@link #start}; read by {@link #status()} from any thread. */
    private volatile List<NameRefresh> refreshes = List.of();

    /** @param names the DNS name of each cluster to follow, by cluster name */
    public DnsEndpointSource(Map<String, DnsDiscoveryConfig> names) {
        this.names = Map.copyOf(names);
        // once closed, pending refreshes are dropped and late resolver callbacks are discarded
        executor = SourceThread.create("dns-discovery");
        resolverLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("dns-resolver", true),
                NioIoHandler.newFactory());
    }

    /** The source for the DNS-discovered clusters of {@code config}; empty when none is. */
    public static Optional<DnsEndpointSource> of(ProxyConfig config) {
        Map<String, DnsDiscoveryConfig> names = config.dnsClusters();
        return names.isEmpty() ? Optional.empty() : Optional.of(new DnsEndpointSource(names));
    }

    @Override
    public void start(EndpointSink sink) {
        requireNonNull(sink, "sink");
        EventLoop loop = resolverLoop.next();
        List<NameRefresh> started = new ArrayList<>();
        // on the caller's thread, so that a resolver that cannot be built fails the start instead of a silent task
        names.forEach((cluster, dns) -> started.add(new NameRefresh(cluster, dns, loop, executor, sink)));
        refreshes = List.copyOf(started);
        started.forEach(NameRefresh::start);
        log.info("following {} cluster(s) by DNS: {}", names.size(), names.values().stream()
                .map(DnsDiscoveryConfig::name).toList());
    }

    @Override
    public Set<String> clusters() {
        return names.keySet();
    }

    @Override
    public DiscoveryStatus status() {
        List<NameRefresh> current = refreshes;
        boolean synced = current.size() == names.size();
        boolean connected = true;
        Instant last = null;
        long updates = 0;
        long failures = 0;
        Map<String, Integer> counts = new HashMap<>();
        for (NameRefresh r : current) {
            NameRefresh.State s = r.state();
            synced &= s.applied().isPresent();
            connected &= !s.failing();
            updates += s.updates();
            failures += s.failures();
            s.applied().ifPresent(set -> counts.put(r.cluster(), set.size()));
            if (s.lastUpdate().isPresent() && (last == null || s.lastUpdate().get().isAfter(last))) {
                last = s.lastUpdate().get();
            }
        }
        return new DiscoveryStatus(synced, connected, Optional.ofNullable(last), updates, 0, counts, failures);
    }

    /** The wait before the next resolution of {@code cluster}'s name; zero before the first. For tests. */
    Duration nextRefresh(String cluster) {
        return refreshes.stream().filter(r -> r.cluster().equals(cluster)).findFirst()
                .map(r -> r.state().nextRefresh()).orElse(Duration.ZERO);
    }

    @Override
    public void close() {
        SourceThread.stop(executor);
        refreshes.forEach(NameRefresh::close);
        resolverLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
