package dev.proxy.core.discovery;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread a source follows its backend on (etcd discovery, DNS discovery, a fleet's config in etcd): a daemon
 * scheduled executor that, once shut down, drops pending retries and discards late callbacks instead of throwing them
 * at the client library that delivers them. Stateless helpers.
 */
public final class SourceThread {
    private static final long STOP_SECONDS = 5;

    private SourceThread() {
    }

    /** A single daemon thread named {@code name}. */
    public static ScheduledThreadPoolExecutor create(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.DiscardPolicy());
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    /** Lets the tasks already queued run (closing watches, writing a snapshot), for a few seconds at most. */
    public static void stop(ExecutorService executor) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(STOP_SECONDS, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
