package dev.proxy.observability.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.RouteObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.Test;

/** The meters a route's and a cluster's observer record into, with the names and tags the exposition shows. */
class ProxyMetersTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ProxyMeters meters = new ProxyMeters(registry);

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void followsNoRequestItself() {
        assertThat(meters.exchangeStarted(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"),
                HttpProtocol.HTTP_1_1)).isSameAs(ExchangeObserver.NONE);
    }

    @Test
    void countsHttp2ProtocolErrorsByTheCodeSentAndItsScope() {
        meters.http2ProtocolError(Http2Error.PROTOCOL_ERROR, false);
        meters.http2ProtocolError(Http2Error.PROTOCOL_ERROR, false);
        meters.http2ProtocolError(Http2Error.PROTOCOL_ERROR, true);
        meters.http2ProtocolError(Http2Error.FLOW_CONTROL_ERROR, false);

        assertThat(count("proxy.http2.protocol.errors", "reason", "protocol_error", "scope", "stream")).isEqualTo(2);
        assertThat(count("proxy.http2.protocol.errors", "reason", "protocol_error", "scope", "connection"))
                .isEqualTo(1);
        assertThat(count("proxy.http2.protocol.errors", "reason", "flow_control_error", "scope", "stream"))
                .isEqualTo(1);
        assertThat(registry.find("proxy.http2.protocol.errors").counters()).as("only what happened").hasSize(3);
    }

    @Test
    void aRouteOrClusterNameAlwaysGetsTheSameMeters() {
        assertThat(meters.route("api")).isSameAs(meters.route("api")).isNotSameAs(meters.route("web"));
        assertThat(meters.unrouted()).isSameAs(meters.unrouted());
        assertThat(meters.cluster("app")).isSameAs(meters.cluster("app"));
    }

    @Test
    void aRouteThatServedNothingShowsNothing() {
        meters.route("idle");

        assertThat(registry.getMeters()).noneMatch(m -> "idle".equals(m.getId().getTag("route")));
    }

    @Test
    void countsARouteRequestsByMethodAndStatusClassWithTheirDurationBytesAndErrors() {
        RouteObserver api = meters.route("api");
        api.ended(FinishedExchange.of(HttpMethod.GET, "api", 200, null));
        api.ended(FinishedExchange.of(HttpMethod.GET, "api", 204, null));
        api.ended(FinishedExchange.of(HttpMethod.valueOf("PROPFIND"), "api", 503, ProxyError.CIRCUIT_OPEN));

        assertThat(count("proxy.requests", "route", "api", "method", "GET", "status_class", "2xx")).isEqualTo(2);
        assertThat(count("proxy.requests", "route", "api", "method", "OTHER", "status_class", "5xx")).isEqualTo(1);
        assertThat(count("proxy.errors", "route", "api", "reason", "circuit_open")).isEqualTo(1);
        assertThat(registry.get("proxy.request.duration").tags("route", "api").timer().count()).isEqualTo(3);
        assertThat(count("proxy.request.body", "route", "api")).isEqualTo(15);
        assertThat(count("proxy.response.body", "route", "api")).isEqualTo(21);
    }

    @Test
    void requestsNoRouteTookCountUnderUnrouted() {
        meters.unrouted().ended(FinishedExchange.of(HttpMethod.GET, null, 404, ProxyError.NO_ROUTE));

        assertThat(count("proxy.errors", "route", "unrouted", "reason", "no_route")).isEqualTo(1);
        assertThat(count("proxy.requests", "route", "unrouted", "method", "GET", "status_class", "4xx"))
                .isEqualTo(1);
    }

    @Test
    void countsAClusterAttemptsRetriesAndBreakerTransitionsByOutcome() {
        ClusterObserver app = meters.cluster("app");
        app.attemptEnded(503, null, 2_000_000);
        app.retrying(503, null);
        app.attemptEnded(0, ProxyError.UPSTREAM_RESET, 1_000_000);
        app.retrying(0, ProxyError.UPSTREAM_RESET);
        app.attemptEnded(200, null, 1_000_000);
        app.retrying(503, null);
        app.breakerTransition("open");
        app.breakerTransition("half_open");
        app.breakerTransition("open");

        assertThat(count("proxy.upstream.attempts", "cluster", "app", "outcome", "5xx")).isEqualTo(1);
        assertThat(count("proxy.upstream.attempts", "cluster", "app", "outcome", "upstream_reset")).isEqualTo(1);
        assertThat(count("proxy.upstream.attempts", "cluster", "app", "outcome", "2xx")).isEqualTo(1);
        assertThat(registry.get("proxy.upstream.latency").tags("cluster", "app", "status_class", "error").timer()
                .count()).isEqualTo(1);
        assertThat(count("proxy.upstream.retries", "cluster", "app", "reason", "503")).isEqualTo(2);
        assertThat(count("proxy.upstream.retries", "cluster", "app", "reason", "upstream_reset")).isEqualTo(1);
        assertThat(count("proxy.circuit.breaker.transitions", "cluster", "app", "to", "open")).isEqualTo(2);
        assertThat(count("proxy.circuit.breaker.transitions", "cluster", "app", "to", "half_open")).isEqualTo(1);
        assertThat(registry.get("proxy.circuit.breaker.transitions").counters()).hasSize(2);
    }

    @Test
    void countsStaleKeepAliveClosesRetirementsAndFailuresByEndpoint() {
        ClusterObserver app = meters.cluster("app");
        app.staleClose("10.0.0.1:80");
        app.staleClose("10.0.0.1:80");
        app.staleClose("10.0.0.2:80");
        app.retiredByLearnedIdleTimeout("10.0.0.1:80");
        app.staleRequestFailed("10.0.0.2:80");

        assertThat(count("proxy.upstream.stale.closes", "cluster", "app", "endpoint", "10.0.0.1:80")).isEqualTo(2);
        assertThat(count("proxy.upstream.stale.closes", "cluster", "app", "endpoint", "10.0.0.2:80")).isEqualTo(1);
        assertThat(count("proxy.upstream.connections.retired.idle", "cluster", "app", "endpoint", "10.0.0.1:80"))
                .isEqualTo(1);
        assertThat(count("proxy.upstream.stale.failures", "cluster", "app", "endpoint", "10.0.0.2:80")).isEqualTo(1);
    }

    @Test
    void connectionsTurnedAwayAndHandshakesAreCountedByReasonAndProtocol() {
        meters.connectionRejected(ProxyError.OVERLOADED);
        meters.connectionRejected(ProxyError.OVERLOADED);
        meters.tlsHandshake(true, "TLSv1.3", 1_000_000);
        meters.tlsHandshake(true, "TLSv1.3", 1_000_000);
        meters.tlsHandshake(false, "not_tls", 1_000_000);

        assertThat(count("proxy.connections.rejected", "reason", "overloaded")).isEqualTo(2);
        assertThat(count("proxy.tls.handshakes", "protocol", "TLSv1.3")).isEqualTo(2);
        assertThat(count("proxy.tls.handshake.failures", "reason", "not_tls")).isEqualTo(1);
        assertThat(registry.get("proxy.tls.handshake").timer().count()).isEqualTo(2);
    }
}
