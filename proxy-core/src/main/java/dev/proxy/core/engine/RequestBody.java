package dev.proxy.core.engine;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.ArrayList;

/**
 * The request direction of one exchange: the body's parts as the client sends them, held until a connection is
 * there, sent upstream, and kept (as retained duplicates, up to a limit) while a retry may have to send them again.
 *
 * <p>Two explicit states: how far the client has sent ({@link Received}) and how far the upstream has been sent,
 * over all attempts ({@link Sent}). Confined to the client's event loop. Ownership: a part passed to {@link #hold}
 * or {@link #send} is this object's until written (the upstream's encoder releases it) or released by
 * {@link #release}; the kept duplicates are its own and released there too.
 */
final class RequestBody {

    /** How far the client has sent the request. */
    enum Received {
        /** More of the body is to come. */
        RECEIVING,
        /** The proxy has answered already: what still comes is read and dropped. */
        DISCARDING,
        /** The request's last part has arrived. Final. */
        COMPLETE
    }

    /** How far the request has gone upstream, over all attempts: what a retry must send again. */
    enum Sent {
        /** Nothing of the body. */
        NOTHING,
        /** The end of a body-less request, and nothing else. */
        END_ONLY,
        /** Some of the body (bytes or trailers), not its end. */
        BODY,
        /** The body and its end. */
        ALL
    }

    private Received received = Received.RECEIVING;
    private Sent sent = Sent.NOTHING;
    private long bytes;
    private ArrayDeque<HttpContent> pending;
    private ArrayList<HttpContent> replay;
    private long replayBytes;
    /** {@link #replayLimit} when no retry can send the body again, and nothing is kept. */
    private static final long NOT_KEPT = -1;

    /** The most a retry may need to send again; {@link #NOT_KEPT} when none can. */
    private long replayLimit = NOT_KEPT;

    Received received() {
        return received;
    }

    boolean isComplete() {
        return received == Received.COMPLETE;
    }

    Sent sent() {
        return sent;
    }

    /** Whether the end of the request has gone upstream. */
    boolean endSent() {
        return sent == Sent.END_ONLY || sent == Sent.ALL;
    }

    /** Body bytes the client has sent. */
    long bytes() {
        return bytes;
    }

    /** What {@link #take} did with a part from the client. */
    enum Taken {
        /** Counted and now the caller's to send or hold. */
        TAKEN,
        /** Released: the exchange no longer wants the body. */
        DROPPED,
        /** Released, and it was the last part: the request has ended. */
        DROPPED_LAST,
        /** Released: the client's framing of it was broken. */
        MALFORMED,
        /** Released: the body has grown past the route's limit. */
        TOO_LARGE
    }

    /**
     * Takes a part of the body from the client: counted (up to {@code maxBytes}) and handed back to be sent or held,
     * or released when the body is not wanted ({@code dropping}, or being discarded), malformed or too large.
     */
    Taken take(HttpContent part, boolean dropping, long maxBytes) {
        boolean last = part instanceof LastHttpContent;
        if (dropping || received == Received.DISCARDING) {
            part.release();
            if (last) {
                received = Received.COMPLETE;
                return Taken.DROPPED_LAST;
            }
            return Taken.DROPPED;
        }
        if (part.decoderResult().isFailure()) {
            part.release();
            return Taken.MALFORMED;
        }
        bytes += part.content().readableBytes();
        if (bytes > maxBytes) {
            part.release();
            return Taken.TOO_LARGE;
        }
        if (last) {
            received = Received.COMPLETE;
        }
        return Taken.TAKEN;
    }

    /** The request's last part has arrived (unread, as the exchange had ended). */
    void complete() {
        received = Received.COMPLETE;
    }

    /** The proxy answered before the body ended: the rest is read and dropped. */
    void discardRest() {
        if (received == Received.RECEIVING) {
            received = Received.DISCARDING;
        }
    }

    /** Keeps what is sent from now on, up to {@code upToBytes}, for a retry to send again. */
    void keepForRetries(long upToBytes) {
        replayLimit = upToBytes;
    }

    /** Whether a new attempt can send the body again: none of it went, or all that went is still kept. */
    boolean canResend() {
        return sent == Sent.NOTHING || sent == Sent.END_ONLY || replay != null;
    }

    /** Whether body bytes (not just the end of a body-less request) went upstream. */
    boolean bytesSent() {
        return sent == Sent.BODY || sent == Sent.ALL;
    }

    /** Holds a part read while no connection is there to take it. */
    void hold(HttpContent part) {
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        pending.add(part);
    }

    /** The parts held so far, oldest first, for a mirror that starts after them; still owned here. */
    Iterable<HttpContent> held() {
        return pending == null ? java.util.List.of() : pending;
    }

    /** The oldest held part, now the caller's, or null. */
    HttpContent nextHeld() {
        return pending == null ? null : pending.poll();
    }

    /**
     * Writes what earlier attempts sent to a new attempt's connection, from the kept duplicates (or the end of a
     * body-less request again); not flushed.
     */
    void resend(Channel upstream) {
        if (replay != null) {
            for (HttpContent part : replay) {
                upstream.write(part.retainedDuplicate());
            }
        } else if (sent == Sent.END_ONLY) {
            upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** Writes {@code part} upstream (not flushed), keeping a duplicate for a retry; true if it was the last. */
    boolean send(HttpContent part, Channel upstream) {
        boolean last = part instanceof LastHttpContent;
        boolean carries = part.content().isReadable()
                || (last && !((LastHttpContent) part).trailingHeaders().isEmpty());
        if (carries || bytesSent()) {
            sent = last ? Sent.ALL : Sent.BODY;
        } else if (last) {
            sent = Sent.END_ONLY;
        }
        keep(part);
        upstream.write(part);
        return last;
    }

    /**
     * Keeps a duplicate while a retry may need to send it again, up to the limit; past it the kept parts are let go,
     * and the request can no longer be retried once its body has gone out.
     */
    private void keep(HttpContent part) {
        if (replayLimit == NOT_KEPT) {
            return;
        }
        replayBytes += part.content().readableBytes();
        if (replayBytes > replayLimit) {
            replayLimit = NOT_KEPT;
            releaseReplay();
            return;
        }
        if (replay == null) {
            replay = new ArrayList<>(4);
        }
        replay.add(part.retainedDuplicate());
    }

    /** Releases the held parts, which will not be sent. */
    void releaseHeld() {
        BodyParts.releaseAll(pending);
    }

    /** Releases everything held or kept: the exchange has ended. */
    void release() {
        releaseHeld();
        releaseReplay();
    }

    private void releaseReplay() {
        BodyParts.releaseAll(replay);
        replay = null;
    }
}
