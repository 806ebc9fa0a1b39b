package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The response direction's states and its relay of body parts, on embedded channels. */
class ResponseRelayTest {
    private final EmbeddedChannel client = new EmbeddedChannel();
    private final EmbeddedChannel upstream = new EmbeddedChannel();
    private final ResponseRelay relay = new ResponseRelay(client);

    @AfterEach
    void releaseAll() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    @Test
    void anInformationalResponseIsDroppedAndTheRealHeadIsStillAwaited() {
        relay.skipInformational();
        HttpContent end = new DefaultLastHttpContent();
        assertThat(relay.relay(end, upstream)).isEqualTo(ResponseRelay.Relayed.MORE);
        assertThat(relay.state()).isEqualTo(ResponseRelay.State.AWAITING_HEAD);
        assertThat(relay.started()).isFalse();
        assertThat((Object) client.readOutbound()).isNull();
    }

    @Test
    void theBodyIsRelayedAndCountedUntilItsLastPart() {
        relay.streaming(200, 5, true);
        assertThat(relay.started()).isTrue();
        assertThat(relay.relay(part("abc", false), upstream)).isEqualTo(ResponseRelay.Relayed.MORE);
        assertThat(relay.relay(part("de", true), upstream)).isEqualTo(ResponseRelay.Relayed.LAST);
        assertThat(relay.state()).isEqualTo(ResponseRelay.State.COMPLETE);
        assertThat(relay.bytes()).isEqualTo(5);
        assertThat(relay.status()).isEqualTo(200);
        assertThat(relay.startNanos()).isEqualTo(5);
        assertThat(relay.fromUpstream()).isTrue();
        assertThat(relay.upstreamReusable()).isTrue();
    }

    @Test
    void aMalformedPartIsReleasedNotRelayed() {
        relay.streaming(200, 0, true);
        HttpContent broken = part("x", false);
        broken.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad chunk")));
        assertThat(relay.relay(broken, upstream)).isEqualTo(ResponseRelay.Relayed.MALFORMED);
        assertThat(broken.refCnt()).isZero();
        assertThat((Object) client.readOutbound()).isNull();
    }

    @Test
    void aCutKeepsTheStatusTheClientWasSentAndAClientThatLeftFirstGets499() {
        relay.streaming(200, 0, true);
        relay.cut(502);
        assertThat(relay.wasCut()).isTrue();
        assertThat(relay.status()).isEqualTo(200);

        ResponseRelay gone = new ResponseRelay(client);
        gone.cut(499);
        assertThat(gone.ended()).isTrue();
        assertThat(gone.status()).isEqualTo(499);
    }

    @Test
    void theProxysOwnResponseHasNoUpstreamTime() {
        relay.answeredByProxy(404);
        assertThat(relay.ended()).isTrue();
        assertThat(relay.wasCut()).isFalse();
        assertThat(relay.status()).isEqualTo(404);
        assertThat(relay.fromUpstream()).isFalse();
        assertThat(relay.startNanos()).isEqualTo(ResponseRelay.NO_ATTEMPT);
    }

    private static HttpContent part(String text, boolean last) {
        return last ? new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII))
                : new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }
}
