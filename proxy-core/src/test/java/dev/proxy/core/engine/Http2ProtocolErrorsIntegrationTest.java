package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.LogCapture;
import dev.proxy.core.testing.RawHttp2;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client's HTTP/2 protocol errors against the running proxy, one per kind h2spec checks, written frame by frame:
 * each is answered with its RFC 9113 code (RST_STREAM for a stream error, GOAWAY for a connection error), counted by
 * that code, logged at most at debug, and a malformed request never reaches the upstream. The connection outlives a
 * stream error: a next request on it is served.
 */
class Http2ProtocolErrorsIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    /** {@code "protocol_error stream"}, ... as the observer was told. */
    private final List<String> counted = new CopyOnWriteArrayList<>();
    private final ProxyObserver observer = new ProxyObserver() {
        @Override
        public void http2ProtocolError(Http2Error error, boolean connection) {
            counted.add(error.name().toLowerCase() + (connection ? " connection" : " stream"));
        }
    };
    private TestBackend backend;
    private RawHttp2 h2;
    private LogCapture log;

    @BeforeEach
    void start() throws Exception {
        backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: app
                    cluster: app
                """.formatted(backend.address()), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, observer));
        log = LogCapture.open();
        h2 = RawHttp2.connect(proxy.port());
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.serverSettings() != null);
    }

    @AfterEach
    void stop() {
        h2.close();
        log.close();
    }

    private static Http2Headers get() {
        return new DefaultHttp2Headers().method("GET").path("/").scheme("http").authority("test");
    }

    private static Http2Headers post() {
        return new DefaultHttp2Headers().method("POST").path("/").scheme("http").authority("test");
    }

    /** Waits for stream {@code id}'s reset and checks its code, the count, and that the log stayed quiet. */
    private void assertReset(int id, Http2Error code) {
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.resetError(id) != null);
        assertThat(h2.resetError(id)).isEqualTo(code.code());
        assertThat(h2.status(id)).as("no response, a 500 least of all").isNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> !counted.isEmpty());
        assertThat(counted).containsExactly(code.name().toLowerCase() + " stream");
        assertThat(log.warnings()).isEmpty();
    }

    /** The connection survived: a next request on it is answered. */
    private void assertConnectionServesNextStream(int id) {
        h2.request(id, "GET", "/next", true);
        h2.flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(id));
        assertThat(h2.status(id)).isEqualTo("200");
        assertThat(h2.goAwayError()).isEqualTo(-1L);
    }

    private void assertGoAway(Http2Error code) {
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.goAwayError() >= 0);
        assertThat(h2.goAwayError()).isEqualTo(code.code());
        await().atMost(Duration.ofSeconds(10)).until(() -> !counted.isEmpty());
        assertThat(counted).containsExactly(code.name().toLowerCase() + " connection");
        assertThat(log.warnings()).isEmpty();
    }

    @Test
    void aRequestWithoutMethodSchemeOrPathIsResetAndNeverSentUpstream() {
        h2.headers(1, new DefaultHttp2Headers().path("/").scheme("http").authority("test"), true);
        h2.flush();
        assertReset(1, Http2Error.PROTOCOL_ERROR);
        h2.headers(3, new DefaultHttp2Headers().method("GET").path("/").authority("test"), true);
        h2.headers(5, new DefaultHttp2Headers().method("GET").scheme("http").authority("test"), true);
        h2.flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.resetError(3) != null && h2.resetError(5) != null);
        assertThat(h2.resetError(3)).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        assertThat(h2.resetError(5)).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        assertConnectionServesNextStream(7);
        assertThat(backend.requestCount()).as("only the well-formed request went upstream").isEqualTo(1);
        assertThat(counted).hasSize(3);
        assertThat(log.warnings()).isEmpty();
    }

    @Test
    void aPseudoHeaderInTrailersResetsTheStream() {
        h2.headers(1, post(), false);
        h2.data(1, "body".getBytes(StandardCharsets.US_ASCII), false);
        h2.headers(1, new DefaultHttp2Headers().method("POST").add("x-trailer", "t"), true);
        h2.flush();
        assertReset(1, Http2Error.PROTOCOL_ERROR);
        assertConnectionServesNextStream(3);
    }

    @Test
    void aSecondHeadersWithoutEndStreamResetsTheStream() {
        h2.headers(1, post(), false);
        h2.headers(1, new DefaultHttp2Headers().add("x-more", "m"), false);
        h2.flush();
        assertReset(1, Http2Error.PROTOCOL_ERROR);
        assertConnectionServesNextStream(3);
    }

    @Test
    void aWindowUpdateOfZeroOnAStreamResetsIt() {
        h2.headers(1, post(), false);
        h2.windowUpdate(1, 0);
        h2.flush();
        assertReset(1, Http2Error.PROTOCOL_ERROR);
        // trailers the client sent before it learnt of the reset: ignored (RFC 9113 §5.1), not a connection error
        h2.headers(1, new DefaultHttp2Headers().add("x-trailer", "t"), true);
        assertConnectionServesNextStream(3);
    }

    @Test
    void aStreamWindowPushedPast2To31Minus1ResetsTheStream() {
        h2.headers(1, post(), false);
        h2.windowUpdate(1, Integer.MAX_VALUE);
        h2.windowUpdate(1, Integer.MAX_VALUE);
        h2.flush();
        assertReset(1, Http2Error.FLOW_CONTROL_ERROR);
        assertConnectionServesNextStream(3);
    }

    @Test
    void headersOnAHalfClosedStreamResetIt() {
        h2.headers(1, get(), true);
        h2.headers(1, get(), true);
        h2.flush();
        assertReset(1, Http2Error.STREAM_CLOSED);
        assertConnectionServesNextStream(3);
    }

    @Test
    void headersOnAClosedStreamAreAConnectionError() {
        h2.headers(1, get(), true);
        h2.flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> h2.ended(1));
        h2.headers(1, get(), true);
        h2.flush();
        assertGoAway(Http2Error.STREAM_CLOSED);
    }

    @Test
    void aStreamIdBelowAnEarlierOneIsAConnectionError() {
        h2.headers(5, get(), true);
        h2.headers(3, get(), true);
        h2.flush();
        assertGoAway(Http2Error.PROTOCOL_ERROR);
    }
}
