package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.runtime.RoutePlan;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The head the upstream gets, as pure functions of the client's head and the route. */
class UpstreamHeadTest {

    @Test
    void theRoutesPrefixRewriteReplacesWhatItMatchedWithOneSlash() {
        RouteConfig route = route("match: { pathPrefix: /api/ }\n    rewrite: { pathPrefix: /v2/ }");
        assertThat(RoutePlan.of(route).upstreamPath("/api/users/7")).isEqualTo("/v2/users/7");
        assertThat(RoutePlan.of(route).upstreamPath("/api/")).isEqualTo("/v2/");
        RouteConfig toRoot = route("match: { pathPrefix: /api }\n    rewrite: { pathPrefix: / }");
        assertThat(RoutePlan.of(toRoot).upstreamPath("/api")).isEqualTo("/");
        assertThat(RoutePlan.of(toRoot).upstreamPath("/api/x")).isEqualTo("/x");
        assertThat(RoutePlan.of(route("match: { pathPrefix: /x }")).upstreamPath("/x/y")).isEqualTo("/x/y");
    }

    @Test
    void theHostIsTheRewriteElseTheClientsElseTheEndpoint() {
        RequestTarget withHost = RequestTarget.parse("/p", "a.example");
        RequestTarget without = RequestTarget.parse("/p", null);
        assertThat(UpstreamHead.host(route("match: { pathPrefix: / }"), withHost, "10.0.0.1:80"))
                .isEqualTo("a.example");
        assertThat(UpstreamHead.host(route("match: { pathPrefix: / }"), without, "10.0.0.1:80"))
                .isEqualTo("10.0.0.1:80");
        assertThat(UpstreamHead.host(route("rewrite: { host: b.internal }"), withHost, "10.0.0.1:80"))
                .isEqualTo("b.internal");
    }

    @Test
    void theDeadlineHeaderCarriesTheMillisecondsLeftAndNeverZero() {
        RouteConfig route = route("timeout: 2s\n    deadlineHeader: x-deadline-ms");
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        UpstreamHead.setDeadline(RoutePlan.of(route), r, TimeUnit.MILLISECONDS.toNanos(1500));
        assertThat(r.headers().get("x-deadline-ms")).isEqualTo("1500");
        UpstreamHead.setDeadline(RoutePlan.of(route), r, 10);
        assertThat(r.headers().get("x-deadline-ms")).isEqualTo("1");
    }

    @Test
    void onlyIdempotentMethodsMaySeeASecondAttemptAfterReachingTheUpstream() {
        assertThat(UpstreamHead.isIdempotent(HttpMethod.GET)).isTrue();
        assertThat(UpstreamHead.isIdempotent(HttpMethod.PUT)).isTrue();
        assertThat(UpstreamHead.isIdempotent(HttpMethod.DELETE)).isTrue();
        assertThat(UpstreamHead.isIdempotent(HttpMethod.POST)).isFalse();
        assertThat(UpstreamHead.isIdempotent(HttpMethod.PATCH)).isFalse();
    }

    private static RouteConfig route(String lines) {
        return ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - name: r
                    cluster: app
                    %s
                """.formatted(lines), "test.yaml").routes().get(0);
    }
}
