package dev.proxy.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.RouteMatch;
import dev.proxy.core.config.WeightedCluster;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static final HttpHeaders NO_HEADERS = headers();

    @Nested
    class Precedence {
        @Test
        void firstRouteInFileOrderWinsOverAMoreSpecificLaterOne() {
            RouteTable table = RouteTable.of(List.of(
                    route("catch-all").prefix("/").build(),
                    route("exact").host("api.example.com").exact("/users/42").methods("GET").build()));

            assertThat(matched(table, "api.example.com", "/users/42")).hasValue("catch-all");
        }

        @Test
        void anExactHostDoesNotWinByItselfOrderDecides() {
            RouteTable table = RouteTable.of(List.of(
                    route("any-host").prefix("/api/").build(),
                    route("wildcard").host("*.example.com").prefix("/api/").build(),
                    route("exact-host").host("api.example.com").prefix("/api/").build()));

            assertThat(matched(table, "api.example.com", "/api/x")).hasValue("any-host");
        }

        @Test
        void aLaterWildcardLosesToAnEarlierExactHostAndWinsOverALaterAnyHost() {
            RouteTable table = RouteTable.of(List.of(
                    route("exact-host").host("api.example.com").prefix("/").build(),
                    route("wildcard").host("*.example.com").prefix("/").build(),
                    route("any-host").prefix("/").build()));

            assertThat(matched(table, "api.example.com", "/")).hasValue("exact-host");
            assertThat(matched(table, "www.example.com", "/")).hasValue("wildcard");
            assertThat(matched(table, "example.org", "/")).hasValue("any-host");
        }

        @Test
        void aShorterEarlierPrefixWinsOverALongerLaterOne() {
            RouteTable table = RouteTable.of(List.of(
                    route("short").prefix("/api/").build(),
                    route("long").prefix("/api/v1/users/").build()));

            assertThat(matched(table, "h", "/api/v1/users/7")).hasValue("short");
        }

        @Test
        void anEarlierRegexWinsOverALaterExactPath() {
            RouteTable table = RouteTable.of(List.of(
                    route("regex").regex("/users/[0-9]+").build(),
                    route("exact").exact("/users/42").build()));

            assertThat(matched(table, "h", "/users/42")).hasValue("regex");
        }

        @Test
        void skipsAnEarlierRouteWhoseOtherConditionsFail() {
            RouteTable table = RouteTable.of(List.of(
                    route("posts-only").prefix("/").methods("POST").build(),
                    route("canary").prefix("/").header("x-env", "canary").build(),
                    route("rest").prefix("/").build()));

            assertThat(matched(table, "h", "/x")).hasValue("rest");
            assertThat(matched(table, "h", "/x", "POST", NO_HEADERS)).hasValue("posts-only");
            assertThat(matched(table, "h", "/x", "GET", headers("x-env", "canary"))).hasValue("canary");
        }
    }

    @Nested
    class Paths {
        private final RouteTable table = RouteTable.of(List.of(
                route("exact").exact("/status").build(),
                route("prefix").prefix("/api/").build(),
                route("regex").regex("/orders/[0-9]+").build()));

        @Test
        void matchesAnExactPathOnlyWhenEqual() {
            assertThat(matched(table, "h", "/status")).hasValue("exact");
            assertThat(matched(table, "h", "/status/")).isEmpty();
            assertThat(matched(table, "h", "/statu")).isEmpty();
        }

        @Test
        void matchesAPrefixAtAnyDepth() {
            assertThat(matched(table, "h", "/api/")).hasValue("prefix");
            assertThat(matched(table, "h", "/api/v1/users")).hasValue("prefix");
            assertThat(matched(table, "h", "/api")).isEmpty();
        }

        @Test
        void matchesARegexAgainstTheWholePath() {
            assertThat(matched(table, "h", "/orders/123")).hasValue("regex");
            assertThat(matched(table, "h", "/orders/123/items")).isEmpty();
            assertThat(matched(table, "h", "/v2/orders/123")).isEmpty();
        }

        @Test
        void matchesAnyPathWithoutAPathCondition() {
            RouteTable anyPath = RouteTable.of(List.of(route("any").host("h").build()));

            assertThat(matched(anyPath, "h", "/")).hasValue("any");
            assertThat(matched(anyPath, "h", "/deep/path")).hasValue("any");
            assertThat(matched(anyPath, "h", "*")).hasValue("any");
        }

        @Test
        void matchesARootPrefixForEveryPath() {
            RouteTable root = RouteTable.of(List.of(route("root").prefix("/").build()));

            assertThat(matched(root, "h", "/")).hasValue("root");
            assertThat(matched(root, "h", "/a/b")).hasValue("root");
        }
    }

    @Nested
    class Hosts {
        @Test
        void matchesAWildcardAtAnyDepthButNotTheBareDomain() {
            RouteTable table = RouteTable.of(List.of(route("wildcard").host("*.example.com").build()));

            assertThat(matched(table, "a.example.com", "/")).hasValue("wildcard");
            assertThat(matched(table, "a.b.example.com", "/")).hasValue("wildcard");
            assertThat(matched(table, "example.com", "/")).isEmpty();
            assertThat(matched(table, "badexample.com", "/")).isEmpty();
            assertThat(matched(table, "a.example.com.evil.org", "/")).isEmpty();
        }

        @Test
        void matchesAnExactHostOnly() {
            RouteTable table = RouteTable.of(List.of(route("exact").host("api.example.com").build()));

            assertThat(matched(table, "api.example.com", "/")).hasValue("exact");
            assertThat(matched(table, "x.api.example.com", "/")).isEmpty();
            assertThat(matched(table, "example.com", "/")).isEmpty();
        }

        @Test
        void matchesEveryHostWithoutAHostCondition() {
            RouteTable table = RouteTable.of(List.of(route("any").prefix("/").build()));

            assertThat(matched(table, "api.example.com", "/")).hasValue("any");
            assertThat(matched(table, "10.0.0.1", "/")).hasValue("any");
            assertThat(matched(table, "", "/")).hasValue("any");
        }

        @Test
        void prefersTheEarlierOfTwoNestedWildcards() {
            RouteTable table = RouteTable.of(List.of(
                    route("outer").host("*.example.com").build(),
                    route("inner").host("*.eu.example.com").build()));
            RouteTable reversed = RouteTable.of(List.of(
                    route("inner").host("*.eu.example.com").build(),
                    route("outer").host("*.example.com").build()));

            assertThat(matched(table, "a.eu.example.com", "/")).hasValue("outer");
            assertThat(matched(reversed, "a.eu.example.com", "/")).hasValue("inner");
            assertThat(matched(reversed, "a.us.example.com", "/")).hasValue("outer");
        }
    }

    @Nested
    class MethodsAndHeaders {
        @Test
        void matchesOnlyListedMethods() {
            RouteTable table = RouteTable.of(List.of(route("reads").methods("GET", "HEAD").build()));

            assertThat(matched(table, "h", "/", "GET", NO_HEADERS)).hasValue("reads");
            assertThat(matched(table, "h", "/", "HEAD", NO_HEADERS)).hasValue("reads");
            assertThat(matched(table, "h", "/", "POST", NO_HEADERS)).isEmpty();
        }

        @Test
        void requiresEveryHeaderConditionWithItsExactValue() {
            RouteTable table = RouteTable.of(List.of(
                    route("tenant").header("x-tenant", "acme").header("x-env", "canary").build()));

            assertThat(matched(table, "h", "/", "GET", headers("X-Tenant", "acme", "x-env", "canary")))
                    .hasValue("tenant");
            assertThat(matched(table, "h", "/", "GET", headers("x-tenant", "acme"))).isEmpty();
            assertThat(matched(table, "h", "/", "GET", headers("x-tenant", "ACME", "x-env", "canary"))).isEmpty();
            assertThat(matched(table, "h", "/", "GET", NO_HEADERS)).isEmpty();
        }

        @Test
        void matchesAHeaderValueThatHoldsACommaAsAWhole() {
            String agent = "Mozilla/5.0 (KHTML, like Gecko)";
            RouteTable table = RouteTable.of(List.of(route("browser").header("user-agent", agent).build()));

            assertThat(matched(table, "h", "/", "GET", headers("user-agent", agent))).hasValue("browser");
        }

        @Test
        void doesNotMatchOneItemOfACommaSeparatedHeaderValue() {
            RouteTable table = RouteTable.of(List.of(route("canary").header("x-env", "canary").build()));

            assertThat(matched(table, "h", "/", "GET", headers("x-env", "prod, canary"))).isEmpty();
        }

        @Test
        void matchesWhenAnyOfARepeatedHeaderHasTheValue() {
            RouteTable table = RouteTable.of(List.of(route("canary").header("x-env", "canary").build()));

            assertThat(matched(table, "h", "/", "GET", headers("x-env", "prod", "x-env", "canary")))
                    .hasValue("canary");
        }
    }

    @Test
    void returnsEmptyWhenNoRouteMatches() {
        RouteTable table = RouteTable.of(List.of(
                route("a").host("api.example.com").prefix("/api/").build(),
                route("b").host("*.example.org").exact("/x").build()));

        assertThat(matched(table, "api.example.com", "/other")).isEmpty();
        assertThat(matched(table, "www.example.com", "/api/")).isEmpty();
        assertThat(RouteTable.of(List.of()).match("h", "/", "GET", NO_HEADERS)).isEmpty();
    }

    @Test
    void keepsRoutesInFileOrder() {
        RouteTable table = RouteTable.of(List.of(route("a").build(), route("b").build(), route("c").build()));

        assertThat(table.routes()).extracting(Route::name).containsExactly("a", "b", "c");
        assertThat(table.routes()).extracting(Route::index).containsExactly(0, 1, 2);
    }

    @Nested
    class ManyRoutes {
        private static final int ROUTES = 5000;
        private final List<RouteConfig> configs = manyRoutes(ROUTES, new Random(42));
        private final RouteTable table = RouteTable.of(configs);

        @Test
        void findsTheFirstMatchingRouteAmongThousands() {
            assertThat(matched(table, "svc7.example.com", "/api/v3/items/1")).hasValue("r7");
            assertThat(matched(table, "svc4999.example.com", "/api/v4/items/1")).hasValue("r4999");
            assertThat(matched(table, "zzz.example.com", "/nothing")).isEmpty();
        }

        @Test
        void agreesWithALinearScanForEveryRequest() {
            Random random = new Random(7);
            List<String> hosts = List.of("svc1.example.com", "svc42.example.com", "svc4241.example.com",
                    "svc4247.example.com", "a.tenant10.example.net", "x.y.tenant20.example.net",
                    "tenant10.example.net", "other.org", "");
            List<String> paths = List.of("/", "/api/", "/api/v1/items/9", "/api/v2/items/9", "/health/1",
                    "/health/11", "/health/1/x", "/orders/77", "/orders/x", "/static/app.js", "/api/v3/items/1/deep");
            List<String> methods = List.of("GET", "POST", "DELETE");
            int matches = 0;
            for (int i = 0; i < 3000; i++) {
                String host = hosts.get(random.nextInt(hosts.size()));
                String path = paths.get(random.nextInt(paths.size()));
                String method = methods.get(random.nextInt(methods.size()));
                HttpHeaders headers = random.nextBoolean() ? NO_HEADERS : headers("x-canary", "1");
                Optional<Route> expected = table.routes().stream()
                        .filter(r -> r.matches(host, path, method, headers)).findFirst();

                Optional<Route> actual = table.match(host, path, method, headers);

                assertThat(actual).as("%s %s%s %s", method, host, path, headers).isEqualTo(expected);
                matches += actual.isPresent() ? 1 : 0;
            }
            assertThat(matches).as("requests that found a route").isBetween(300, 2700);
        }
    }

    /**
     * Route {@code r<i>} for host {@code svc<i>.example.com} with a prefix path and a method list for most, then
     * wildcard tenants, exact paths, regex paths, header conditions and any-host routes spread through the file.
     */
    private static List<RouteConfig> manyRoutes(int count, Random random) {
        List<RouteConfig> routes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RouteBuilder r = route("r" + i);
            switch (i % 10) {
                case 0 -> r.host("*.tenant" + (i % 40) + ".example.net").prefix("/api/");
                case 1 -> r.host("svc" + i + ".example.com").exact("/health/" + (i % 20));
                case 2 -> r.host("svc" + (i % 50) + ".example.com").regex("/orders/[0-9]+");
                case 3 -> r.prefix("/static/").methods("GET").header("x-canary", "1");
                default -> r.host("svc" + i + ".example.com").prefix("/api/v" + random.nextInt(5) + "/");
            }
            if (i % 7 == 0) {
                r.methods("GET", "POST");
            }
            routes.add(r.build());
        }
        routes.set(7, route("r7").host("svc7.example.com").prefix("/api/v3/").build());
        routes.set(4999, route("r4999").host("svc4999.example.com").prefix("/api/").build());
        routes.add(route("fallback-any").host("svc1.example.com").build());
        return routes;
    }

    private static RouteBuilder route(String name) {
        return new RouteBuilder(name);
    }

    private static Optional<String> matched(RouteTable table, String host, String path) {
        return matched(table, host, path, "GET", NO_HEADERS);
    }

    private static Optional<String> matched(RouteTable table, String host, String path, String method,
                                            HttpHeaders headers) {
        return table.match(host, path, method, headers).map(Route::name);
    }

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    /** Builds a {@link RouteConfig} as the config reader would: lower-case host and header names, upper-case methods. */
    private static final class RouteBuilder {
        private final String name;
        private Optional<String> host = Optional.empty();
        private PathMatch path = PathMatch.ANY;
        private Set<String> methods = Set.of();
        private final Map<String, String> headers = new LinkedHashMap<>();

        RouteBuilder(String name) {
            this.name = name;
        }

        RouteBuilder host(String host) {
            this.host = Optional.of(host);
            return this;
        }

        RouteBuilder exact(String path) {
            this.path = new PathMatch(PathMatch.Kind.EXACT, path);
            return this;
        }

        RouteBuilder prefix(String prefix) {
            this.path = new PathMatch(PathMatch.Kind.PREFIX, prefix);
            return this;
        }

        RouteBuilder regex(String regex) {
            this.path = new PathMatch(PathMatch.Kind.REGEX, regex);
            return this;
        }

        RouteBuilder methods(String... methods) {
            this.methods = Set.of(methods);
            return this;
        }

        RouteBuilder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        RouteConfig build() {
            return RouteConfig.builder(name, new RouteMatch(host, path, methods, headers),
                    List.of(new WeightedCluster("c", 1))).maxBodySize(1024).build();
        }
    }
}
