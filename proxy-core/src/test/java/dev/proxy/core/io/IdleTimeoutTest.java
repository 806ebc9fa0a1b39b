package dev.proxy.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The idle timer on a fake clock: reads and flushes are activity, silence fires the event once per period. */
class IdleTimeoutTest {
    private final MockTicker ticker = Ticker.newMockTicker();
    private final List<Object> events = new ArrayList<>();
    private final EmbeddedChannel channel = EmbeddedChannel.builder().ticker(ticker)
            .handlers(new IdleTimeout(TimeUnit.MILLISECONDS.toNanos(100)), new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    events.add(evt);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    io.netty.util.ReferenceCountUtil.release(msg);
                }
            }).build();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void advanceMillis(long millis) {
        ticker.advanceMillis(millis);
        channel.runScheduledPendingTasks();
    }

    @Test
    void firesAllIdleWhenNothingHappensForTheIdleTime() {
        advanceMillis(99);
        assertThat(events).isEmpty();
        advanceMillis(1);
        assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        // once per period, like Netty's handler
        advanceMillis(99);
        assertThat(events).hasSize(1);
        advanceMillis(1);
        assertThat(events).hasSize(2);
    }

    @Test
    void aReadStartsTheIdleTimeAgain() {
        advanceMillis(60);
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
        advanceMillis(60);
        assertThat(events).isEmpty();
        advanceMillis(40);
        assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }

    @Test
    void aFlushStartsTheIdleTimeAgain() {
        advanceMillis(60);
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1}));
        advanceMillis(60);
        assertThat(events).isEmpty();
        advanceMillis(40);
        assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }

    @Test
    void aRemovedTimerNeverFires() {
        channel.pipeline().remove(IdleTimeout.class);
        advanceMillis(500);
        assertThat(events).isEmpty();
    }

    @Test
    void aClosedChannelNeverFires() {
        channel.close();
        advanceMillis(500);
        assertThat(events).isEmpty();
    }
}
