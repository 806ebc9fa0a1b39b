package dev.proxy.server.admin;

import java.util.List;

/** What {@code /readyz} reports: the reasons the proxy should not get traffic now, none when ready. */
@FunctionalInterface
public interface Readiness {
    /** Each reason the proxy is not ready, e.g. {@code draining}; empty when it is ready. Thread-safe. */
    List<String> notReadyReasons();
}
