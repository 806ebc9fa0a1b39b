package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The header-read timer on a fake clock: the first head's time runs from accept, each later one gets its whole time
 * from its first byte, with one timer.
 */
class RequestHeaderTimeoutTest {
    private final MockTicker ticker = Ticker.newMockTicker();
    private final List<ProxyError> rejected = new ArrayList<>();
    private final RequestHeaderTimeout timeout = new RequestHeaderTimeout(TimeUnit.MILLISECONDS.toNanos(300),
            new ProxyObserver() {
                @Override
                public void connectionRejected(ProxyError reason) {
                    rejected.add(reason);
                }
            });
    private final EmbeddedChannel channel = EmbeddedChannel.builder().ticker(ticker).handlers(timeout).build();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void receive(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    /** Moves the clock on, runs what is due, and says in how many ms a timer runs next (-1: none is scheduled). */
    private long advanceMillis(long millis) {
        ticker.advanceMillis(millis);
        long next = channel.runScheduledPendingTasks();
        return next < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(next);
    }

    private String answer() {
        ByteBuf out = channel.readOutbound();
        if (out == null) {
            return null;
        }
        try {
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }

    @Test
    void answers408AndClosesWhenAHeadTakesLongerThanTheTimeout() {
        receive("GET / HTTP/1.1\r\n");
        assertThat(advanceMillis(299)).isEqualTo(1);
        assertThat(answer()).isNull();
        assertThat(advanceMillis(1)).isEqualTo(-1);
        assertThat(answer()).startsWith("HTTP/1.1 408 ").contains("x-proxy-error: request_header_timeout");
        assertThat(channel.isOpen()).isFalse();
        assertThat(rejected).containsExactly(ProxyError.REQUEST_HEADER_TIMEOUT);
    }

    @Test
    void answers408AndClosesAConnectionThatSendsNothingFromAccept() {
        assertThat(advanceMillis(299)).isEqualTo(1);
        assertThat(channel.isOpen()).isTrue();
        assertThat(advanceMillis(1)).isEqualTo(-1);
        assertThat(answer()).startsWith("HTTP/1.1 408 ");
        assertThat(channel.isOpen()).isFalse();
        assertThat(rejected).containsExactly(ProxyError.REQUEST_HEADER_TIMEOUT);
    }

    @Test
    void aWaitBetweenKeepAliveRequestsIsLeftToTheIdleTimeout() {
        receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        timeout.headReceived();
        timeout.awaitNextHead();
        assertThat(advanceMillis(300)).isEqualTo(-1);
        assertThat(advanceMillis(10_000)).isEqualTo(-1);
        assertThat(answer()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aHeadInTimeLeavesItsTimerToRunOutQuietly() {
        receive("GET / HTTP/1.1\r\n");
        timeout.headReceived();
        receive("a body, not a head");
        assertThat(advanceMillis(300)).isEqualTo(-1);
        assertThat(answer()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void theNextHeadGetsItsWholeTimeFromItsFirstByte() {
        receive("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
        timeout.headReceived();
        timeout.awaitNextHead();
        assertThat(advanceMillis(200)).as("the first head's timer is still queued").isEqualTo(100);
        receive("GET /2 HTTP/1.1\r\n");
        assertThat(advanceMillis(100)).as("re-armed for the second head").isEqualTo(200);
        assertThat(advanceMillis(199)).isEqualTo(1);
        assertThat(answer()).isNull();
        assertThat(advanceMillis(1)).isEqualTo(-1);
        assertThat(answer()).startsWith("HTTP/1.1 408 ");
    }

    @Test
    void leavingThePipelineRemovesTheTimer() {
        receive("GET / HTTP/1.1\r\n");
        timeout.headReceived();
        channel.pipeline().remove(timeout);
        assertThat(advanceMillis(0)).isEqualTo(-1);
    }
}
