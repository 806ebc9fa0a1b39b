package dev.proxy.observability.watchdog;

import static java.util.Objects.requireNonNull;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.util.function.IntSupplier;

/**
 * The readings of this JVM, from its MXBeans and Netty's direct memory counter. Thread-safe.
 *
 * <ul>
 *   <li>Heap: {@link MemoryMXBean#getHeapMemoryUsage()}, used and max. Used includes garbage not yet collected, so
 *       it runs high between collections; the threshold should leave room for that.</li>
 *   <li>Direct memory: {@link PlatformDependent#usedDirectMemory()} against {@link PlatformDependent#maxDirectMemory()}.
 *       Netty's count covers the direct memory Netty allocated (Netty 4.2 on JDK 17 keeps it by default). Where
 *       it keeps none it answers {@code -1} (whether it counts depends on the Netty version, the JDK and the
 *       {@code -Dio.netty.*} settings, e.g. when it allocates through the JDK's cleaner); then the JDK's
 *       {@code direct} {@link BufferPoolMXBean} is read instead: every direct {@link java.nio.ByteBuffer} of the
 *       process, Netty's among them, still against Netty's max (the JVM's limit unless
 *       {@code -Dio.netty.maxDirectMemory} says otherwise).</li>
 *   <li>Open files: {@link UnixOperatingSystemMXBean} descriptor count and limit; {@link Readings#UNKNOWN} (the
 *       check is skipped) where the JVM does not offer it, e.g. on Windows.</li>
 *   <li>Threads: {@link ThreadMXBean#getThreadCount()}.</li>
 *   <li>Connections: the supplier given, e.g. {@code proxyServer::connectionCount}, against the max given.</li>
 * </ul>
 */
public final class JvmReadingSource implements ReadingSource {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private final BufferPoolMXBean directPool = directPool();
    private final IntSupplier connections;
    private final int maxConnections;

    /**
     * @param connections    client connections open now, e.g. {@code proxyServer::connectionCount}
     * @param maxConnections their limit, {@code server.limits.maxConnections} of the config the server started with
     */
    public JvmReadingSource(IntSupplier connections, int maxConnections) {
        this.connections = requireNonNull(connections, "connections");
        this.maxConnections = maxConnections;
    }

    @Override
    public Readings read() {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        long openFiles = Readings.UNKNOWN;
        long maxFiles = Readings.UNKNOWN;
        if (os instanceof UnixOperatingSystemMXBean unix) {
            openFiles = unix.getOpenFileDescriptorCount();
            maxFiles = unix.getMaxFileDescriptorCount();
        }
        return new Readings(heap.getUsed(), heap.getMax(), directUsed(), PlatformDependent.maxDirectMemory(),
                openFiles, maxFiles, threads.getThreadCount(), connections.getAsInt(), maxConnections);
    }

    /** Netty's own count when it keeps one, the JDK's direct buffer pool otherwise; -1 when neither is known. */
    private long directUsed() {
        long netty = PlatformDependent.usedDirectMemory();
        if (netty >= 0) {
            return netty;
        }
        return directPool == null ? Readings.UNKNOWN : directPool.getMemoryUsed();
    }

    private static BufferPoolMXBean directPool() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                return pool;
            }
        }
        return null;
    }
}
