package dev.proxy.server.admin;

import java.util.List;

/** What {@code /readyz} reports: the reasons the proxy should not get traffic now, none when ready. */
@FunctionalInterface
public interface Readiness {
    /** Each reason the proxy is not ready, e.g. {@code draining}; empty when it is ready. Thread-safe. */
    List<String> notReadyReasons();

    /**
     * What is wrong but does not make the proxy unready, e.g. discovery serving stale endpoints while etcd is away:
     * failing readiness then would take every proxy out of service at once. Thread-safe.
     */
    default List<String> degradations() {
        return List.of();
    }
}
