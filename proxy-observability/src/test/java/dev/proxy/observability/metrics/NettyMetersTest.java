package dev.proxy.observability.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NettyMetersTest {

    @Test
    void bindsPendingTasksPerLoopAndTheGivenAllocator() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(NettyMeters.HELP_AND_STABLE_TAGS);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("meters-test", true),
                NioIoHandler.newFactory());
        try {
            NettyMeters.bind(registry, PooledByteBufAllocator.DEFAULT, group);

            assertThat(registry.get("netty.eventexecutor.workers").gauge().value()).isEqualTo(2);
            assertThat(registry.get("netty.eventexecutor.tasks.pending").gauges())
                    .hasSize(2)
                    .allSatisfy(g -> assertThat(g.getId().getTag("name")).startsWith("meters-test"))
                    .extracting(g -> g.getId().getTag("name")).doesNotHaveDuplicates();
            assertThat(registry.get("netty.eventexecutor.tasks.pending").gauges())
                    .allSatisfy(g -> assertThat(g.value()).isNotNegative());

            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
            buf.writeZero(4096);
            buf.release();
            Gauge direct = registry.get("netty.allocator.memory.used").tag("memory.type", "direct")
                    .tag("allocator.type", "PooledByteBufAllocator").gauge();
            assertThat(direct.value()).isNotNegative();
            assertThat(registry.get("netty.allocator.memory.used").tag("memory.type", "heap").gauge()).isNotNull();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
