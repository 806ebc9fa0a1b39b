package dev.proxy.server.fleet;

import static java.util.Objects.requireNonNull;

import dev.proxy.balancer.etcd.EtcdClients;
import dev.proxy.balancer.etcd.PrefixWatch;
import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ConfigSourceConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.discovery.SourceThread;
import dev.proxy.server.reload.ConfigReloader;
import dev.proxy.server.reload.ReloadResult;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's config from a fleet's key in etcd ({@code configSource.etcd}): the local file gives {@code server},
 * {@code observability} and {@code redis}, the key {@code discovery}, {@code clusters} and {@code routes}. At start it
 * reads the key (or, when etcd cannot be reached, the cache file); then it follows the key with the
 * {@link PrefixWatch} discovery uses (list, watch from the next revision, resume, list again after a compaction), and
 * hands each new version to the {@link ConfigReloader}, the one path a file reload takes too: validated as a whole,
 * applied atomically with the same carry-over, or rejected (the last good config keeps serving, the problems are
 * logged, shown in {@code /config} and counted). An applied version is written to the cache file.
 *
 * <p>Fails static: while etcd is unreachable the running config keeps serving and {@link #status()} says so. A deleted
 * key changes nothing either: a fleet is never emptied by accident.
 *
 * <p>The watch and the reloads it triggers run on one thread of its own ({@code etcd-config}); {@link #load} is called
 * by the reloader on whichever thread asked (this one, the file watcher's, the admin's). Thread-safe.
 */
public final class FleetConfigSource implements AutoCloseable, PrefixWatch.Listener<FleetValue> {
    private static final Logger log = LoggerFactory.getLogger(FleetConfigSource.class);
    private static final int START_ATTEMPTS = 3;

    private final Path localFile;
    private final ConfigSourceConfig config;
    private final Optional<FleetCache> cache;
    private final Client client;
    private final ScheduledThreadPoolExecutor executor;
    /** The latest version seen, which the reloader loads: it may be one that was rejected. */
    private volatile FleetValue wanted;
    /** The last version applied (or found equal to the running config). */
    private volatile FleetValue applied;
    private volatile Optional<Long> rejectedRevision = Optional.empty();
    private volatile boolean reachable;
    // confined to the executor
    private PrefixWatch<FleetValue> watch;
    private ConfigReloader reloader;
    private boolean reportedMissing;

    private FleetConfigSource(Path localFile, ConfigSourceConfig config, Client client, FleetValue initial,
                              boolean reachable) {
        this.localFile = localFile;
        this.config = config;
        this.cache = config.etcd().snapshotFile().map(f -> new FleetCache(f, config.key()));
        this.client = client;
        this.wanted = initial;
        this.applied = initial;
        this.reachable = reachable;
        this.executor = SourceThread.create("etcd-config");
    }

    /**
     * Reads the fleet's document at start, on the caller's thread: from etcd, or, when etcd cannot be reached (or
     * holds nothing valid), from the cache file. Does not watch yet ({@link #start}).
     *
     * @throws ConfigException the version in etcd is invalid and there is no good cache, with every problem
     * @throws IllegalStateException etcd cannot be reached (or holds no config) and there is no cache to serve
     */
    public static FleetConfigSource open(Path localFile, ConfigSourceConfig config) {
        Client client = EtcdClients.connect(config.etcd());
        try {
            return open(localFile, config, client);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static FleetConfigSource open(Path localFile, ConfigSourceConfig config, Client client) {
        Optional<FleetCache> cache = config.etcd().snapshotFile().map(f -> new FleetCache(f, config.key()));
        FleetStore store = new FleetStore(client, config.key(), config.etcd().requestTimeout());
        RuntimeException unreachable = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                Optional<FleetValue> current = store.current();
                if (current.isEmpty()) {
                    return fromCache(localFile, config, client, cache, "etcd key " + config.key()
                            + " holds no config: push one with 'proxy config push FILE'", true);
                }
                FleetValue value = current.get();
                try {
                    read(localFile, config, value);
                    return new FleetConfigSource(localFile, config, client, value, true);
                } catch (ConfigException e) {
                    Optional<FleetValue> cached = cache.flatMap(FleetCache::read).filter(c -> valid(localFile, config, c));
                    if (cached.isEmpty()) {
                        throw e;
                    }
                    log.warn("the config in etcd ({}) is invalid; serving the cached revision {} until a valid one "
                            + "is pushed:\n  {}", value.describe(config.key()), cached.get().revision(),
                            String.join("\n  ", e.problems()));
                    FleetConfigSource source = new FleetConfigSource(localFile, config, client, cached.get(), true);
                    source.wanted = value;
                    source.rejectedRevision = Optional.of(value.revision());
                    return source;
                }
            } catch (ConfigException | IllegalStateException e) {
                throw e;
            } catch (RuntimeException e) {
                unreachable = e;
            }
        }
        return fromCache(localFile, config, client, cache, "etcd at " + config.etcd().endpoints()
                + " cannot be reached (" + unreachable.getMessage() + ")", false);
    }

    private static FleetConfigSource fromCache(Path localFile, ConfigSourceConfig config, Client client,
                                               Optional<FleetCache> cache, String why, boolean reachable) {
        Optional<FleetValue> cached = cache.flatMap(FleetCache::read);
        if (cached.isEmpty()) {
            throw new IllegalStateException(why + ", and there is no config cache"
                    + cache.map(c -> " at " + c.path()).orElse(" (configSource.etcd.snapshotFile)"));
        }
        read(localFile, config, cached.get());
        log.warn("{}: serving the cached config of revision {} from {}", why, cached.get().revision(),
                cache.get().path());
        return new FleetConfigSource(localFile, config, client, cached.get(), reachable);
    }

    private static boolean valid(Path localFile, ConfigSourceConfig config, FleetValue value) {
        try {
            read(localFile, config, value);
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    private static ProxyConfig read(Path localFile, ConfigSourceConfig config, FleetValue value) {
        try {
            return ConfigReader.read(Files.readString(localFile, StandardCharsets.UTF_8), localFile.toString(),
                    value.yaml(), value.describe(config.key()));
        } catch (IOException e) {
            throw new ConfigException(localFile.toString(), List.of("cannot read: " + e));
        }
    }

    /**
     * The config to start on: the local file with the version {@link #open} chose, which is the cache's rather than
     * etcd's when etcd holds an invalid one.
     */
    public ProxyConfig initial() {
        return read(localFile, config, applied);
    }

    /** The config to serve: the local file with the latest version seen. The reloader's {@code Loader}. */
    public ProxyConfig load() throws IOException {
        FleetValue value = wanted;
        return ConfigReader.read(Files.readString(localFile, StandardCharsets.UTF_8), localFile.toString(),
                value.yaml(), value.describe(config.key()));
    }

    /** For the reloader's log lines and {@code /config}: the local file and the key. */
    public String describe() {
        return "config " + localFile + " + etcd " + config.key();
    }

    /** Starts following the key; each new version goes to {@code reloader}. Returns at once. */
    public void start(ConfigReloader reloader) {
        requireNonNull(reloader, "reloader");
        executor.execute(() -> {
            this.reloader = reloader;
            cache.ifPresent(c -> {
                if (applied.origin() == FleetValue.Origin.ETCD) {
                    c.write(applied);
                }
            });
            watch = new PrefixWatch<>("fleet config", config.key(), client, executor, config.etcd().requestTimeout(),
                    kv -> Optional.of(FleetStore.value(kv)), this);
            watch.start();
            log.info("following the fleet config {} in etcd at {} (revision {} serving{})", config.key(),
                    config.etcd().endpoints(), applied.revision(),
                    cache.map(c -> ", cache " + c.path()).orElse(""));
        });
    }

    @Override
    public void values(String name, SortedMap<String, FleetValue> byKey) {
        // the watch is on the key as a prefix: a longer key beside it is not ours
        FleetValue value = byKey.get(config.key());
        if (value == null) {
            if (!reportedMissing) {
                reportedMissing = true;
                log.warn("etcd key {} holds no config (deleted?); the running config (revision {}) keeps serving",
                        config.key(), applied.revision());
            }
            return;
        }
        reportedMissing = false;
        if (value.revision() == wanted.revision() && value.yaml().equals(wanted.yaml())) {
            if (applied.origin() == FleetValue.Origin.CACHE && value.revision() == applied.revision()) {
                // etcd answered with what the cache held: the replica is in step again without a reload
                applied = value;
                wanted = value;
                log.info("etcd {} answered: the cached revision {} is current", config.key(), value.revision());
            }
            return;
        }
        wanted = value;
        ReloadResult result = reloader.reload("etcd");
        if (result.ok()) {
            applied = value;
            rejectedRevision = Optional.empty();
            cache.ifPresent(c -> c.write(value));
        } else {
            rejectedRevision = Optional.of(value.revision());
        }
    }

    @Override
    public void reachable(String name, boolean reachable) {
        this.reachable = reachable;
    }

    @Override
    public void decodeError(String name, String key, String reason) {
        // the decoder takes any bytes as text: validation is the reloader's
    }

    /** Where this replica stands; read by {@code /config}, {@code /readyz} and the metrics. */
    public FleetStatus status() {
        FleetValue a = applied;
        return new FleetStatus(config.key(), config.etcd().endpoints(), a.origin(), a.revision(), wanted.revision(),
                reachable, rejectedRevision);
    }

    @Override
    public void close() {
        executor.execute(() -> {
            if (watch != null) {
                watch.close();
            }
        });
        executor.execute(client::close);
        SourceThread.stop(executor);
    }
}
