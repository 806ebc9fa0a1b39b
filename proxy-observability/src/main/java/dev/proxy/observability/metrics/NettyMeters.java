package dev.proxy.observability.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's meters, through Micrometer's own binders ({@code io.micrometer.core.instrument.binder.netty4}), all read at
 * scrape time:
 *
 * <ul>
 *   <li>the buffer allocator the proxy's channels use (the pooled one, see {@code Transport#allocator}; Netty's
 *       three allocators are all metric providers). {@code netty.allocator.memory.used} and
 *       {@code netty.allocator.memory.pinned} by
 *       {@code memory.type} (heap, direct), tagged {@code allocator.type} (the class's simple name; Micrometer's
 *       {@code id} tag, an identity hash, is dropped); the pooled allocator adds its arena, cache and chunk
 *       meters;</li>
 *   <li>the event loops: {@code netty.eventexecutor.tasks.pending} per loop, tagged {@code name} with the loop's
 *       thread name, and {@code netty.eventexecutor.workers}, the number of loops of all the groups bound
 *       together.</li>
 * </ul>
 */
public final class NettyMeters {
    private static final Logger log = LoggerFactory.getLogger(NettyMeters.class);

    /**
     * Micrometer's Netty binders give no descriptions, which Prometheus' lint rejects, and tag the allocator with its
     * identity hash, which makes a new series at each restart; the proxy binds one allocator, so the tag goes.
     * {@link ProxyMetrics} installs it as it makes the registry: Micrometer applies filters only to meters registered
     * after them, and warns when one comes later.
     */
    static final MeterFilter HELP_AND_STABLE_TAGS = new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id id) {
            if (!id.getName().startsWith("netty.")) {
                return id;
            }
            List<Tag> tags = new ArrayList<>();
            for (Tag t : id.getTagsAsIterable()) {
                if (!(id.getName().startsWith("netty.allocator.") && t.getKey().equals("id"))) {
                    tags.add(t);
                }
            }
            String description = id.getDescription() != null ? id.getDescription()
                    : "Netty " + id.getName().substring("netty.".length()).replace('.', ' ');
            return new Meter.Id(id.getName(), Tags.of(tags), id.getBaseUnit(), description, id.getType());
        }
    };

    private NettyMeters() {
    }

    /**
     * Binds the meters of {@code allocator} (e.g. {@code proxyServer.allocator()}) and those of every loop of
     * {@code groups} (e.g.
     * {@code proxyServer.workers()}) to a {@link ProxyMetrics} registry (which has {@link #HELP_AND_STABLE_TAGS}).
     * Call it once per registry, from outside the event loops: it waits for each loop's thread to start to learn its
     * name.
     */
    public static void bind(MeterRegistry registry, ByteBufAllocator allocator, EventLoopGroup... groups) {
        bindAllocator(registry, allocator);
        List<EventExecutor> loops = new ArrayList<>();
        for (EventLoopGroup group : groups) {
            for (EventExecutor loop : group) {
                loops.add(loop);
            }
        }
        if (!loops.isEmpty()) {
            new NettyEventExecutorMetrics(loops).bindTo(registry);
        }
    }

    /** Binds the meters of {@code allocator}, if it keeps any (a {@link ByteBufAllocatorMetricProvider}). */
    public static void bindAllocator(MeterRegistry registry, ByteBufAllocator allocator) {
        if (allocator instanceof ByteBufAllocatorMetricProvider provider) {
            new NettyAllocatorMetrics(provider).bindTo(registry);
        } else {
            log.debug("{} keeps no metrics; no allocator meters", allocator.getClass().getName());
        }
    }
}
