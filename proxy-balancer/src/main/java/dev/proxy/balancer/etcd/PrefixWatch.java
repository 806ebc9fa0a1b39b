package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one key prefix (a discovered cluster's, or a fleet's config key): lists it, then watches from the listed
 * revision + 1. After a broken watch it
 * resumes from the last revision it applied, so no event is lost; an event at or below that revision (a resumed
 * watch may send it again) is skipped, so none is applied twice. When that revision has been compacted away it
 * lists again and takes the listing as the whole truth. What a value means is the {@link Decoder}'s business; the
 * listener gets every decoded value under the prefix, by key, after each change.
 *
 * <p>Confined to one thread: every method runs on {@code executor}, jetcd's callbacks hop onto it.
 *
 * @param <T> what a value decodes to
 */
public final class PrefixWatch<T> {
    private static final Logger log = LoggerFactory.getLogger(PrefixWatch.class);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Reads one value; called on the watch's executor. */
    @FunctionalInterface
    public interface Decoder<T> {
        /**
         * The value of {@code kv}; empty when the value stands for no entry (a deregistration).
         *
         * @throws IllegalArgumentException the value cannot be read: it is skipped and reported
         */
        Optional<T> decode(KeyValue kv);
    }

    /** Hears what the watch finds; called on the watch's executor. */
    public interface Listener<T> {
        /** Every value under the prefix, by key, after a listing or a batch of events changed them. */
        void values(String name, SortedMap<String, T> byKey);

        /** Whether etcd answered the last call (true) or the last call or stream failed (false). */
        void reachable(String name, boolean reachable);

        /** A value under the prefix could not be read and was skipped. */
        void decodeError(String name, String key, String reason);
    }

    private final String cluster;
    private final ByteSequence prefix;
    private final Client client;
    private final ScheduledExecutorService executor;
    private final Duration requestTimeout;
    private final Decoder<T> decoder;
    private final Listener<T> listener;
    private final SortedMap<String, T> byKey = new TreeMap<>();
    /** The revision of each unreadable value reported, so that listing it again does not report it again. */
    private final Map<String, Long> undecodable = new HashMap<>();
    /** The revision of the store this watch has applied everything up to; 0 before the first listing. */
    private long revision;
    /** Tells the callbacks of a replaced watcher or listing from the current one's. */
    private int generation;
    private Watch.Watcher watcher;
    private int failures;
    private boolean closed;

    /**
     * @param cluster the name the listener hears it by
     * @param executor the single thread everything runs on
     */
    public PrefixWatch(String cluster, String prefix, Client client, ScheduledExecutorService executor,
                       Duration requestTimeout, Decoder<T> decoder, Listener<T> listener) {
        this.cluster = requireNonNull(cluster, "cluster");
        this.prefix = ByteSequence.from(prefix, UTF_8);
        this.client = requireNonNull(client, "client");
        this.executor = requireNonNull(executor, "executor");
        this.requestTimeout = requireNonNull(requestTimeout, "requestTimeout");
        this.decoder = requireNonNull(decoder, "decoder");
        this.listener = requireNonNull(listener, "listener");
    }

    /** Lists, then watches; returns at once. */
    public void start() {
        executor.execute(this::list);
    }

    /** Stops watching; nothing is reported after it. Call it on the executor, like everything else here. */
    public void close() {
        closed = true;
        generation++;
        stopWatcher();
    }

    private void list() {
        if (closed) {
            return;
        }
        int gen = ++generation;
        stopWatcher();
        client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                .orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((response, error) -> {
                    if (gen == generation && !closed) {
                        listed(response, error);
                    }
                }, executor);
    }

    private void listed(GetResponse response, Throwable error) {
        if (error != null) {
            failed("list", error);
            retryLater(this::list);
            return;
        }
        failures = 0;
        listener.reachable(cluster, true);
        byKey.clear();
        for (KeyValue kv : response.getKvs()) {
            put(kv);
        }
        revision = response.getHeader().getRevision();
        publish();
        watch();
    }

    private void watch() {
        if (closed) {
            return;
        }
        int gen = ++generation;
        stopWatcher();
        WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(revision + 1)
                .withCreateNotify(true)
                .withProgressNotify(true)
                .build();
        watcher = client.getWatchClient().watch(prefix, option, Watch.listener(
                response -> executor.execute(() -> {
                    if (gen == generation && !closed) {
                        onWatch(response);
                    }
                }),
                error -> executor.execute(() -> {
                    if (gen == generation && !closed) {
                        onWatchError(error);
                    }
                })));
    }

    private void onWatch(WatchResponse response) {
        failures = 0;
        listener.reachable(cluster, true);
        boolean changed = false;
        long last = revision;
        for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            if (kv.getModRevision() <= revision) {
                continue;
            }
            last = Math.max(last, kv.getModRevision());
            switch (event.getEventType()) {
                case PUT -> changed |= put(kv);
                case DELETE -> {
                    undecodable.remove(key(kv));
                    changed |= byKey.remove(key(kv)) != null;
                }
                default -> log.debug("{}: ignoring an unrecognised watch event", cluster);
            }
        }
        revision = last;
        if (response.isProgressNotify()) {
            // every event up to the header's revision has been sent: a resumed watch may start after it
            revision = Math.max(revision, response.getHeader().getRevision());
        }
        if (changed) {
            publish();
        }
    }

    private void onWatchError(Throwable error) {
        generation++;
        stopWatcher();
        Throwable cause = error.getCause() instanceof CompactedException ? error.getCause() : error;
        if (cause instanceof CompactedException compacted) {
            // the events after our revision are gone: only a fresh listing can say what changed meanwhile
            log.warn("{}: etcd compacted revision {} past ours ({}); listing {} again", cluster,
                    compacted.getCompactedRevision(), revision, prefix.toString(UTF_8));
            executor.execute(this::list);
            return;
        }
        failed("watch", error);
        // a revision ahead of the store (etcd restored from an older backup) cannot be watched from: list again
        boolean listAgain = cause instanceof EtcdException e && e.getErrorCode() == ErrorCode.OUT_OF_RANGE;
        retryLater(listAgain ? this::list : this::watch);
    }

    private void failed(String what, Throwable error) {
        failures++;
        listener.reachable(cluster, false);
        if (failures == 1) {
            log.warn("{}: etcd {} of {} failed; what was last known keeps serving while it retries: {}",
                    cluster, what, prefix.toString(UTF_8), describe(error));
        } else {
            log.debug("{}: etcd {} failed again ({} in a row): {}", cluster, what, failures, describe(error));
        }
    }

    /** Full-jitter exponential backoff, so a fleet of proxies does not reconnect in step after an etcd outage. */
    private void retryLater(Runnable action) {
        long cap = Math.min(MAX_BACKOFF_NANOS, MIN_BACKOFF_NANOS << Math.min(failures, 10));
        long delay = MIN_BACKOFF_NANOS / 2 + ThreadLocalRandom.current().nextLong(cap);
        executor.schedule(() -> {
            if (!closed) {
                action.run();
            }
        }, delay, TimeUnit.NANOSECONDS);
    }

    private boolean put(KeyValue kv) {
        String key = key(kv);
        Optional<T> endpoint;
        try {
            endpoint = decoder.decode(kv);
            undecodable.remove(key);
        } catch (IllegalArgumentException e) {
            Long reported = undecodable.put(key, kv.getModRevision());
            if (reported == null || reported != kv.getModRevision()) {
                listener.decodeError(cluster, key, e.getMessage());
            }
            // a value that cannot be read any more does not keep the endpoint it replaced
            return byKey.remove(key) != null;
        }
        if (endpoint.isEmpty()) {
            return byKey.remove(key) != null;
        }
        return !endpoint.get().equals(byKey.put(key, endpoint.get()));
    }

    private void publish() {
        listener.values(cluster, Collections.unmodifiableSortedMap(new TreeMap<>(byKey)));
    }

    private void stopWatcher() {
        Watch.Watcher w = watcher;
        watcher = null;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                log.debug("{}: closing a watcher failed", cluster, e);
            }
        }
    }

    private static String key(KeyValue kv) {
        return kv.getKey().toString(UTF_8);
    }

    private static String describe(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
