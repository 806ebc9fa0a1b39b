package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A bug or an overload in one place costs one request or one connection, never the proxy. */
class FailureContainmentIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void turnsAnExceptionWhileHandlingARequestIntoOne500AndKeepsServing() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        // a balancer that throws for one path stands in for any bug on the request path
        LoadBalancer.Factory buggy = (config, endpoints, load) -> {
            LoadBalancer real = LoadBalancer.roundRobin(endpoints);
            return (request, client) -> {
                if (request.uri().startsWith("/boom")) {
                    throw new IllegalStateException("bug in a balancer");
                }
                return real.pick(request, client);
            };
        };
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address()), buggy));
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("GET /boom HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.header("x-proxy-error")).isEqualTo("internal_error");
            // the same connection goes on working
            RawHttp.Response next = c.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("fine");
        }
    }

    @Test
    void closesConnectionsBeyondMaxConnectionsAndServesTheOthers() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestProxy proxy = closer.keep(TestProxy.start("""
                server:
                  limits: { maxConnections: 2 }
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(backend.address())));
        RawHttp first = closer.keep(new RawHttp(proxy.port()));
        RawHttp second = closer.keep(new RawHttp(proxy.port()));
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().connectionCount() == 2);
        try (RawHttp third = new RawHttp(proxy.port())) {
            assertThat(third.isClosedByPeer()).isTrue();
        }
        assertThat(first.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(200);
        assertThat(second.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status()).isEqualTo(200);
        first.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().connectionCount() == 1);
        try (Socket s = new Socket("127.0.0.1", proxy.port()); RawHttp fourth = new RawHttp(proxy.port())) {
            // one slot was freed: of these two new connections exactly one is admitted
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().connectionCount() == 2);
        }
    }
}
