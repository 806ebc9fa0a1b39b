package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request direction's two states, the held parts and the parts kept for a retry, on an embedded channel. */
class RequestBodyTest {
    private final EmbeddedChannel upstream = new EmbeddedChannel();
    private final RequestBody body = new RequestBody();

    @AfterEach
    void releaseAll() {
        body.release();
        upstream.finishAndReleaseAll();
    }

    @Test
    void aBodyLessRequestSendsOnlyItsEndAndCanAlwaysBeSentAgain() {
        assertThat(body.take(LastHttpContent.EMPTY_LAST_CONTENT, false, 10)).isEqualTo(RequestBody.Taken.TAKEN);
        assertThat(body.isComplete()).isTrue();
        body.send(LastHttpContent.EMPTY_LAST_CONTENT, upstream);
        assertThat(body.sent()).isEqualTo(RequestBody.Sent.END_ONLY);
        assertThat(body.endSent()).isTrue();
        assertThat(body.bytesSent()).isFalse();
        assertThat(body.canResend()).isTrue();
    }

    @Test
    void aBodySentWithoutKeepingCannotBeSentAgain() {
        HttpContent part = part("hello", false);
        assertThat(body.take(part, false, 100)).isEqualTo(RequestBody.Taken.TAKEN);
        body.send(part, upstream);
        assertThat(body.sent()).isEqualTo(RequestBody.Sent.BODY);
        assertThat(body.canResend()).isFalse();
    }

    @Test
    void keptPartsAreSentAgainOnTheNextConnectionUntilTheyOutgrowTheLimit() {
        body.keepForRetries(8);
        HttpContent first = part("abcd", false);
        body.take(first, false, 100);
        body.send(first, upstream);
        assertThat(body.canResend()).isTrue();

        EmbeddedChannel next = new EmbeddedChannel();
        body.resend(next);
        next.flush();
        ByteBuf again = ((HttpContent) next.readOutbound()).content();
        assertThat(again.toString(StandardCharsets.US_ASCII)).isEqualTo("abcd");
        again.release();
        next.finishAndReleaseAll();

        HttpContent second = part("efghi", true);
        body.take(second, false, 100);
        body.send(second, upstream);
        // 9 bytes kept would pass the 8-byte limit: all are let go, and the body can no longer be sent again
        assertThat(body.sent()).isEqualTo(RequestBody.Sent.ALL);
        assertThat(body.canResend()).isFalse();
    }

    @Test
    void partsAreDroppedOnceTheExchangeNoLongerWantsThem() {
        body.discardRest();
        assertThat(body.received()).isEqualTo(RequestBody.Received.DISCARDING);
        HttpContent part = part("x", false);
        assertThat(body.take(part, false, 100)).isEqualTo(RequestBody.Taken.DROPPED);
        assertThat(part.refCnt()).isZero();
        HttpContent last = part("y", true);
        assertThat(body.take(last, false, 100)).isEqualTo(RequestBody.Taken.DROPPED_LAST);
        assertThat(body.isComplete()).isTrue();
        // dropped parts are not counted as the client's bytes
        assertThat(body.bytes()).isZero();
    }

    @Test
    void aBodyPastTheLimitOrMalformedIsReleasedAndSaidSo() {
        HttpContent big = part("0123456789", false);
        assertThat(body.take(big, false, 5)).isEqualTo(RequestBody.Taken.TOO_LARGE);
        assertThat(big.refCnt()).isZero();
        HttpContent broken = part("x", false);
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad chunk")));
        assertThat(new RequestBody().take(broken, false, 5)).isEqualTo(RequestBody.Taken.MALFORMED);
        assertThat(broken.refCnt()).isZero();
    }

    @Test
    void heldPartsComeBackOldestFirst() {
        HttpContent a = part("a", false);
        HttpContent b = part("b", true);
        body.hold(a);
        body.hold(b);
        assertThat(body.nextHeld()).isSameAs(a);
        assertThat(body.nextHeld()).isSameAs(b);
        assertThat(body.nextHeld()).isNull();
        a.release();
        b.release();
    }

    private static HttpContent part(String text, boolean last) {
        ByteBuf bytes = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        return last ? new DefaultLastHttpContent(bytes) : new DefaultHttpContent(bytes);
    }
}
