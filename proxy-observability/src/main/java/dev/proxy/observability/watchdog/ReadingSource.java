package dev.proxy.observability.watchdog;

/**
 * Where the watchdog's {@link Readings} come from: {@link JvmReadingSource} in the proxy, a fake in tests. Called
 * from the watchdog's own thread, never from an event loop; may block briefly.
 */
@FunctionalInterface
public interface ReadingSource {
    /** A fresh sample; fields that cannot be measured are {@link Readings#UNKNOWN}. */
    Readings read();
}
