package dev.proxy.balancer.etcd;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.EtcdConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSink;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.discovery.SourceThread;
import io.etcd.jetcd.Client;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the clusters of a config that discover their endpoints in etcd, one {@link PrefixWatch} per cluster, and
 * hands each changed endpoint set to an {@link EndpointSink}. Fails static: while etcd cannot be reached the last
 * known sets keep serving and {@link #status()} says they are stale; with a snapshot file, a proxy started while
 * etcd is unreachable serves the sets it last saw.
 *
 * <p>All discovery work runs on one thread of its own ({@code etcd-discovery}), never on an event loop. Changes that
 * arrive while the sink is busy are coalesced: the sink gets the latest set of each cluster, not every step.
 */
public final class EtcdEndpointSource implements EndpointSource, PrefixWatch.Listener<EndpointConfig> {
    private static final Logger log = LoggerFactory.getLogger(EtcdEndpointSource.class);
    private static final long SNAPSHOT_DELAY_MILLIS = 1000;

    private final EtcdConfig config;
    private final Map<String, String> prefixes;
    private final Optional<EndpointSnapshotFile> snapshotFile;
    private final ScheduledExecutorService executor;
    private final List<PrefixWatch<EndpointConfig>> watches = new ArrayList<>();
    // written on the discovery thread, read by status() from any thread
    private final Map<String, List<EndpointConfig>> applied = new ConcurrentHashMap<>();
    private final Set<String> unreachable = ConcurrentHashMap.newKeySet();
    private final AtomicLong updatesApplied = new AtomicLong();
    private final AtomicLong decodeErrors = new AtomicLong();
    private volatile Instant lastUpdate;
    // confined to the discovery thread
    private final Map<String, List<EndpointConfig>> pending = new LinkedHashMap<>();
    private Map<String, List<EndpointConfig>> fallback = Map.of();
    private boolean flushQueued;
    private boolean snapshotQueued;
    private EndpointSink sink;
    private Client client;

    /**
     * @param prefixes the key prefix of each cluster to follow, by cluster name
     */
    public EtcdEndpointSource(EtcdConfig config, Map<String, String> prefixes) {
        this.config = requireNonNull(config, "config");
        this.prefixes = Map.copyOf(prefixes);
        this.snapshotFile = config.snapshotFile().map(EndpointSnapshotFile::new);
        // once closed, pending retries are dropped and late jetcd callbacks are discarded, not thrown at jetcd
        this.executor = SourceThread.create("etcd-discovery");
    }

    /** The source for the discovered clusters of {@code config}; empty when none discovers its endpoints. */
    public static Optional<EtcdEndpointSource> of(ProxyConfig config) {
        Map<String, String> prefixes = config.etcdPrefixes();
        if (prefixes.isEmpty() || config.etcd().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new EtcdEndpointSource(config.etcd().get(), prefixes));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException the TLS files or the password file cannot be read: the proxy should not start
     *     with a discovery that can never connect
     */
    @Override
    public void start(EndpointSink sink) {
        requireNonNull(sink, "sink");
        // on the caller's thread, so that a bad TLS or password file fails the start instead of a silent task
        Client connected = EtcdClients.connect(config);
        executor.execute(() -> {
            this.sink = sink;
            this.client = connected;
            fallback = snapshotFile.map(EndpointSnapshotFile::read).orElse(Map.of());
            prefixes.forEach((cluster, prefix) -> {
                PrefixWatch<EndpointConfig> w = new PrefixWatch<>(cluster, prefix, client, executor,
                        config.requestTimeout(), kv -> RegistrationCodec.decode(kv.getValue().getBytes()), this);
                watches.add(w);
                w.start();
            });
            log.info("following {} cluster(s) in etcd at {}{}", prefixes.size(), config.endpoints(),
                    snapshotFile.map(f -> ", endpoint snapshot " + f.path()).orElse(""));
        });
    }

    @Override
    public void values(String cluster, SortedMap<String, EndpointConfig> byKey) {
        endpoints(cluster, distinct(byKey.values()));
    }

    /** One endpoint per address, in key order: two keys registering one address do not double its share. */
    private static List<EndpointConfig> distinct(Iterable<EndpointConfig> endpoints) {
        Map<HostPort, EndpointConfig> byAddress = new LinkedHashMap<>();
        for (EndpointConfig e : endpoints) {
            byAddress.putIfAbsent(e.address(), e);
        }
        return List.copyOf(byAddress.values());
    }

    private void endpoints(String cluster, List<EndpointConfig> endpoints) {
        pending.put(cluster, endpoints);
        if (!flushQueued) {
            flushQueued = true;
            // queued behind the watch callbacks already waiting: they all land in one flush
            executor.execute(this::flush);
        }
    }

    @Override
    public void reachable(String cluster, boolean reachable) {
        if (reachable) {
            unreachable.remove(cluster);
            return;
        }
        unreachable.add(cluster);
        // never listed yet and etcd is down: serve what the snapshot file remembers, if anything
        List<EndpointConfig> remembered = fallback.get(cluster);
        if (remembered != null && !applied.containsKey(cluster) && !pending.containsKey(cluster)) {
            log.warn("cluster {}: etcd unreachable at start, serving the {} endpoints of the snapshot file", cluster,
                    remembered.size());
            endpoints(cluster, remembered);
        }
    }

    @Override
    public void decodeError(String cluster, String key, String reason) {
        decodeErrors.incrementAndGet();
        log.warn("cluster {}: skipping etcd key {}: {}", cluster, key, reason);
    }

    private void flush() {
        flushQueued = false;
        Map<String, List<EndpointConfig>> batch = new LinkedHashMap<>(pending);
        pending.clear();
        batch.forEach((cluster, endpoints) -> {
            if (endpoints.equals(applied.get(cluster))) {
                return;
            }
            long started = System.nanoTime();
            try {
                sink.updateEndpoints(cluster, endpoints);
            } catch (RuntimeException e) {
                // a sink that fails must not stop discovery: the next change tries again
                log.error("cluster {}: applying {} endpoints failed", cluster, endpoints.size(), e);
                return;
            }
            log.info("cluster {}: {} endpoint(s) from etcd, applied in {} µs", cluster, endpoints.size(),
                    (System.nanoTime() - started) / 1000);
            applied.put(cluster, endpoints);
            updatesApplied.incrementAndGet();
            lastUpdate = Instant.now();
        });
        if (snapshotFile.isPresent() && !snapshotQueued) {
            snapshotQueued = true;
            executor.schedule(this::writeSnapshot, SNAPSHOT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void writeSnapshot() {
        snapshotQueued = false;
        snapshotFile.get().write(applied);
    }

    @Override
    public Set<String> clusters() {
        return prefixes.keySet();
    }

    @Override
    public DiscoveryStatus status() {
        Map<String, Integer> counts = new HashMap<>();
        applied.forEach((cluster, endpoints) -> counts.put(cluster, endpoints.size()));
        return new DiscoveryStatus(counts.keySet().containsAll(prefixes.keySet()), unreachable.isEmpty(),
                Optional.ofNullable(lastUpdate), updatesApplied.get(), decodeErrors.get(), counts);
    }

    @Override
    public void close() {
        executor.execute(() -> {
            watches.forEach(PrefixWatch::close);
            if (snapshotQueued) {
                writeSnapshot();
            }
        });
        executor.execute(() -> {
            if (client != null) {
                client.close();
            }
        });
        SourceThread.stop(executor);
    }
}
