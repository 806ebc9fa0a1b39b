package dev.proxy.observability.watchdog;

/**
 * One sample of what the watchdog checks. A value of {@code -1} (or any negative value) means "not known here":
 * a check whose reading or limit is unknown is skipped, never counted as breaching.
 *
 * @param heapUsed       heap bytes in use (live objects and garbage not yet collected)
 * @param heapMax        the heap limit in bytes ({@code -Xmx})
 * @param directUsed     direct (off-heap) buffer bytes in use
 * @param directMax      the direct memory limit in bytes
 * @param openFiles      file descriptors open in the process (sockets included)
 * @param maxFiles       the process's open-file limit ({@code ulimit -n})
 * @param liveThreads    live JVM threads, daemon or not
 * @param connections    client connections open now
 * @param maxConnections {@code server.limits.maxConnections}
 */
public record Readings(long heapUsed, long heapMax, long directUsed, long directMax, long openFiles, long maxFiles,
                       int liveThreads, int connections, int maxConnections) {
    /** The value of a reading or limit that cannot be measured here. */
    public static final int UNKNOWN = -1;
}
