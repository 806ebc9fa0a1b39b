package dev.proxy.core.engine;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.logging.LogLevel;

/**
 * Checks each HEADERS frame a client sends against its stream's state before Netty's decoder sees it, for the three
 * cases where the decoder's answer differs from RFC 9113 (h2spec 5.1/6, 5.1/12, 5.1.1/2):
 * <ul>
 *   <li>HEADERS on a stream the client has ended ({@code half-closed (remote)}): a stream error STREAM_CLOSED
 *   (§5.1); the decoder calls it "too many headers", PROTOCOL_ERROR.</li>
 *   <li>HEADERS on a stream that ended cleanly (both sides sent END_STREAM, nobody reset it): a connection error
 *   STREAM_CLOSED (§5.1 "closed"); the decoder only resets the stream. The last {@value #REMEMBERED} such streams
 *   are remembered; an older one gets the decoder's RST_STREAM STREAM_CLOSED. A stream the proxy reset is not
 *   remembered, so HEADERS the client sent before it learnt of the reset are ignored, as §5.1 asks.</li>
 *   <li>HEADERS opening a stream id below one already opened, skipped over (never used): a connection error
 *   PROTOCOL_ERROR (§5.1.1); the decoder cannot tell it from a closed stream. The last {@value #REMEMBERED} skipped
 *   ranges are remembered.</li>
 * </ul>
 * Netty offers no hook between frame reading and the decoder's state checks but the frame logger, which sees every
 * frame read, in order, with the connection's state as the frames before left it: this is one, and logs nothing
 * itself. Its error is thrown as the decoder's own would be (the header block is decoded and released by then, so the
 * reader goes on with the next frame after a stream error), and is answered by the codec (RST_STREAM or GOAWAY with its code). One per connection; runs on its event loop.
 */
final class Http2StreamStateGuard extends Http2FrameLogger {
    static final int REMEMBERED = 64;

    private Http2Connection connection;
    /** Ids of streams that closed without a reset, a ring of the latest. */
    private final int[] closedCleanly = new int[REMEMBERED];
    private int closedNext;
    /** Skipped id ranges (first, last), a ring of the latest. */
    private final int[] skipped = new int[2 * REMEMBERED];
    private int skippedNext;
    /** The highest stream id the client opened, as this guard saw HEADERS go by. */
    private int highestOpened;

    Http2StreamStateGuard() {
        super(LogLevel.TRACE, Http2StreamStateGuard.class);
    }

    /** Attaches the guard to the codec's connection, once, before the first frame is read. */
    void watch(Http2Connection connection) {
        this.connection = connection;
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (!stream.isResetSent() && !connection.local().isValidStreamId(stream.id())) {
                    closedCleanly[closedNext] = stream.id();
                    closedNext = (closedNext + 1) % REMEMBERED;
                }
            }
        });
    }

    /** Never logs a frame, whatever the log level: headers carry credentials. */
    @Override
    public boolean isEnabled() {
        return false;
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                           int padding, boolean endStream) {
        if (direction == Direction.INBOUND) {
            check(streamId);
        }
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                           int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
        if (direction == Direction.INBOUND) {
            check(streamId);
        }
    }

    private void check(int id) {
        if (connection == null || !connection.remote().isValidStreamId(id)) {
            return; // an even id: the decoder's own connection error
        }
        Http2Stream stream = connection.stream(id);
        if (stream != null) {
            Http2Stream.State state = stream.state();
            if ((state == Http2Stream.State.HALF_CLOSED_REMOTE || state == Http2Stream.State.CLOSED)
                    && !stream.isResetSent()) {
                fail(Http2Exception.streamError(id, Http2Error.STREAM_CLOSED,
                        "HEADERS on stream %d, which the client had ended", id));
            }
        } else if (connection.streamMayHaveExisted(id)) {
            if (wasSkipped(id)) {
                fail(Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR,
                        "HEADERS opening stream %d, below stream %d already opened", id, highestOpened));
            }
            if (closedCleanly(id)) {
                fail(Http2Exception.connectionError(Http2Error.STREAM_CLOSED,
                        "HEADERS on stream %d, closed", id));
            }
        } else {
            // this HEADERS opens stream id: the ids between the last opened and it are never to be used
            if (id > highestOpened + 2) {
                skipped[skippedNext] = highestOpened + 2;
                skipped[skippedNext + 1] = id - 2;
                skippedNext = (skippedNext + 2) % skipped.length;
            }
            highestOpened = Math.max(highestOpened, id);
        }
    }

    private boolean wasSkipped(int id) {
        for (int i = 0; i < skipped.length; i += 2) {
            if (skipped[i] != 0 && skipped[i] <= id && id <= skipped[i + 1]) {
                return true;
            }
        }
        return false;
    }

    private boolean closedCleanly(int id) {
        for (int closed : closedCleanly) {
            if (closed == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * Throws {@code e} from a method whose signature does not declare it: the frame listener that calls the logger
     * declares {@code Http2Exception}, the logger's methods do not.
     */
    private static void fail(Http2Exception e) {
        Http2StreamStateGuard.<RuntimeException>sneakyThrow(e);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable e) throws T {
        throw (T) e;
    }
}
