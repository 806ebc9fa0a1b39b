package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A gRPC call the proxy fails itself gets gRPC's answer (200, {@code grpc-status}, {@code grpc-message}), and the
 * caller's {@code grpc-timeout} bounds the call when it is shorter than the route's timeout.
 */
class GrpcErrorIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    private static final String CALL = "POST /pkg.Service/Method HTTP/1.1\r\nHost: a\r\ncontent-type: application/grpc"
            + "\r\nte: trailers\r\ncontent-length: 5\r\n%s\r\n\0\0\0\0\0";

    /** A proxy whose one route serves /other/: every call here finds no route. */
    private TestProxy proxyRoutingOnlyOther() throws InterruptedException {
        return closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: 127.0.0.1:9 } ]
                routes:
                  - name: other
                    match: { pathPrefix: /other/ }
                    cluster: app
                """));
    }

    @Test
    void aCallWithNoRouteIsUnimplemented() throws Exception {
        TestProxy proxy = proxyRoutingOnlyOther();
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send(CALL.formatted("")).readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("content-type")).isEqualTo("application/grpc");
            assertThat(r.header("grpc-status")).isEqualTo("12");
            assertThat(r.header("grpc-message")).isEqualTo("no_route");
            assertThat(r.header("x-proxy-error")).isEqualTo("no_route");
            assertThat(r.body()).isEmpty();
        }
    }

    @Test
    void theCallersTimeoutEndsTheCallAsDeadlineExceeded() throws Exception {
        // an upstream that takes the call and never answers
        TestBackend silent = closer.keep(TestBackend.http((ctx, req) -> { }));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                    timeouts: { responseHeader: 1m }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                    timeout: 1m
                """.formatted(silent.address())));
        try (RawHttp c = new RawHttp(proxy.port())) {
            // the route would wait a minute, longer than the socket's 10 s read timeout: only grpc-timeout answers
            RawHttp.Response r = c.send(CALL.formatted("grpc-timeout: 200m\r\n")).readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("grpc-status")).isEqualTo("4");
            assertThat(r.header("x-proxy-error")).isEqualTo("route_timeout");
        }
    }

    @Test
    void aPlainHttpRequestStillGetsTheTextAnswer() throws Exception {
        TestProxy proxy = proxyRoutingOnlyOther();
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.header("grpc-status")).isNull();
        }
    }

    @ParameterizedTest
    @CsvSource({"200m, 200000000", "2S, 2000000000", "1M, 60000000000", "5u, 5000", "7n, 7", "1H, 3600000000000",
        "12345678m, 12345678000000", "123456789m, -1", "10, -1", "m, -1", "1x, -1", "-1m, -1"})
    void readsTheGrpcTimeoutForms(String header, long nanos) {
        assertThat(Grpc.timeoutNanos(header)).isEqualTo(nanos);
    }

    @Test
    void everyProxyErrorHasAGrpcStatus() {
        assertThat(ProxyError.ROUTE_TIMEOUT.grpcStatus()).isEqualTo(4);
        assertThat(ProxyError.RATE_LIMITED.grpcStatus()).isEqualTo(8);
        assertThat(ProxyError.CIRCUIT_OPEN.grpcStatus()).isEqualTo(14);
        assertThat(ProxyError.CLIENT_CLOSED.grpcStatus()).isEqualTo(1);
        for (ProxyError e : ProxyError.values()) {
            assertThat(e.grpcStatus()).as(e.reason()).isBetween(1, 16);
        }
    }
}
