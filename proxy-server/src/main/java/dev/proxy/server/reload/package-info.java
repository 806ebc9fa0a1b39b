/**
 * Hot reload: {@link dev.proxy.server.reload.ConfigReloader} reads and validates the whole file off the event loops
 * and hands a good one to the proxy, which swaps one reference; a bad one changes nothing and is reported.
 * Triggers: {@link dev.proxy.server.reload.ConfigFileWatcher} (the file, or the Kubernetes ConfigMap symlink swap),
 * SIGHUP, and {@code POST /config/reload} on the admin port.
 */
package dev.proxy.server.reload;
