package dev.proxy.core.engine;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The response direction of one exchange: what the client has been sent, as an explicit {@link State}, the status
 * and bytes it reports, and the relay of the upstream's body parts with back-pressure (the upstream stops being read
 * while the client cannot take more).
 *
 * <p>Confined to the client's event loop. Ownership: a part passed to {@link #relay} is written to the client (whose
 * encoder releases it) or released here.
 */
final class ResponseRelay {

    /** What the client has been sent. */
    enum State {
        /** Nothing yet: an error response can still be sent instead. */
        AWAITING_HEAD,
        /** An informational (1xx) response is being read and dropped; the real head is still to come. */
        SKIPPING_INFORMATIONAL,
        /** A head has gone to the client, its body is being relayed. */
        STREAMING,
        /** The whole response has been written. Final. */
        COMPLETE,
        /** The response was cut (or the client left): the client connection or stream must end. Final. */
        CUT
    }

    /** What {@link #relay} did with a part. */
    enum Relayed { MORE, LAST, MALFORMED }

    /**
     * The {@link #startNanos} of a response no attempt produced (the proxy answered itself). A constant rather than an
     * {@code OptionalLong}, which would be an allocation per request; {@code Long.MIN_VALUE}, as a reading of
     * {@link System#nanoTime} may be negative.
     */
    static final long NO_ATTEMPT = Long.MIN_VALUE;

    private final Channel client;
    private State state = State.AWAITING_HEAD;
    private int status;
    private long bytes;
    private long startNanos = NO_ATTEMPT;
    private boolean upstreamReusable;

    ResponseRelay(Channel client) {
        this.client = client;
    }

    State state() {
        return state;
    }

    /** Whether the client has been sent anything (or is gone): too late for an error response. */
    boolean started() {
        return state == State.STREAMING || state == State.COMPLETE || state == State.CUT;
    }

    /** Whether nothing more will go to the client. */
    boolean ended() {
        return state == State.COMPLETE || state == State.CUT;
    }

    boolean wasCut() {
        return state == State.CUT;
    }

    /** The status the exchange reports, 0 before there is one. */
    int status() {
        return status;
    }

    long bytes() {
        return bytes;
    }

    /** When the attempt that produced the response started; {@link #NO_ATTEMPT} when the proxy answered itself. */
    long startNanos() {
        return startNanos;
    }

    /** Whether an upstream's answer went to the client (not the proxy's own). */
    boolean fromUpstream() {
        return startNanos != NO_ATTEMPT;
    }

    /** Whether the upstream said its connection may serve another request. */
    boolean upstreamReusable() {
        return upstreamReusable;
    }

    /** An informational response arrived and is dropped, up to its end. */
    void skipInformational() {
        state = State.SKIPPING_INFORMATIONAL;
    }

    /** The upstream's head (status {@code code}) is about to go to the client. */
    void streaming(int code, long attemptStartNanos, boolean reusable) {
        state = State.STREAMING;
        status = code;
        startNanos = attemptStartNanos;
        upstreamReusable = reusable;
    }

    /** The upstream's 101 was written whole: what follows is a tunnel, no longer a response. */
    void switched(long attemptStartNanos) {
        written(101, attemptStartNanos);
    }

    /** The proxy's own response was written whole; no attempt produced it. */
    void answeredByProxy(int code) {
        written(code, NO_ATTEMPT);
    }

    private void written(int code, long attemptStartNanos) {
        state = State.COMPLETE;
        status = code;
        startNanos = attemptStartNanos;
    }

    /**
     * The response cannot be completed: the client gets a cut one (or nothing, having left). The status stays what
     * the client was sent, else becomes {@code fallbackStatus}.
     */
    void cut(int fallbackStatus) {
        state = State.CUT;
        if (status == 0) {
            status = fallbackStatus;
        }
    }

    /**
     * Relays one part of the upstream's body to the client, not flushed unless the client's buffer is full (then
     * {@code upstream} stops reading first, as the flush may drain the buffer and fire the event that resumes it).
     */
    Relayed relay(HttpContent part, Channel upstream) {
        boolean last = part instanceof LastHttpContent;
        if (state == State.SKIPPING_INFORMATIONAL) {
            part.release();
            if (last) {
                state = State.AWAITING_HEAD;
            }
            return Relayed.MORE;
        }
        if (part.decoderResult().isFailure()) {
            part.release();
            return Relayed.MALFORMED;
        }
        bytes += part.content().readableBytes();
        client.write(part);
        if (last) {
            state = State.COMPLETE;
            return Relayed.LAST;
        }
        if (!client.isWritable()) {
            upstream.config().setAutoRead(false);
            client.flush();
        }
        return Relayed.MORE;
    }
}
