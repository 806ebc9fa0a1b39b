package dev.proxy.core.discovery;

import dev.proxy.core.config.EndpointConfig;
import java.util.List;

/** Takes the endpoint sets that discovery finds. Thread-safe; calls may come from any thread but not an event loop. */
public interface EndpointSink {
    /**
     * The complete endpoint set of {@code cluster} from now on; it replaces the previous one atomically. Unknown
     * clusters and clusters that do not use discovery are ignored.
     */
    void updateEndpoints(String cluster, List<EndpointConfig> endpoints);
}
