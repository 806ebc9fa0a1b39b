package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A cluster's header edits apply to every route's requests to it and its responses, before the route's own. */
class ClusterHeaderEditsIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();

    @Test
    void aClusterDefaultAppliesToEveryRouteAndARoutesSetWins() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http((ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.OK, "ok", true);
            r.headers().set("x-backend", "b1");
            ctx.writeAndFlush(r);
        }));
        TestProxy proxy = closer.keep(TestProxy.start("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                    headers:
                      request:
                        set: { x-api-key: cluster-key, x-tier: cluster }
                        remove: [ x-debug ]
                      response:
                        set: { x-served-by: app }
                        remove: [ x-backend ]
                routes:
                  - name: override
                    match: { pathPrefix: /override }
                    cluster: app
                    headers:
                      request:
                        set: { x-tier: route }
                      response:
                        set: { x-served-by: route }
                  - name: plain
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address())));
        try (RawHttp http = new RawHttp(proxy.port())) {
            http.send("GET /plain HTTP/1.1\r\nHost: a\r\nx-debug: 1\r\n\r\n");
            RawHttp.Response plain = http.readResponse();
            FullHttpRequest seen = backend.lastRequest();
            assertThat(seen.headers().get("x-api-key")).isEqualTo("cluster-key");
            assertThat(seen.headers().getAll("x-tier")).containsExactly("cluster");
            assertThat(seen.headers().contains("x-debug")).isFalse();
            assertThat(plain.header("x-served-by")).isEqualTo("app");
            assertThat(plain.header("x-backend")).isNull();

            http.send("GET /override HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response override = http.readResponse();
            seen = backend.lastRequest();
            assertThat(seen.headers().get("x-api-key")).isEqualTo("cluster-key");
            assertThat(seen.headers().getAll("x-tier")).containsExactly("route");
            assertThat(override.header("x-served-by")).isEqualTo("route");
        }
    }
}
