package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@link AttemptLoop#retryAfter}: the {@code Retry-After} the breaker and the retry policy heed, or none. */
class AttemptLoopRetryAfterTest {

    private static HttpResponse answer(int code, String retryAfter) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code));
        if (retryAfter != null) {
            r.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
        }
        return r;
    }

    @Test
    void aServiceUnavailableOrTooManyRequestsCarriesItsRetryAfter() {
        assertThat(AttemptLoop.retryAfter(503, answer(503, "5")))
                .isEqualTo(OptionalLong.of(Duration.ofSeconds(5).toNanos()));
        assertThat(AttemptLoop.retryAfter(429, answer(429, "0"))).isEqualTo(OptionalLong.of(0));
    }

    @Test
    void noneWithoutTheHeaderOrWhenItCannotBeRead() {
        assertThat(AttemptLoop.retryAfter(503, answer(503, null))).isEmpty();
        assertThat(AttemptLoop.retryAfter(503, answer(503, "soon"))).isEmpty();
    }

    @Test
    void noneForOtherStatuses() {
        assertThat(AttemptLoop.retryAfter(200, answer(200, "5"))).isEmpty();
        assertThat(AttemptLoop.retryAfter(502, answer(502, "5"))).isEmpty();
    }
}
