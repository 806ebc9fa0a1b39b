package dev.proxy.core.discovery;

import java.util.List;
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

    /**
     * The sources together as one (etcd for some clusters, DNS for others): started and closed together, their
     * statuses combined. The only source itself when there is one.
     */
    static EndpointSource combine(List<? extends EndpointSource> sources) {
        if (sources.size() == 1) {
            return sources.get(0);
        }
        return new CombinedEndpointSource(sources);
    }

    /** Stops following and releases the source's connections and threads. */
    @Override
    void close();
}
