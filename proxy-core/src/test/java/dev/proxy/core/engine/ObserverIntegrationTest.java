package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.HttpProtocol;
import dev.proxy.core.ProxyError;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.RouteObserver;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the engine tells its observer, in what order, for real requests through a running proxy. */
class ObserverIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private final Recorder recorder = new Recorder();

    /** How an exchange ended, copied out of the record while it was valid. */
    record Ended(String method, String uri, String host, String route, String cluster, String endpoint, int status,
                 ProxyError error, int attempts, long bytesIn, long bytesOut, long durationNanos,
                 long upstreamNanos) {
    }

    /** Every event as a line, in the order the engine called them. */
    static final class Recorder implements ProxyObserver {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Ended> ended = new CopyOnWriteArrayList<>();

        @Override
        public void connectionOpened() {
            events.add("connection opened");
        }

        @Override
        public void connectionClosed() {
            events.add("connection closed");
        }

        @Override
        public void connectionRejected(ProxyError reason) {
            events.add("connection rejected " + reason.reason());
        }

        @Override
        public ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
            events.add("exchange " + request.method() + " " + request.uri());
            return new ExchangeObserver() {
                @Override
                public void attemptStarted(String cluster, Endpoint endpoint, HttpRequest upstreamRequest) {
                    upstreamRequest.headers().set("x-observed", "yes");
                    events.add("attempt " + cluster);
                }

                @Override
                public void attemptEnded(String cluster, int status, ProxyError error, long nanos) {
                    events.add("attempt ended " + status + " " + (error == null ? "-" : error.reason()));
                }

                @Override
                public void ended(ExchangeRecord r) {
                    events.add("ended " + r.status());
                    ended.add(new Ended(r.request().method().name(), r.uri(), r.host(), r.routeName(),
                            r.clusterName(), r.endpoint() == null ? null : r.endpoint().toString(), r.status(),
                            r.error(), r.attempts(), r.bytesIn(), r.bytesOut(), r.durationNanos(),
                            r.upstreamNanos()));
                }
            };
        }

        @Override
        public RouteObserver route(String name) {
            return r -> events.add("route " + name + " ended " + r.status());
        }

        @Override
        public RouteObserver unrouted() {
            return r -> events.add("unrouted ended " + r.status() + " " + r.error().reason());
        }

        @Override
        public ClusterObserver cluster(String name) {
            return new ClusterObserver() {
                @Override
                public void attemptEnded(int status, ProxyError error, long nanos) {
                    events.add("cluster " + name + " attempt ended " + status + " "
                            + (error == null ? "-" : error.reason()));
                }

                @Override
                public void connected(long nanos) {
                    events.add("pool " + name + " connected");
                }

                @Override
                public void connectFailed() {
                    events.add("pool " + name + " connect failed");
                }

                @Override
                public void leased(boolean reused) {
                    events.add("pool " + name + (reused ? " reused" : " leased new"));
                }
            };
        }
    }

    private TestProxy proxy(String endpoint, String server) throws InterruptedException {
        return closer.keep(TestProxy.start(server + """
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                """.formatted(endpoint), LoadBalancer.Factory.roundRobinOnly(), Resilience.NONE, recorder));
    }

    @Test
    void aForwardedRequestIsFollowedFromConnectionToEnd() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("four")));
        TestProxy proxy = proxy(backend.address(), "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /api/x?q=1 HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello").readResponse();
            c.send("GET /api/y HTTP/1.1\r\nHost: shop\r\n\r\n").readResponse();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("connection closed"));

        assertThat(recorder.events).containsExactly(
                "connection opened",
                "exchange POST /api/x?q=1", "attempt app", "pool app connected", "pool app leased new",
                "attempt ended 200 -", "cluster app attempt ended 200 -", "ended 200", "route api ended 200",
                "exchange GET /api/y", "attempt app", "pool app reused",
                "attempt ended 200 -", "cluster app attempt ended 200 -", "ended 200", "route api ended 200",
                "connection closed");
        assertThat(backend.lastRequest().headers().get("x-observed")).as("set by the observer").isEqualTo("yes");
        Ended post = recorder.ended.get(0);
        assertThat(post).usingRecursiveComparison().ignoringFields("durationNanos", "upstreamNanos")
                .isEqualTo(new Ended("POST", "/api/x?q=1", "shop", "api", "app", backend.address(), 200, null, 1,
                        5, 4, 0, 0));
        assertThat(post.upstreamNanos()).isPositive().isLessThanOrEqualTo(post.durationNanos());
    }

    @Test
    void aRefusedConnectIsAFailedAttemptAndA502() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TestProxy proxy = proxy("127.0.0.1:" + port, "");
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertThat(c.send("GET /api/x HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(502);
        }
        // the route observer hears the end last
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("route api ended 502"));

        assertThat(recorder.events).containsSubsequence("attempt app", "pool app connect failed",
                "attempt ended 0 upstream_connect_failure", "cluster app attempt ended 0 upstream_connect_failure",
                "ended 502", "route api ended 502");
        assertThat(recorder.ended.get(0).error()).isEqualTo(ProxyError.UPSTREAM_CONNECT_FAILURE);
        assertThat(recorder.ended.get(0).upstreamNanos()).as("no upstream answered")
                .isEqualTo(ExchangeRecord.NO_UPSTREAM_TIME);
    }

    @Test
    void anUnroutedRequestEndsWithoutAnAttempt() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        TestProxy proxy = proxy(backend.address(), "");
        assertThat(proxy.get("/elsewhere").statusCode()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.events.contains("unrouted ended 404 no_route"));

        Ended e = recorder.ended.get(0);
        assertThat(e.route()).isNull();
        assertThat(e.cluster()).isNull();
        assertThat(e.attempts()).isZero();
        assertThat(e.error()).isEqualTo(ProxyError.NO_ROUTE);
        assertThat(recorder.events).noneMatch(ev -> ev.startsWith("attempt") || ev.startsWith("cluster")
                || ev.startsWith("route"));
        assertThat(recorder.events).containsSubsequence("ended 404", "unrouted ended 404 no_route");
        assertThat(recorder.ended).hasSize(1);
    }

    @Test
    void connectionsSilentPastTheHeaderTimeoutAreReportedWithTheReason() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        TestProxy proxy = proxy(backend.address(), """
                server:
                  limits: { maxConnections: 1, requestHeaderTimeout: 200ms }
                """);
        try (RawHttp slow = new RawHttp(proxy.port())) {
            slow.send("GET /api/x HTTP/1.1\r\nHo");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> recorder.events.contains("connection rejected request_header_timeout"));
            assertThat(slow.readResponse().status()).isEqualTo(408);
        }
    }

    @Test
    void connectionsOverTheLimitAreReportedAsOverloaded() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("x")));
        // a header timeout far longer than the test: the first connection must still be open when the second comes
        TestProxy proxy = proxy(backend.address(), """
                server:
                  limits: { maxConnections: 1, requestHeaderTimeout: 60s }
                """);
        try (RawHttp first = new RawHttp(proxy.port())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().connectionCount() == 1);
            try (RawHttp second = new RawHttp(proxy.port())) {
                assertThat(second.isClosedByPeer()).isTrue();
            }
            assertThat(recorder.events).contains("connection rejected overloaded");
        }
    }

    @Test
    void noObserverMeansNoneOfTheseCalls() {
        assertThat(ProxyObserver.of(List.of(ProxyObserver.NONE, ProxyObserver.NONE))).isSameAs(ProxyObserver.NONE);
        assertThat(ProxyObserver.of(List.of(ProxyObserver.NONE, recorder))).isSameAs(recorder);
    }

    @Test
    void aCompositeHandsOutTheOnlyLiveClusterOrRouteObserverItself() {
        ClusterObserver cluster = new ClusterObserver() {
        };
        RouteObserver route = r -> { };
        ProxyObserver live = new ProxyObserver() {
            @Override
            public ClusterObserver cluster(String name) {
                return cluster;
            }

            @Override
            public RouteObserver route(String name) {
                return route;
            }
        };
        ProxyObserver both = ProxyObserver.of(List.of(new ProxyObserver() {
        }, live));
        assertThat(both.cluster("app")).isSameAs(cluster);
        assertThat(both.route("api")).isSameAs(route);
        assertThat(both.unrouted()).isSameAs(RouteObserver.NONE);
        ProxyObserver neither = ProxyObserver.of(List.of(new ProxyObserver() {
        }, new ProxyObserver() {
        }));
        assertThat(neither.cluster("app")).isSameAs(ClusterObserver.NONE);
        assertThat(neither.route("api")).isSameAs(RouteObserver.NONE);
    }
}
