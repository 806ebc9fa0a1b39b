package dev.proxy.observability.watchdog;

import static java.util.Objects.requireNonNull;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.util.internal.PlatformDependent;
import com.sun.management.GcInfo;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The readings of this JVM, from its MXBeans and Netty's direct memory counter. Thread-safe.
 *
 * <ul>
 *   <li>Heap: used as the last garbage collection left it (the sum of the heap pools' usage after the most recent
 *       collection, {@link com.sun.management.GarbageCollectorMXBean#getLastGcInfo()}), against the max. Raw used
 *       heap includes garbage not yet collected and swings with allocation between collections: a readiness check
 *       on it would flap, and flap on every replica at once under the same load. What is left after a collection
 *       is what the proxy really holds. Before the first collection, the raw used heap.</li>
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
    private final List<com.sun.management.GarbageCollectorMXBean> collectors = collectors();
    private final Set<String> heapPools = heapPools();
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
        return new Readings(heapAfterLastCollection().orElse(heap.getUsed()), heap.getMax(), directUsed(), PlatformDependent.maxDirectMemory(),
                openFiles, maxFiles, threads.getThreadCount(), connections.getAsInt(), maxConnections);
    }

    /**
     * The heap in use when the most recent collection (young or full, of whichever collector) ended; empty before the
     * first one or where the JVM does not say.
     */
    OptionalLong heapAfterLastCollection() {
        GcInfo last = null;
        for (com.sun.management.GarbageCollectorMXBean gc : collectors) {
            GcInfo info = gc.getLastGcInfo();
            if (info != null && (last == null || info.getEndTime() > last.getEndTime())) {
                last = info;
            }
        }
        if (last == null) {
            return OptionalLong.empty();
        }
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : last.getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        return OptionalLong.of(used);
    }

    private static List<com.sun.management.GarbageCollectorMXBean> collectors() {
        List<com.sun.management.GarbageCollectorMXBean> list = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof com.sun.management.GarbageCollectorMXBean withInfo) {
                list.add(withInfo);
            }
        }
        return List.copyOf(list);
    }

    private static Set<String> heapPools() {
        Set<String> names = new HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                names.add(pool.getName());
            }
        }
        return Set.copyOf(names);
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
