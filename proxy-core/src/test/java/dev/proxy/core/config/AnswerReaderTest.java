package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** A route's {@code redirect} and {@code directResponse}: read with their defaults, refused with their paths. */
class AnswerReaderTest {
    @Test
    void readsARedirectWithItsDefaultsAndNoCluster() {
        RouteConfig route = route("redirect: { scheme: HTTPS }");
        assertThat(route.clusters()).isEmpty();
        assertThat(route.answersItself()).isTrue();
        assertThat(route.redirect()).contains(new RedirectConfig(Optional.of("https"), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty(), 301));
    }

    @Test
    void readsADirectResponseWithItsDefaults() {
        RouteConfig route = route("directResponse: { body: ok }");
        assertThat(route.directResponse()).contains(new DirectResponseConfig(200, "ok",
                "text/plain; charset=utf-8"));
    }

    @Test
    void refusesAnAnswerBesideAClusterOrBesideTheOther() {
        assertThat(problemsOf("""
                - name: r
                  cluster: app
                  redirect: { scheme: https }
                """)).containsExactly("routes[0].redirect: a route that answers itself has no cluster: give one of"
                + " cluster, weightedClusters, redirect and directResponse (line 7)");
        assertThat(problemsOf("""
                - name: r
                  redirect: { scheme: https }
                  directResponse: { status: 200 }
                """)).containsExactly("routes[0].directResponse: give either redirect or directResponse, not both"
                + " (line 7)");
    }

    @Test
    void refusesWhatWouldNeverRunBesideAnAnswer() {
        assertThat(problemsOf("""
                - name: r
                  match: { pathPrefix: /a/ }
                  redirect: { scheme: https }
                  rewrite: { pathPrefix: /b/ }
                  retry: { attempts: 2 }
                  headers: { request: { set: { x-a: b } }, response: { set: { x-c: d } } }
                """)).containsExactlyInAnyOrder(
                "routes[0].rewrite: does not apply to a route with redirect, which answers without an upstream"
                        + " (line 8)",
                "routes[0].retry: does not apply to a route with redirect, which answers without an upstream"
                        + " (line 9)",
                "routes[0].headers.request: does not apply to a route with redirect, which answers without an"
                        + " upstream");
    }

    @Test
    void refusesBadRedirects() {
        assertThat(problemsOf("""
                - name: r
                  redirect: { scheme: ftp, host: "a b", port: 0, path: "/x?y", prefixRewrite: /z, status: 200 }
                """)).containsExactlyInAnyOrder(
                "routes[0].redirect.scheme: 'ftp' is not http or https (line 6)",
                "routes[0].redirect.host: 'a b' is not a host name (give a port under port) (line 6)",
                "routes[0].redirect.port: must be between 1 and 65535, was 0 (line 6)",
                "routes[0].redirect.path: '/x?y' must start with / and hold only URL path characters (no spaces,"
                        + " ? or #) (line 6)",
                "routes[0].redirect.prefixRewrite: give either path or prefixRewrite, not both (line 6)",
                "routes[0].redirect.status: 200 is not a redirect status: 301, 302, 303, 307 or 308 (line 6)");
        assertThat(problemsOf("""
                - name: r
                  redirect: { prefixRewrite: /z }
                """)).containsExactly("routes[0].redirect.prefixRewrite: needs match.pathPrefix: only a matched"
                + " prefix can be rewritten (line 6)");
        assertThat(problemsOf("""
                - name: r
                  redirect: { status: 302 }
                """)).containsExactly("routes[0].redirect: give at least one of scheme, host, port, path and"
                + " prefixRewrite: a redirect to the same URL would loop");
    }

    @Test
    void refusesBadDirectResponses() {
        assertThat(problemsOf("""
                - name: r
                  directResponse: { status: 204, body: x, contentType: "${route}" }
                """)).containsExactlyInAnyOrder(
                "routes[0].directResponse.body: a 204 has no body (line 6)",
                "routes[0].directResponse.contentType: must be a media type such as text/html; charset=utf-8"
                        + " (line 6)");
        assertThat(problemsOf("""
                - name: r
                  directResponse: { status: 100 }
                """)).singleElement().asString().startsWith("routes[0].directResponse.status: must be between 200"
                + " and 599");
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

    private static List<String> problemsOf(String routes) {
        String yaml = """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                """ + routes.indent(2);
        return catchThrowableOfType(() -> ConfigReader.read(yaml, "test.yaml"), ConfigException.class).problems();
    }
}
