package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A route's {@code headers} block: what is read, in which order, and what is refused with its path. */
class HeadersReaderTest {
    @Test
    void readsBothDirectionsInFileOrderWithLowerCaseNames() {
        HeadersConfig headers = route("""
                headers:
                      request:
                        set: { X-Env: prod, x-client: "ip=${client_ip} route=${route}" }
                        add: { x-tag: a }
                        remove: [ X-Debug ]
                      response:
                        set: { cache-control: no-store }
                        remove: [ server ]
                """).headers();

        assertThat(headers.request().set()).containsOnlyKeys("x-env", "x-client");
        assertThat(List.copyOf(headers.request().set().keySet())).containsExactly("x-env", "x-client");
        HeaderValue client = headers.request().set().get("x-client");
        assertThat(client.literals()).containsExactly("ip=", " route=", "");
        assertThat(client.variables()).containsExactly(HeaderVariable.CLIENT_IP, HeaderVariable.ROUTE);
        assertThat(headers.request().add().get("x-tag").isLiteral()).isTrue();
        assertThat(headers.request().remove()).containsExactly("x-debug");
        assertThat(headers.response().set().get("cache-control").text()).isEqualTo("no-store");
        assertThat(headers.response().remove()).containsExactly("server");
        assertThat(headers.response().add()).isEmpty();
    }

    @Test
    void aRouteWithoutHeadersHasNoEdits() {
        assertThat(route("timeout: 5s").headers()).isEqualTo(HeadersConfig.NONE);
    }

    @Test
    void parsesEveryVariableAndKeepsALoneDollarLiteral() {
        HeaderValue v = HeaderValue.parse("$5 ${request_id}/${host}/${tls_identity}$");
        assertThat(v.variables()).containsExactly(HeaderVariable.REQUEST_ID, HeaderVariable.HOST,
                HeaderVariable.TLS_IDENTITY);
        assertThat(v.literals()).containsExactly("$5 ", "/", "/", "$");
    }

    @Test
    void refusesHopByHopFramingAndHostWithTheirPath() {
        assertThat(problemsOf("""
                headers:
                      request:
                        set: { Content-Length: "5", host: a.example }
                        add: { transfer-encoding: chunked, proxy-authorization: x }
                        remove: [ connection, te ]
                      response:
                        set: { keep-alive: "timeout=5" }
                        remove: [ upgrade ]
                """)).containsExactlyInAnyOrder(
                "routes[0].headers.request.set.Content-Length: is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection",
                "routes[0].headers.request.set.host: is the proxy's to write: change it with the route's"
                        + " rewrite.host",
                "routes[0].headers.request.add.transfer-encoding: is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection",
                "routes[0].headers.request.add.proxy-authorization: is a hop-by-hop or framing header, which the"
                        + " proxy manages for each connection",
                "routes[0].headers.request.remove: 'connection' is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection (line 11)",
                "routes[0].headers.request.remove: 'te' is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection (line 11)",
                "routes[0].headers.response.set.keep-alive: is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection",
                "routes[0].headers.response.remove: 'upgrade' is a hop-by-hop or framing header, which the proxy"
                        + " manages for each connection (line 14)");
    }

    @Test
    void refusesWritingTheForwardingHeadersButAllowsRemovingTheClientsOnes() {
        assertThat(problemsOf("""
                headers:
                      request:
                        set: { x-forwarded-proto: https }
                        add: { via: "1.1 other" }
                        remove: [ x-forwarded-for, x-forwarded-host, via ]
                """)).containsExactly(
                "routes[0].headers.request.set.x-forwarded-proto: is written by the proxy after the edits; it may"
                        + " only be removed (the client's value)",
                "routes[0].headers.request.add.via: is written by the proxy after the edits; it may only be removed"
                        + " (the client's value)");
    }

    @Test
    void refusesBadValuesUnknownVariablesAndUnknownKeys() {
        assertThat(problemsOf("""
                headers:
                      request:
                        set: { x-a: "${client_address}", x-b: "${route", x-c: "" }
                        replace: { x-d: e }
                      response:
                        add: { 'x e': f }
                """)).containsExactlyInAnyOrder(
                "routes[0].headers.request.set.x-a: '${client_address}' is not a variable; use one of ${client_ip},"
                        + " ${request_id}, ${route}, ${host}, ${tls_identity}",
                "routes[0].headers.request.set.x-b: '${' at 0 is not closed by '}'",
                "routes[0].headers.request.set.x-c: needs a value; to drop the header, list it under remove",
                "routes[0].headers.request.replace: unknown key (line 10)",
                "routes[0].headers.response.add.x e: is not a header name");
    }

    private static RouteConfig route(String lines) {
        return ConfigReader.read(withRoute(lines), "test.yaml").routes().get(0);
    }

    private static List<String> problemsOf(String lines) {
        return catchThrowableOfType(() -> ConfigReader.read(withRoute(lines), "test.yaml"), ConfigException.class)
                .problems();
    }

    /** A valid file whose only route gets the given lines; its first one is line 7. */
    private static String withRoute(String routeLines) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - name: r
                    cluster: app
                    %s
                """.formatted(routeLines);
    }
}
