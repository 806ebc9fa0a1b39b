package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
    private static final String DURATION_HELP = " is not a duration (examples: 250ms, 5s, 2m, 1h)";
    private static final String SIZE_HELP = " is not a size (examples: 8192, 64KiB, 10MiB, 1GiB)";

    @Test
    void appliesDefaultsToAMinimalFile() {
        ProxyConfig config = ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:8080 } ]
                routes:
                  - name: all
                    cluster: app
                """, "minimal.yaml");

        assertThat(config.server()).isEqualTo(new ServerConfig(
                new HostPort("0.0.0.0", 8080),
                new HostPort("0.0.0.0", 9901),
                0,
                new LimitsConfig(10_000, 64 * 1024, 8 * 1024, 10L * 1024 * 1024,
                        Duration.ofSeconds(10), Duration.ofSeconds(60)),
                Duration.ofSeconds(20)));
        assertThat(config.clusters()).containsExactly(ClusterConfig.builder("app",
                List.of(new EndpointConfig(new HostPort("10.0.0.1", 8080), 1))).build());
        assertThat(config.routes()).containsExactly(RouteConfig.builder("all",
                new RouteMatch(Optional.empty(), PathMatch.ANY, Set.of(), Map.of()),
                List.of(new WeightedCluster("app", 1))).build());
    }

    @Test
    void readsEveryKeyOfTheFormat() {
        ProxyConfig config = ConfigReader.read("""
                server:
                  listen: 127.0.0.1:18080
                  admin: { listen: "[::1]:19901" }
                  eventLoops: 4
                  limits:
                    maxConnections: 500
                    maxHeaderSize: 16KiB
                    maxRequestLineSize: 4096
                    maxBodySize: 2MiB
                    requestHeaderTimeout: 3s
                    idleTimeout: 2m
                    websocketIdleTimeout: 90s
                  drain: { gracePeriod: 1500ms }
                  http2:
                    enabled: false
                    maxConcurrentStreams: 250
                    maxHeaderListSize: 8KiB
                    initialWindowSize: 256KiB
                    maxResetsPerWindow: 40
                    resetWindow: 10s
                clusters:
                  - name: users
                    endpoints:
                      - { address: 10.0.0.1:8080, weight: 3 }
                      - { address: users.internal:8081 }
                    balancer: { policy: random }
                    healthCheck:
                      path: /ready
                      interval: 2s
                      timeout: 300ms
                      healthyThreshold: 1
                      unhealthyThreshold: 4
                      expectStatus: [200, 204]
                    outlierDetection:
                      consecutiveGatewayFailures: 3
                      baseEjectionTime: 10s
                      maxEjectionTime: 2m
                      maxEjectionPercent: 30
                      panicThreshold: 40
                    pool:
                      maxConnectionsPerEndpoint: 64
                      maxPendingAcquires: 0
                      acquireTimeout: 250ms
                      maxIdleTime: 45s
                      maxLifeTime: 1h
                      maxRequestsPerConnection: 1000
                      learnIdleTimeout: false
                    timeouts: { connect: 500ms, responseHeader: 5s, idle: 90s }
                  - name: orders
                    endpoints: [ { address: 10.0.0.2:80 } ]
                  - name: orders-v2
                    endpoints: [ { address: 10.0.0.3:80 } ]
                routes:
                  - name: users-api
                    match:
                      host: API.Example.com
                      pathPrefix: /users/
                      methods: [get, POST]
                      headers: { X-Tenant: acme }
                    cluster: users
                    rewrite: { pathPrefix: /, host: Users.Internal }
                    timeout: 10s
                    maxBodySize: 512KiB
                  - name: orders-canary
                    match: { host: "*.shop.example.com", pathRegex: "/orders/[0-9]+" }
                    weightedClusters:
                      - { cluster: orders, weight: 90 }
                      - { cluster: orders-v2, weight: 10 }
                  - name: health
                    match: { path: /healthz }
                    cluster: orders
                    timeout: 0
                """, "full.yaml");

        assertThat(config.server()).isEqualTo(new ServerConfig(
                new HostPort("127.0.0.1", 18080),
                new HostPort("::1", 19901),
                4,
                new LimitsConfig(500, 16 * 1024, 4096, 2L * 1024 * 1024, Duration.ofSeconds(3), Duration.ofMinutes(2), 0,
                        Duration.ofSeconds(90)),
                Duration.ofMillis(1500), false, Optional.empty(),
                new Http2Config(false, 250, 8 * 1024, 256 * 1024, 40, Duration.ofSeconds(10))));
        assertThat(config.clusters()).extracting(ClusterConfig::name).containsExactly("users", "orders", "orders-v2");
        assertThat(config.cluster("users")).hasValue(ClusterConfig.builder("users",
                List.of(new EndpointConfig(new HostPort("10.0.0.1", 8080), 3),
                        new EndpointConfig(new HostPort("users.internal", 8081), 1)))
                .balancer(BalancerConfig.of(BalancerPolicy.RANDOM))
                .pool(new PoolConfig(64, 0, Duration.ofMillis(250), Duration.ofSeconds(45), Duration.ofHours(1), 1000,
                        100, false))
                .timeouts(new ClusterTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(90)))
                .outlierDetection(new OutlierDetectionConfig(3, Duration.ofSeconds(10), Duration.ofMinutes(2), 30, 40))
                .healthCheck(new HealthCheckConfig("/ready", Duration.ofSeconds(2), Duration.ofMillis(300), 1, 4,
                        Set.of(200, 204)))
                .build());
        assertThat(config.routes()).containsExactly(
                RouteConfig.builder("users-api",
                        new RouteMatch(Optional.of("api.example.com"), new PathMatch(PathMatch.Kind.PREFIX, "/users/"),
                                Set.of("GET", "POST"), Map.of("x-tenant", "acme")),
                        List.of(new WeightedCluster("users", 1)))
                        .rewrite(new Rewrite(Optional.of("/"), Optional.of("users.internal")))
                        .timeout(Duration.ofSeconds(10))
                        .maxBodySize(512 * 1024)
                        .build(),
                RouteConfig.builder("orders-canary",
                        new RouteMatch(Optional.of("*.shop.example.com"),
                                new PathMatch(PathMatch.Kind.REGEX, "/orders/[0-9]+"), Set.of(), Map.of()),
                        List.of(new WeightedCluster("orders", 90), new WeightedCluster("orders-v2", 10)))
                        .maxBodySize(2L * 1024 * 1024)
                        .build(),
                RouteConfig.builder("health",
                        new RouteMatch(Optional.empty(), new PathMatch(PathMatch.Kind.EXACT, "/healthz"),
                                Set.of(), Map.of()),
                        List.of(new WeightedCluster("orders", 1)))
                        .timeout(Duration.ZERO)
                        .maxBodySize(2L * 1024 * 1024)
                        .build());
    }

    @Test
    void parsesTheBundledDefaultFile() throws IOException {
        ProxyConfig config = ConfigReader.read(bundledConfig());

        assertThat(config.routes()).isNotEmpty();
        assertThat(config.routes()).allSatisfy(route -> assertThat(route.clusters())
                .allSatisfy(wc -> assertThat(config.cluster(wc.cluster())).isPresent()));
    }

    @Test
    void parsesEveryFileUnderConfigAndConfigExamples() throws IOException {
        Path configDir = bundledConfig().getParent();
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(configDir, configDir.resolve("examples"))) {
            try (Stream<Path> listing = Files.list(dir)) {
                listing.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted()
                        .forEach(files::add);
            }
        }

        assertThat(files).extracting(f -> f.getFileName().toString()).contains("proxy.yaml", "resilience.yaml", "etcd.yaml",
                "observability.yaml", "tls.yaml");
        for (Path file : files) {
            assertThat(problemsOfFile(file)).as(file.toString()).isEmpty();
        }
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        ConfigException e = failure("""
                server:
                  listen: localhost
                  limits: { idleTimeout: soon }
                clusters:
                  - name: app
                    endpoints: [ { address: "10.0.0.1:99999" } ]
                    balancer: { policy: fastest }
                routes:
                  - name: a
                    match: { host: "bad host", pathRegex: "(" }
                    cluster: app
                    timeout: 5x
                  - name: a
                    cluster: missing
                    colour: blue
                """);

        assertThat(e.problems()).containsExactlyInAnyOrder(
                "server.listen: 'localhost' is not host:port (line 2)",
                "server.limits.idleTimeout: 'soon'" + DURATION_HELP + " (line 3)",
                "clusters[0].endpoints[0].address: '10.0.0.1:99999' has a port outside 0-65535 (line 6)",
                "clusters[0].balancer.policy: 'fastest' is not a policy; choose one of round_robin, "
                        + "weighted_round_robin, least_request, random, ring_hash, maglev (line 7)",
                "routes[0].match.host: 'bad host' is not a host name or *.suffix wildcard (line 10)",
                "routes[0].match.pathRegex: not a valid regular expression: Unclosed group (line 10)",
                "routes[0].timeout: '5x'" + DURATION_HELP + " (line 12)",
                "routes[1].colour: unknown key (line 15)",
                "routes[1].name: 'a' is defined twice (line 13)",
                "routes[1].cluster: 'missing' is not defined under clusters (line 14)");
        assertThat(e).hasMessageStartingWith("test.yaml: 10 problems\n  - ");
    }

    @Nested
    class YamlSyntax {
        @Test
        void reportsInvalidSyntaxWithItsLine() {
            List<String> problems = problemsOf("""
                    routes:
                      - name: r
                       cluster: app
                    """);

            assertThat(problems).singleElement().asString().startsWith("not valid YAML: ").endsWith("(line 3)");
        }

        @Test
        void reportsAnUnquotedWildcardHostAsInvalidYaml() {
            List<String> problems = problemsOf("""
                    routes:
                      - name: r
                        match: { host: *.example.com }
                    """);

            // '*' starts a YAML alias, so wildcard hosts must be quoted; the file is rejected, not misread
            assertThat(problems).singleElement().asString().startsWith("not valid YAML: ").endsWith("(line 3)");
        }

        @Test
        void reportsAnEmptyFile() {
            assertThat(problemsOf("")).containsExactly("the file is empty");
            assertThat(problemsOf("# nothing but a comment\n")).containsExactly("the file is empty");
        }

        @Test
        void reportsDuplicateKeysWithTheirPath() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80 } ]
                    routes:
                      - name: r
                        cluster: app
                        timeout: 1s
                        timeout: 2s
                    """)).containsExactly("routes[0].timeout: duplicate key (line 8)");
        }

        @Test
        void reportsValuesOfTheWrongShape() {
            assertThat(problemsOf("server: 8080\nroutes: []\n"))
                    .containsExactly("server: must be a mapping of keys to values (line 1)");
            assertThat(problemsOf("routes: { name: r }\n")).containsExactly("routes: must be a list (line 1)");
            assertThat(problemsOf(withRoute("match: { methods: GET }")))
                    .containsExactly("routes[0].match.methods: must be a list (line 7)");
            assertThat(problemsOf(withServer("listen: [ a, b ]")))
                    .containsExactly("server.listen: must be a single value (line 2)");
        }

        @Test
        void requiresRoutes() {
            assertThat(problemsOf("server: { eventLoops: 1 }\n"))
                    .containsExactly("routes: is required: without routes every request is answered 404");
        }
    }

    @Nested
    class UnknownKeys {
        @Test
        void reportsUnknownKeysAtEveryDepthWithTheirPath() {
            assertThat(problemsOf("""
                    colour: blue
                    server:
                      listn: 0.0.0.0:80
                      admin: { listen: 0.0.0.0:9901, tls: true }
                      limits: { maxConnection: 5 }
                      drain: { grace: 1s }
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80, region: a } ]
                        balancer: { policy: random, seed: 1 }
                        pool: { maxIdle: 1s }
                        timeouts: { read: 1s }
                        tls: { sni: x }
                    routes:
                      - name: r
                        match: { pathPrefix: /, query: { a: b } }
                        weightedClusters: [ { cluster: app, weight: 1, zone: a } ]
                        rewrite: { prefix: / }
                        retries: { attempts: 3 }
                    """)).containsExactlyInAnyOrder(
                    "colour: unknown key (line 1)",
                    "server.listn: unknown key (line 3)",
                    "server.admin.tls: unknown key (line 4)",
                    "server.limits.maxConnection: unknown key (line 5)",
                    "server.drain.grace: unknown key (line 6)",
                    "clusters[0].endpoints[0].region: unknown key (line 9)",
                    "clusters[0].balancer.seed: unknown key (line 10)",
                    "clusters[0].pool.maxIdle: unknown key (line 11)",
                    "clusters[0].timeouts.read: unknown key (line 12)",
                    "clusters[0].tls.sni: unknown key (line 13)",
                    "routes[0].match.query: unknown key (line 16)",
                    "routes[0].weightedClusters[0].zone: unknown key (line 17)",
                    "routes[0].rewrite.prefix: unknown key (line 18)",
                    "routes[0].retries: unknown key (line 19)");
        }
    }

    @Nested
    class Values {
        @Test
        void reportsBadDurations() {
            assertThat(problemsOf(withRoute("timeout: 5x")))
                    .containsExactly("routes[0].timeout: '5x'" + DURATION_HELP + " (line 7)");
            assertThat(problemsOf(withRoute("timeout: 1.5s")))
                    .containsExactly("routes[0].timeout: '1.5s'" + DURATION_HELP + " (line 7)");
            assertThat(problemsOf(withServer("limits: { idleTimeout: 10 }")))
                    .containsExactly("server.limits.idleTimeout: '10'" + DURATION_HELP + " (line 2)");
            assertThat(problemsOf(withCluster("pool: { acquireTimeout: -1s }")))
                    .containsExactly("clusters[0].pool.acquireTimeout: '-1s'" + DURATION_HELP + " (line 4)");
        }

        @Test
        void reportsBadHttp2Settings() {
            assertThat(problemsOf(withServer("http2: { maxConcurrentStreams: 0, initialWindowSize: 1KiB }")))
                    .containsExactly("server.http2.maxConcurrentStreams: must be between 1 and 100000, was 0 (line 2)",
                            "server.http2.initialWindowSize: must be between 65535 bytes and 2GiB-1 (line 2)");
            assertThat(problemsOf(withServer("http2: { resetWindow: 1500ms }")))
                    .containsExactly("server.http2.resetWindow: must be whole seconds (line 2)");
            assertThat(problemsOf(withServer("http2: { maxRstFrames: 5 }")))
                    .containsExactly("server.http2.maxRstFrames: unknown key (line 2)");
        }

        @Test
        void readsTheWindowsOfferedToHttp2Upstreams() {
            ClusterConfig byDefault = ConfigReader.read(withCluster("protocol: h2"), "test.yaml").clusters().get(0);
            assertThat(byDefault.http2()).isEqualTo(new UpstreamHttp2Config(1024 * 1024, 100 * 1024 * 1024));
            ClusterConfig given = ConfigReader.read(withCluster("protocol: h2\n    pool: { maxStreamsPerConnection: 4 }\n"
                    + "    http2: { initialStreamWindow: 256KiB }"), "test.yaml").clusters().get(0);
            assertThat(given.http2()).as("the connection window follows the stream window and the stream limit")
                    .isEqualTo(new UpstreamHttp2Config(256 * 1024, 1024 * 1024));
            ClusterConfig both = ConfigReader.read(withCluster(
                    "protocol: h2\n    http2: { initialStreamWindow: 64KiB, connectionWindow: 1MiB }"), "test.yaml")
                    .clusters().get(0);
            assertThat(both.http2()).isEqualTo(new UpstreamHttp2Config(64 * 1024, 1024 * 1024));
        }

        @Test
        void reportsBadUpstreamHttp2Windows() {
            assertThat(problemsOf(withCluster("http2: { initialStreamWindow: 1MiB }")))
                    .containsExactly("clusters[0].http2: applies to protocol: h2 only (line 4)");
            assertThat(problemsOf(withCluster("protocol: h2\n    http2: { initialStreamWindow: 1KiB }")))
                    .containsExactly("clusters[0].http2.initialStreamWindow: must be between 65535 bytes and 1GiB"
                            + " (line 5)");
            assertThat(problemsOf(withCluster(
                    "protocol: h2\n    http2: { initialStreamWindow: 1MiB, connectionWindow: 1MiB }")))
                    .containsExactly("clusters[0].http2.connectionWindow: must be between twice initialStreamWindow"
                            + " (2097152 bytes) and 2GiB-1 (line 5)");
        }

        @Test
        void reportsZeroWhereADurationMustBePositive() {
            assertThat(problemsOf(withCluster("timeouts: { connect: 0ms }")))
                    .containsExactly("clusters[0].timeouts.connect: must be greater than 0 (line 4)");
            assertThat(problemsOf(withServer("limits: { requestHeaderTimeout: 0 }")))
                    .containsExactly("server.limits.requestHeaderTimeout: must be greater than 0 (line 2)");
        }

        @Test
        void reportsBadSizes() {
            assertThat(problemsOf(withRoute("maxBodySize: 10MB")))
                    .containsExactly("routes[0].maxBodySize: '10MB'" + SIZE_HELP + " (line 7)");
            assertThat(problemsOf(withServer("limits: { maxHeaderSize: 512 }")))
                    .containsExactly("server.limits.maxHeaderSize: must be between 1024 bytes and 512MiB (line 2)");
            assertThat(problemsOf(withServer("limits: { maxBodySize: 99999999999GiB }")))
                    .containsExactly("server.limits.maxBodySize: '99999999999GiB' is too large (line 2)");
        }

        @Test
        void reportsBadNumbers() {
            assertThat(problemsOf(withServer("eventLoops: -1")))
                    .containsExactly("server.eventLoops: must be between 0 and 1024, was -1 (line 2)");
            assertThat(problemsOf(withCluster("pool: { maxConnectionsPerEndpoint: many }")))
                    .containsExactly("clusters[0].pool.maxConnectionsPerEndpoint: 'many' is not a whole number (line 4)");
        }

        @Test
        void reportsBadAddressesAndPorts() {
            assertThat(problemsOf(withServer("listen: localhost")))
                    .containsExactly("server.listen: 'localhost' is not host:port (line 2)");
            assertThat(problemsOf(withServer("listen: 0.0.0.0:70000")))
                    .containsExactly("server.listen: '0.0.0.0:70000' has a port outside 0-65535 (line 2)");
            assertThat(problemsOf(withServer("admin: { listen: 'localhost:http' }")))
                    .containsExactly("server.admin.listen: 'localhost:http' has no numeric port (line 2)");
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints:
                          - { address: ":80" }
                          - { weight: 2 }
                    routes: []
                    """)).containsExactlyInAnyOrder(
                    "clusters[0].endpoints[0].address: ':80' is not host:port (line 4)",
                    "clusters[0].endpoints[1].address: is required");
        }

        @Test
        void reportsBadRegularExpressions() {
            assertThat(problemsOf(withRoute("match: { pathRegex: '/a[' }")))
                    .singleElement().asString()
                    .startsWith("routes[0].match.pathRegex: not a valid regular expression: ")
                    .endsWith("(line 7)");
        }

        @Test
        void reportsBadHostPatterns() {
            for (String host : List.of("api.*.com", "*", "*example.com", "api.example.com:8080", "exa mple.com",
                    "-api.example.com", "api..example.com")) {
                assertThat(problemsOf(withRoute("match: { host: '" + host + "' }"))).as(host).containsExactly(
                        "routes[0].match.host: '" + host + "' is not a host name or *.suffix wildcard (line 7)");
            }
        }

        @Test
        void reportsBadMethodAndHeaderNames() {
            assertThat(problemsOf(withRoute("match: { methods: [ GET, 'PO ST', 'GET/1' ] }"))).containsExactly(
                    "routes[0].match.methods: 'PO ST' is not an HTTP method (line 7)",
                    "routes[0].match.methods: 'GET/1' is not an HTTP method (line 7)");
            assertThat(problemsOf(withRoute("match: { headers: { 'x tenant': acme } }"))).containsExactly(
                    "routes[0].match.headers: 'x tenant' is not a header name (line 7)");
        }

        @Test
        void reportsNamesWithSpaces() {
            assertThat(problemsOf(withRoutes("- name: 'my route'\n  cluster: app\n"))).containsExactly(
                    "routes[0].name: 'my route' may hold only letters, digits, '_', '.' and '-' (line 5)");
            assertThat(problemsOf("""
                    clusters:
                      - name: "my cluster"
                        endpoints: [ { address: 10.0.0.1:80 } ]
                    routes: []
                    """)).containsExactly(
                    "clusters[0].name: 'my cluster' may hold only letters, digits, '_', '.' and '-' (line 2)");
        }

        @Test
        void reportsPathsThatDoNotStartWithASlash() {
            assertThat(problemsOf(withRoute("match: { pathPrefix: api }")))
                    .containsExactly("routes[0].match.pathPrefix: must start with / (line 7)");
            assertThat(problemsOf(withRoute("match: { path: api }")))
                    .containsExactly("routes[0].match.path: must start with / (line 7)");
        }
    }

    @Nested
    class Structure {
        @Test
        void reportsDuplicateClusterNames() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80 } ]
                      - name: app
                        endpoints: [ { address: 10.0.0.2:80 } ]
                    routes: []
                    """)).containsExactly("clusters[1].name: 'app' is defined twice (line 4)");
        }

        @Test
        void reportsDuplicateRouteNames() {
            assertThat(problemsOf(withRoutes("""
                    - name: r
                      cluster: app
                    - name: r
                      cluster: app
                    """))).containsExactly("routes[1].name: 'r' is defined twice (line 7)");
        }

        @Test
        void reportsARouteToAnUndefinedCluster() {
            assertThat(problemsOf(withRoutes("""
                    - name: r
                      cluster: nope
                    """))).containsExactly("routes[0].cluster: 'nope' is not defined under clusters (line 6)");
        }

        @Test
        void reportsAnUndefinedWeightedClusterUnderWeightedClusters() {
            assertThat(problemsOf(withRoutes("""
                    - name: one
                      weightedClusters: [ { cluster: nope, weight: 1 } ]
                    - name: two
                      weightedClusters: [ { cluster: app, weight: 1 }, { cluster: gone, weight: 1 } ]
                    """))).containsExactly(
                    "routes[0].weightedClusters: 'nope' is not defined under clusters (line 6)",
                    "routes[1].weightedClusters: 'gone' is not defined under clusters (line 8)");
        }

        @Test
        void rejectsClusterTogetherWithWeightedClusters() {
            assertThat(problemsOf(withRoute("weightedClusters: [ { cluster: app, weight: 1 } ]"))).containsExactly(
                    "routes[0].weightedClusters: give either cluster or weightedClusters, not both (line 7)");
        }

        @Test
        void requiresACluster() {
            assertThat(problemsOf(withRoutes("- name: r\n"))).containsExactly(
                    "routes[0].cluster: is required (or weightedClusters, redirect or directResponse)");
        }

        @Test
        void rejectsWeightsThatAreAllZero() {
            assertThat(problemsOf(withRoutes("""
                    - name: r
                      weightedClusters:
                        - { cluster: app, weight: 0 }
                        - { cluster: app, weight: 0 }
                    """))).containsExactly("routes[0].weightedClusters: the weights must not all be 0 (line 7)");
        }

        @Test
        void rejectsAPathPrefixRewriteWithoutAPrefixMatch() {
            String message = "needs match.pathPrefix: only a matched prefix can be rewritten";
            assertThat(problemsOf(withRoute("rewrite: { pathPrefix: /v2/ }")))
                    .containsExactly("routes[0].rewrite.pathPrefix: " + message + " (line 7)");
            assertThat(problemsOf(withRoute("match: { path: /a }\n    rewrite: { pathPrefix: /b }")))
                    .containsExactly("routes[0].rewrite.pathPrefix: " + message + " (line 8)");
        }

        @Test
        void rejectsARewriteToARelativePath() {
            assertThat(problemsOf(withRoute("match: { pathPrefix: /a/ }\n    rewrite: { pathPrefix: b/ }")))
                    .containsExactly("routes[0].rewrite.pathPrefix: must start with / (line 8)");
        }

        @Test
        void rejectsMoreThanOnePathCondition() {
            assertThat(problemsOf(withRoute("match: { path: /a, pathPrefix: /b }")))
                    .containsExactly("routes[0].match: give only one of path, pathPrefix and pathRegex");
        }

        @Test
        void requiresEndpoints() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                    routes: []
                    """)).containsExactly("clusters[0].endpoints: is required: list at least one endpoint, or discover them (discovery.etcd.prefix or discovery.dns.name)");
        }

        @Test
        void rejectsAnEmptyEndpointList() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints: []
                    routes: []
                    """)).containsExactly("clusters[0].endpoints: is required: list at least one endpoint, or discover them (discovery.etcd.prefix or discovery.dns.name) (line 3)");
        }

        @Test
        void rejectsAnEmptyWeightedClusterList() {
            assertThat(problemsOf(withRoutes("- name: r\n  weightedClusters: []\n")))
                    .containsExactly("routes[0].weightedClusters: list at least one cluster (line 6)");
        }

        @Test
        void rejectsAHeaderConditionWithoutAValue() {
            assertThat(problemsOf(withRoute("match: { headers: { x-env: } }"))).singleElement().asString()
                    .startsWith("routes[0].match.headers.x-env: needs a value");
        }

        @Test
        void rejectsAHostRewriteThatIsNotAHost() {
            assertThat(problemsOf(withRoute("rewrite: { host: \"a b/c\" }"))).singleElement().asString()
                    .startsWith("routes[0].rewrite.host: 'a b/c' is not a host name with an optional :port");
            assertThat(ConfigReader.read(withRoute("rewrite: { host: users.internal:8080 }"), "t").routes().get(0)
                    .rewrite().host()).hasValue("users.internal:8080");
        }

        @Test
        void letsARouteInheritTheServerBodyLimit() {
            ProxyConfig config = ConfigReader.read(withServer("limits: { maxBodySize: 1KiB }"), "test.yaml");

            assertThat(config.routes()).singleElement().extracting(RouteConfig::maxBodySize).isEqualTo(1024L);
        }
    }

    /** A valid file whose only route gets the given extra lines; its first extra line is line 7. */
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

    /** A valid file whose only cluster gets the given extra lines; its first extra line is line 4. */
    @Test
    void appliesOutlierDetectionDefaultsWhenTheSectionIsGivenEmpty() {
        ProxyConfig config = ConfigReader.read(withCluster("outlierDetection: {}"), "test.yaml");
        assertThat(config.clusters().get(0).outlierDetection()).isEqualTo(new OutlierDetectionConfig(
                5, Duration.ofSeconds(30), Duration.ofSeconds(300), 50, 50));
        assertThat(problemsOf(withCluster("outlierDetection: { baseEjectionTime: 1m, maxEjectionTime: 30s }")))
                .singleElement().asString()
                .startsWith("clusters[0].outlierDetection.maxEjectionTime: must not be shorter than baseEjectionTime");
    }

    @Nested
    class Balancer {
        private BalancerConfig balancerOf(String lines) {
            return ConfigReader.read(withCluster(lines), "test.yaml").clusters().get(0).balancer();
        }

        @Test
        void readsEveryPolicyByItsConfigName() {
            for (BalancerPolicy p : BalancerPolicy.values()) {
                String extra = p.isHashing() ? ", hashOn: { path: true }" : "";
                assertThat(balancerOf("balancer: { policy: " + p.configName() + extra + " }").policy()).isEqualTo(p);
            }
        }

        @Test
        void readsTheHashKeyOfTheHashingPolicies() {
            BalancerConfig ring = balancerOf(
                    "balancer: { policy: ring_hash, hashOn: { header: X-User-Id }, virtualNodes: 40 }");
            assertThat(ring.hashOn()).hasValue(new HashKey(HashKey.Source.HEADER, "x-user-id"));
            assertThat(ring.virtualNodes()).isEqualTo(40);
            assertThat(balancerOf("balancer: { policy: maglev, hashOn: { cookie: session }, tableSize: 251 }"))
                    .isEqualTo(new BalancerConfig(BalancerPolicy.MAGLEV,
                            Optional.of(new HashKey(HashKey.Source.COOKIE, "session")), 160, 251));
            assertThat(balancerOf("balancer: { policy: maglev, hashOn: { clientIp: true } }").hashOn())
                    .hasValue(new HashKey(HashKey.Source.CLIENT_IP, ""));
        }

        @Test
        void requiresAHashKeyForHashingPoliciesAndOnlyForThem() {
            assertThat(problemsOf(withCluster("balancer: { policy: ring_hash }"))).singleElement().asString()
                    .startsWith("clusters[0].balancer.hashOn: is required by ring_hash");
            assertThat(problemsOf(withCluster("balancer: { policy: round_robin, hashOn: { path: true } }")))
                    .singleElement().asString()
                    .startsWith("clusters[0].balancer.hashOn: only the hashing policies");
        }

        @Test
        void requiresExactlyOneHashKeySource() {
            assertThat(problemsOf(withCluster(
                    "balancer: { policy: maglev, hashOn: { header: a, path: true } }")))
                    .containsExactly("clusters[0].balancer.hashOn: "
                            + "give exactly one of header, cookie, clientIp: true and path: true");
        }

        @Test
        void requiresAPrimeMaglevTableSize() {
            assertThat(problemsOf(withCluster(
                    "balancer: { policy: maglev, hashOn: { path: true }, tableSize: 65536 }")))
                    .singleElement().asString()
                    .startsWith("clusters[0].balancer.tableSize: 65536 is not a prime");
        }
    }

    private static String withCluster(String clusterLines) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                    %s
                routes:
                  - name: r
                    cluster: app
                """.formatted(clusterLines);
    }

    /** A valid file with the given {@code server} lines; its first line is line 2. */
    private static String withServer(String serverLines) {
        return """
                server:
                  %s
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - name: r
                    cluster: app
                """.formatted(serverLines);
    }

    /** A file with one cluster, {@code app}, and the given routes list; the first route starts on line 5. */
    private static String withRoutes(String routes) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                """ + routes.indent(2);
    }

    private static List<String> problemsOf(String yaml) {
        return failure(yaml).problems();
    }

    private static ConfigException failure(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read(yaml, "test.yaml"));
        assertThat(e).as("ConfigException for:\n%s", yaml).isNotNull();
        return e;
    }

    private static List<String> problemsOfFile(Path file) throws IOException {
        try {
            ConfigReader.read(file);
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    /** config/proxy.yaml of the repository, found by walking up from the working directory (the module dir). */
    private static Path bundledConfig() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("config").resolve("proxy.yaml");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("no config/proxy.yaml above " + System.getProperty("user.dir"));
    }
}
