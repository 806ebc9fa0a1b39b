package dev.proxy.core.discovery;

import java.util.Set;

/**
 * Follows the endpoint sets of some clusters and hands every change to an {@link EndpointSink}. Runs on its own
 * threads, never on an event loop, and keeps the last known sets when its backend is unreachable.
 */
public interface EndpointSource extends AutoCloseable {
    /** Starts following; returns at once. The first sets may arrive before or after it returns. */
    void start(EndpointSink sink);

    /** The names of the clusters it follows. */
    Set<String> clusters();

    DiscoveryStatus status();

    /** Stops following and releases the source's connections and threads. */
    @Override
    void close();
}
