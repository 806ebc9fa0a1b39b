package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.RouteConfig;
import org.junit.jupiter.api.Test;

/** How a redirect's {@code Location} is made from the request and the route. */
class LocalAnswersTest {
    @Test
    void keepsThePortWithTheSchemeAndDropsItWhenTheSchemeChanges() {
        assertThat(location("{ host: b.example }", "/p?q=1", "a.example:8080", false))
                .isEqualTo("http://b.example:8080/p?q=1");
        assertThat(location("{ scheme: https }", "/p", "a.example:8080", false)).isEqualTo("https://a.example/p");
        assertThat(location("{ scheme: https }", "/p", "[2001:db8::1]:8080", false))
                .isEqualTo("https://[2001:db8::1]/p");
        assertThat(location("{ path: /q }", "/p", "[2001:db8::1]:8443", true))
                .isEqualTo("https://[2001:db8::1]:8443/q");
    }

    @Test
    void neverWritesTheSchemesDefaultPort() {
        assertThat(location("{ scheme: https, port: 443 }", "/", "a.example", false)).isEqualTo("https://a.example/");
        assertThat(location("{ port: 80 }", "/", "a.example:8080", false)).isEqualTo("http://a.example/");
        assertThat(location("{ port: 8443, scheme: https }", "/", "a.example", false))
                .isEqualTo("https://a.example:8443/");
    }

    @Test
    void withoutAnyHostTheLocationIsThePathAlone() {
        assertThat(location("{ path: /moved }", "/p?x", null, false)).isEqualTo("/moved?x");
    }

    @Test
    void rewritesTheMatchedPrefixLikeRewritePathPrefix() {
        RouteConfig route = route("match: { pathPrefix: /api/ }\n    redirect: { prefixRewrite: /v2/ }");
        RequestTarget t = RequestTarget.parse("/api/users/7?x=1", "a.example");
        assertThat(LocalAnswers.location(route.redirect().get(), route, t, false))
                .isEqualTo("http://a.example/v2/users/7?x=1");
    }

    private static String location(String redirect, String uri, String host, boolean tls) {
        RouteConfig route = route("redirect: " + redirect);
        return LocalAnswers.location(route.redirect().get(), route, RequestTarget.parse(uri, host), tls);
    }

    private static RouteConfig route(String lines) {
        return ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - name: r
                    %s
                """.formatted(lines), "test.yaml").routes().get(0);
    }
}
