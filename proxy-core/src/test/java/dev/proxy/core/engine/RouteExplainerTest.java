package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.SnapshotFactory;
import io.netty.bootstrap.Bootstrap;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The explain answer for a table of requests: the route the request path would take, and why the others do not. */
class RouteExplainerTest {
    private static final ConfigSnapshot SNAPSHOT = new SnapshotFactory(LoadBalancer.Factory.roundRobinOnly(),
            Resilience.NONE, new Bootstrap(), ProxyObserver.NONE).build(ConfigReader.read("""
            clusters:
              - name: users
                endpoints: [ { address: 10.0.0.1:80 }, { address: 10.0.0.2:80 } ]
              - name: users-v2
                endpoints: [ { address: 10.0.1.1:80 } ]
              - name: rest
                endpoints: [ { address: 10.0.2.1:80 } ]
            routes:
              - name: users-root
                match: { host: api.example.com, path: /users }
                cluster: users
              - name: users
                match: { host: api.example.com, pathPrefix: /users/, methods: [GET, HEAD] }
                weightedClusters: [ { cluster: users, weight: 90 }, { cluster: users-v2, weight: 10 } ]
              - name: tenant
                match: { host: "*.example.com", headers: { x-tenant: acme } }
                cluster: rest
              - name: versioned
                match: { pathRegex: "/v[0-9]+/.*" }
                cluster: rest
              - name: fallback
                match: { pathPrefix: /static/ }
                cluster: rest
            """, "explain.yaml"), null);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    private static RouteExplainer.Explanation explain(String method, String uri, String host, String tenant) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (host != null) {
            headers.set("host", host);
        }
        if (tenant != null) {
            headers.set("x-tenant", tenant);
        }
        return RouteExplainer.explain(SNAPSHOT, method, uri, headers, CLIENT);
    }

    @ParameterizedTest(name = "{0} {1} Host: {2} x-tenant: {3} -> {4}")
    @CsvSource(nullValues = "-", value = {
        "GET,  /users,                    api.example.com,      -,    users-root",
        "GET,  /users/7,                  api.example.com,      -,    users",
        "GET,  /users/7,                  API.Example.com:8443, -,    users",
        "POST, /users/7,                  api.example.com,      -,    -",
        "POST, /users/7,                  api.example.com,      acme, tenant",
        "GET,  /users/../v2/x,            api.example.com,      -,    versioned",
        "GET,  /v12/orders,               other.org,            -,    versioned",
        "GET,  /v/orders,                 other.org,            -,    -",
        "GET,  /static/app.js?x=1,        other.org,            -,    fallback",
        "GET,  http://eu.example.com/a,   other.org,            acme, tenant",
        "GET,  /%2e%2e/static/a,          other.org,            -,    fallback",
    })
    void choosesTheRouteTheRequestPathWould(String method, String uri, String host, String tenant, String route) {
        RouteExplainer.Explanation e = explain(method, uri, host, tenant);
        assertThat(e.route()).isEqualTo(Optional.ofNullable(route));
        assertThat(e.problem()).isEmpty();
        // the first matching candidate in file order is the route chosen
        assertThat(e.routes().stream().filter(RouteExplainer.Candidate::matches).findFirst()
                .map(RouteExplainer.Candidate::route)).isEqualTo(Optional.ofNullable(route));
    }

    @Test
    void saysWhyEachRouteDoesNotMatch() {
        RouteExplainer.Explanation e = explain("POST", "/users/7", "api.example.com", "globex");

        assertThat(e.host()).isEqualTo("api.example.com");
        assertThat(e.path()).isEqualTo("/users/7");
        assertThat(e.routes()).extracting(RouteExplainer.Candidate::reason).containsExactly(
                "path '/users/7' is not /users",
                "method POST is not one of [GET, HEAD]",
                "header x-tenant is not 'acme'",
                "path '/users/7' does not match the regex /v[0-9]+/.*",
                "path '/users/7' does not start with /static/");
        assertThat(explain("GET", "/x", "api.example.com", null).routes().get(2).reason())
                .isEqualTo("header x-tenant is missing");
        assertThat(explain("GET", "/users", "shop.org", null).routes().get(0).reason())
                .isEqualTo("host 'shop.org' is not api.example.com");
    }

    @Test
    void namesEveryClusterOfTheRouteWithItsWeightAndThePick() {
        RouteExplainer.Explanation e = explain("GET", "/users/7", "api.example.com", null);

        assertThat(e.clusters()).hasSize(2);
        RouteExplainer.ClusterChoice users = e.clusters().get(0);
        assertThat(users.cluster()).isEqualTo("users");
        assertThat(users.weight()).isEqualTo(90);
        assertThat(users.endpoints()).isEqualTo(2);
        assertThat(users.available()).isEqualTo(2);
        assertThat(users.picked()).get().isIn("10.0.0.1:80", "10.0.0.2:80");
        assertThat(e.clusters().get(1)).isEqualTo(new RouteExplainer.ClusterChoice("users-v2", 10, 1, 1,
                Optional.of("10.0.1.1:80")));
    }

    @Test
    void anInvalidTargetIsAProblemNotARoute() {
        RouteExplainer.Explanation e = explain("GET", "users", "api.example.com", null);
        assertThat(e.route()).isEmpty();
        assertThat(e.problem()).isPresent();
        assertThat(e.routes()).isEqualTo(List.of());
    }
}
