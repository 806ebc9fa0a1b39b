package dev.proxy.core.upstream;

import dev.proxy.core.ProxyError;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import java.util.ArrayDeque;

/**
 * A multiplexed HTTP/2 connection to one endpoint: it carries up to {@link #limit()} requests at once, one stream
 * each. Requests that arrive while it is being opened wait on it rather than open connections of their own.
 * Confined to its event loop; its pool ({@link Http2LoopPool}) keeps the counts.
 */
final class Http2Connection {
    /** DRAINING: takes no new streams (GOAWAY, lifetime, request limit, retired pool); closes when the last ends. */
    enum State { CONNECTING, OPEN, DRAINING, CLOSED }

    final Channel channel;
    final Http2LoopPool pool;
    final long createdNanos;
    State state = State.CONNECTING;
    /** Streams carrying a request now. */
    int active;
    /** Streams lent over the connection's life. */
    int lent;
    long idleSinceNanos;
    /** Until the peer's first SETTINGS arrive its stream limit is unknown, so one stream at a time goes out. */
    boolean settingsReceived;
    private long peerMaxStreams = Long.MAX_VALUE;
    /** Requests waiting for this connection to open or to learn its stream limit; null until one waits. */
    private ArrayDeque<AcquireCallback> waiting;
    /** The connection's frame codec, looked up once it is there: its stream counts are Netty's. */
    private Http2FrameCodec codec;

    Http2Connection(Channel channel, Http2LoopPool pool, long createdNanos) {
        this.channel = channel;
        this.pool = pool;
        this.createdNanos = createdNanos;
    }

    /** Streams this connection may carry at once: ours and the peer's {@code SETTINGS_MAX_CONCURRENT_STREAMS}. */
    int limit() {
        return settingsReceived ? (int) Math.min(pool.maxStreams(), peerMaxStreams) : 1;
    }

    /**
     * Room for one more stream, by our count and by Netty's. They differ for a moment at each stream's end: Netty's
     * decoder hands a stream's last frame to its reader (whose request may end there, releasing its lease) before it
     * closes the stream, so a stream opened from that call would be refused as one too many (it was: the request
     * then waited for its response timeout). The lease's end lends the freed place in a later task.
     */
    boolean hasRoom() {
        return state == State.OPEN && active < limit() && nettyCanOpenStream();
    }

    private boolean nettyCanOpenStream() {
        if (codec == null) {
            codec = channel.pipeline().get(Http2FrameCodec.class);
            if (codec == null) {
                return true; // not speaking HTTP/2 yet: state is not OPEN then anyway
            }
        }
        return codec.connection().local().canOpenStream();
    }

    /** Whether a request may wait on it: it is still opening (or has not said its limit) and not yet promised full. */
    boolean canPromise() {
        return (state == State.CONNECTING || (state == State.OPEN && !settingsReceived))
                && active + waitingCount() < pool.maxStreams();
    }

    void peerSettings(Long maxConcurrentStreams) {
        settingsReceived = true;
        if (maxConcurrentStreams != null) {
            peerMaxStreams = maxConcurrentStreams;
        }
    }

    void await(AcquireCallback callback) {
        if (waiting == null) {
            waiting = new ArrayDeque<>(4);
        }
        waiting.add(callback);
    }

    AcquireCallback nextWaiting() {
        return waiting == null ? null : waiting.poll();
    }

    int waitingCount() {
        return waiting == null ? 0 : waiting.size();
    }

    void failWaiting(ProxyError error, Throwable cause) {
        AcquireCallback w;
        while ((w = nextWaiting()) != null) {
            w.acquireFailed(error, cause);
        }
    }

    @Override
    public String toString() {
        return "Http2Connection[" + pool.endpoint() + " " + channel.id().asShortText() + " " + state + " " + active
                + "/" + limit() + "]";
    }
}
