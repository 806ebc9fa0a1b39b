package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PolicyReaderTest {
    private static final CircuitBreakerConfig DEFAULT_BREAKER = new CircuitBreakerConfig(50, Duration.ofSeconds(60),
            100, 20, Duration.ofSeconds(10), Duration.ofSeconds(15), 5, false, Set.of(502, 503, 504),
            Duration.ofSeconds(60));
    private static final RetryConfig DEFAULT_RETRY = new RetryConfig(2,
            Set.of(RetryOn.CONNECT_FAILURE, RetryOn.RESET, RetryOn.GATEWAY_ERROR), Set.of(), Duration.ofMillis(25),
            Duration.ofMillis(250), Duration.ofSeconds(1), 20, 3, 64 * 1024);

    @Test
    void readsEveryResilienceKey() {
        ProxyConfig config = ConfigReader.read("""
                server:
                  limits: { maxInFlightRequests: 5000 }
                clusters:
                  - name: users
                    endpoints: [ { address: 10.0.0.1:8080 } ]
                    circuitBreaker:
                      failureRateThreshold: 40
                      slowCallDurationThreshold: 2s
                      slowCallRateThreshold: 80
                      minimumNumberOfCalls: 10
                      slidingWindow: 30s
                      waitInOpen: 5s
                      halfOpenCalls: 3
                      perEndpoint: true
                      failureStatuses: [500, 503]
                      retryAfterMax: 2m
                  - name: shadow
                    endpoints: [ { address: 10.0.0.9:8080 } ]
                routes:
                  - name: users-api
                    cluster: users
                    timeout: 10s
                    perTryTimeout: 3s
                    deadlineHeader: X-Request-Timeout-Ms
                    retry:
                      attempts: 3
                      on: [reset, timeout, 429, 500]
                      backoff: { base: 50ms, max: 1s }
                      retryAfterMax: 2s
                      budget: { percent: 10, minRetriesPerSecond: 0.5 }
                      bufferBodyUpTo: 128KiB
                    rateLimit:
                      requestsPerSecond: 2.5
                      burst: 10
                      key: client_ip_and_header
                      keyHeader: X-Api-Key
                      maxKeys: 5000
                      keyIdleTime: 5m
                      maxQueueTime: 250ms
                    concurrencyLimit: { max: 200, adaptive: true, initial: 50, min: 10 }
                    fault:
                      delay: { percent: 1, duration: 200ms }
                      abort: { percent: 0.1, status: 503 }
                      onlyWithHeader: X-Chaos
                    mirror: { cluster: shadow, percent: 12.5, maxBodySize: 256KiB }
                """, "full.yaml");

        assertThat(config.server().limits().maxInFlightRequests()).isEqualTo(5000);
        assertThat(config.cluster("users").orElseThrow().circuitBreaker()).hasValue(new CircuitBreakerConfig(
                40, Duration.ofSeconds(2), 80, 10, Duration.ofSeconds(30), Duration.ofSeconds(5), 3, true,
                Set.of(500, 503), Duration.ofMinutes(2)));
        assertThat(config.cluster("shadow").orElseThrow().circuitBreaker()).isEmpty();
        assertThat(config.routes().get(0).policies()).isEqualTo(new RoutePolicies(
                Duration.ofSeconds(3),
                Optional.of("x-request-timeout-ms"),
                Optional.of(new RetryConfig(3, Set.of(RetryOn.RESET, RetryOn.TIMEOUT), Set.of(429, 500),
                        Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(2), 10, 0.5, 128 * 1024)),
                Optional.of(new RateLimitConfig(2.5, 10, true, Optional.of("x-api-key"), 5000, Duration.ofMinutes(5),
                        Duration.ofMillis(250))),
                Optional.of(new ConcurrencyLimitConfig(200, true, 50, 10)),
                Optional.of(new FaultConfig(
                        Optional.of(new FaultConfig.Delay(1, Duration.ofMillis(200))),
                        Optional.of(new FaultConfig.Abort(0.1, 503)),
                        Optional.of("x-chaos"))),
                Optional.of(new MirrorConfig("shadow", 12.5, 256 * 1024))));
    }

    @Test
    void leavesEverythingOffWhenTheBlocksAreAbsent() {
        ProxyConfig config = ConfigReader.read(withRoute("timeout: 5s"), "test.yaml");

        assertThat(config.routes().get(0).policies()).isSameAs(RoutePolicies.NONE);
        assertThat(config.clusters()).allSatisfy(c -> assertThat(c.circuitBreaker()).isEmpty());
        assertThat(config.server().limits().maxInFlightRequests()).isZero();
    }

    @Test
    void treatsAnEmptyValueAsAbsent() {
        assertThat(policiesOf("retry:\n    rateLimit:\n    concurrencyLimit:\n    fault:\n    mirror:"))
                .isEqualTo(RoutePolicies.NONE);
        assertThat(breakerOf("circuitBreaker:")).isEmpty();
    }

    @Nested
    class Defaults {
        @Test
        void givesABreakerWithTheDocumentedDefaultsForAnEmptyBlock() {
            assertThat(breakerOf("circuitBreaker: {}")).hasValue(DEFAULT_BREAKER);
        }

        @Test
        void letsAGivenFailureStatusListReplaceTheDefaultOne() {
            assertThat(breakerOf("circuitBreaker: { failureStatuses: [500] }").orElseThrow().failureStatuses())
                    .containsExactly(500);
            assertThat(breakerOf("circuitBreaker: { failureStatuses: [] }").orElseThrow().failureStatuses())
                    .isEmpty();
        }

        @Test
        void givesRetriesWithTheDocumentedDefaultsForAnEmptyBlock() {
            assertThat(policiesOf("retry: {}").retry()).hasValue(DEFAULT_RETRY);
            assertThat(policiesOf("retry: { backoff: {}, budget: {} }").retry()).hasValue(DEFAULT_RETRY);
        }

        @Test
        void defaultsTheBurstToTheRateRoundedUpAndAtLeastOne() {
            assertThat(policiesOf("rateLimit: { requestsPerSecond: 100 }").rateLimit()).hasValue(
                    new RateLimitConfig(100, 100, false, Optional.empty(), 100_000, Duration.ofMinutes(10)));
            assertThat(policiesOf("rateLimit: { requestsPerSecond: 2.5 }").rateLimit().orElseThrow().burst())
                    .isEqualTo(3);
            assertThat(policiesOf("rateLimit: { requestsPerSecond: 0.5 }").rateLimit().orElseThrow().burst())
                    .isEqualTo(1);
        }

        @Test
        void readsTheScopeAndFailureModeOfAGlobalLimit() {
            ProxyConfig config = ConfigReader.read("redis: { url: redis://127.0.0.1:6379, timeout: 50ms }\n"
                    + withRoute("rateLimit: { requestsPerSecond: 300, burst: 30, scope: global, failureMode: closed }"),
                    "test.yaml");
            RateLimitConfig global = config.routes().get(0).policies().rateLimit().orElseThrow();
            assertThat(config.redis().orElseThrow().url()).hasToString("redis://127.0.0.1:6379");
            assertThat(config.redis().orElseThrow().timeout()).isEqualTo(Duration.ofMillis(50));
            assertThat(global.global()).isTrue();
            assertThat(global.failOpen()).isFalse();
            RateLimitConfig local = policiesOf("rateLimit: { requestsPerSecond: 1 }").rateLimit().orElseThrow();
            assertThat(local.global()).isFalse();
            assertThat(local.maxQueueTime()).isZero();
        }

        @Test
        void aGlobalLimitNeedsRedisAndNoQueueAndFailureModeNeedsAGlobalLimit() {
            assertThatThrownBy(() -> policiesOf("rateLimit: { requestsPerSecond: 1, scope: global }"))
                    .hasMessageContaining("scope: global needs the Redis connection");
            assertThatThrownBy(() -> ConfigReader.read("redis: { url: redis://r:6379 }\n" + withRoute(
                    "rateLimit: { requestsPerSecond: 1, scope: global, maxQueueTime: 1s }"), "test.yaml"))
                    .hasMessageContaining("maxQueueTime: is not supported with scope: global");
            assertThatThrownBy(() -> policiesOf("rateLimit: { requestsPerSecond: 1, failureMode: closed }"))
                    .hasMessageContaining("failureMode: only scope: global uses it");
            assertThatThrownBy(() -> ConfigReader.read("redis: { url: http://r:6379 }\n" + withRoute("retry: {}"),
                    "test.yaml")).hasMessageContaining("redis.url: must be redis://host:port");
        }

        @Test
        void readsEachRateLimitKey() {
            assertThat(policiesOf("rateLimit: { requestsPerSecond: 1, key: route }").rateLimit().orElseThrow().keyed())
                    .isFalse();
            RateLimitConfig byIp = policiesOf("rateLimit: { requestsPerSecond: 1, key: client_ip }")
                    .rateLimit().orElseThrow();
            assertThat(byIp.clientIp()).isTrue();
            assertThat(byIp.header()).isEmpty();
            RateLimitConfig byHeader = policiesOf("rateLimit: { requestsPerSecond: 1, key: header, keyHeader: X-Key }")
                    .rateLimit().orElseThrow();
            assertThat(byHeader.clientIp()).isFalse();
            assertThat(byHeader.header()).hasValue("x-key");
        }

        @Test
        void readsAFixedConcurrencyLimitWithOnlyMax() {
            assertThat(policiesOf("concurrencyLimit: { max: 500 }").concurrencyLimit())
                    .hasValue(ConcurrencyLimitConfig.fixed(500));
            assertThat(policiesOf("concurrencyLimit: { max: 500, adaptive: false }").concurrencyLimit())
                    .hasValue(ConcurrencyLimitConfig.fixed(500));
        }

        @Test
        void startsAnAdaptiveLimitAtTwentyWithinMinAndMax() {
            assertThat(policiesOf("concurrencyLimit: { max: 500, adaptive: true }").concurrencyLimit())
                    .hasValue(new ConcurrencyLimitConfig(500, true, 20, 1));
            assertThat(policiesOf("concurrencyLimit: { max: 8, adaptive: true }").concurrencyLimit())
                    .hasValue(new ConcurrencyLimitConfig(8, true, 8, 1));
            assertThat(policiesOf("concurrencyLimit: { max: 500, adaptive: true, min: 50 }").concurrencyLimit())
                    .hasValue(new ConcurrencyLimitConfig(500, true, 50, 50));
        }

        @Test
        void readsAFaultWithOnlyOneOfItsParts() {
            assertThat(policiesOf("fault: { abort: { percent: 5, status: 500 } }").fault()).hasValue(new FaultConfig(
                    Optional.empty(), Optional.of(new FaultConfig.Abort(5, 500)), Optional.empty()));
            assertThat(policiesOf("fault: { delay: { percent: 0.25, duration: 1s } }").fault()).hasValue(
                    new FaultConfig(Optional.of(new FaultConfig.Delay(0.25, Duration.ofSeconds(1))),
                            Optional.empty(), Optional.empty()));
        }

        @Test
        void mirrorsEveryRequestUpToOneMebibyteByDefault() {
            assertThat(policiesOf("mirror: { cluster: shadow }").mirror())
                    .hasValue(new MirrorConfig("shadow", 100, 1024 * 1024));
        }

        @Test
        void allowsAnyPerTryTimeoutWhenTheRouteHasNoDeadline() {
            assertThat(policiesOf("timeout: 0\n    perTryTimeout: 5m").perTryTimeout())
                    .isEqualTo(Duration.ofMinutes(5));
            assertThat(policiesOf("timeout: 3s\n    perTryTimeout: 3s").perTryTimeout())
                    .isEqualTo(Duration.ofSeconds(3));
        }
    }

    @Nested
    class Reports {
        @Test
        void reportsEveryBadValueOfEveryNewKeyAtOnce() {
            ConfigException e = failure("""
                    server:
                      limits: { maxInFlightRequests: -1 }
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80 } ]
                        circuitBreaker:
                          failureRateThreshold: 0
                          slowCallDurationThreshold: 0
                          slowCallRateThreshold: 101
                          minimumNumberOfCalls: 0
                          slidingWindow: 500ms
                          waitInOpen: 0
                          halfOpenCalls: 1001
                          perEndpoint: maybe
                          failureStatuses: [502, 99, abc]
                          retryAfterMax: 0
                          colour: red
                    routes:
                      - name: r
                        cluster: app
                        timeout: 2s
                        perTryTimeout: 3s
                        deadlineHeader: "x bad"
                        retry:
                          attempts: 11
                          on: [reset, sometimes, 600]
                          backoff: { base: 500ms, max: 100ms }
                          retryAfterMax: soon
                          budget: { percent: 20.5, minRetriesPerSecond: -1 }
                          bufferBodyUpTo: 65MiB
                          jitter: full
                        rateLimit:
                          requestsPerSecond: 0
                          burst: 0
                          key: route
                          keyHeader: x-api-key
                          maxKeys: 0
                          keyIdleTime: 0
                        concurrencyLimit: { max: 10, adaptive: true, initial: 11, min: 20 }
                        fault:
                          delay: { percent: 100.5, duration: 0 }
                          abort: { percent: 1e2, status: 302 }
                          onlyWithHeader: "a:b"
                        mirror: { cluster: nowhere, percent: 101, maxBodySize: 1MB }
                      - name: r2
                        cluster: app
                        rateLimit: { key: header }
                        concurrencyLimit: { initial: 5 }
                        fault: {}
                        retry: { on: [] }
                      - name: r3
                        cluster: app
                        rateLimit: { requestsPerSecond: 1, key: everyone }
                        mirror: { percent: 50 }
                    """);

            assertThat(e.problems()).containsExactlyInAnyOrder(
                    "server.limits.maxInFlightRequests: must be between 0 and 10000000, was -1 (line 2)",
                    "clusters[0].circuitBreaker.failureRateThreshold: must be between 1 and 100, was 0 (line 7)",
                    "clusters[0].circuitBreaker.slowCallDurationThreshold: must be greater than 0 (line 8)",
                    "clusters[0].circuitBreaker.slowCallRateThreshold: must be between 1 and 100, was 101 (line 9)",
                    "clusters[0].circuitBreaker.minimumNumberOfCalls: must be between 1 and 1000000, was 0 (line 10)",
                    "clusters[0].circuitBreaker.slidingWindow: must be at least 1s (line 11)",
                    "clusters[0].circuitBreaker.waitInOpen: must be greater than 0 (line 12)",
                    "clusters[0].circuitBreaker.halfOpenCalls: must be between 1 and 1000, was 1001 (line 13)",
                    "clusters[0].circuitBreaker.perEndpoint: must be true or false (line 14)",
                    "clusters[0].circuitBreaker.failureStatuses: '99' is not an HTTP status (100-599) (line 15)",
                    "clusters[0].circuitBreaker.failureStatuses: 'abc' is not an HTTP status (100-599) (line 15)",
                    "clusters[0].circuitBreaker.retryAfterMax: must be greater than 0 (line 16)",
                    "clusters[0].circuitBreaker.colour: unknown key (line 17)",
                    "routes[0].perTryTimeout: must not be longer than timeout (2000ms) (line 22)",
                    "routes[0].deadlineHeader: 'x bad' is not a header name (line 23)",
                    "routes[0].retry.attempts: must be between 1 and 10, was 11 (line 25)",
                    "routes[0].retry.on: 'sometimes' is neither a retry condition (connect_failure, reset, timeout, "
                            + "gateway_error) nor an HTTP status (100-599) (line 26)",
                    "routes[0].retry.on: '600' is neither a retry condition (connect_failure, reset, timeout, "
                            + "gateway_error) nor an HTTP status (100-599) (line 26)",
                    "routes[0].retry.backoff.max: must not be shorter than base (500ms) (line 27)",
                    "routes[0].retry.retryAfterMax: 'soon' is not a duration (examples: 250ms, 5s, 2m, 1h) (line 28)",
                    "routes[0].retry.budget.percent: '20.5' is not a whole number (line 29)",
                    "routes[0].retry.budget.minRetriesPerSecond: must be between 0 and 10000000, was -1 (line 29)",
                    "routes[0].retry.bufferBodyUpTo: must be at most 64MiB (line 30)",
                    "routes[0].retry.jitter: unknown key (line 31)",
                    "routes[0].rateLimit.requestsPerSecond: must be greater than 0 and at most 10000000, was 0 "
                            + "(line 33)",
                    "routes[0].rateLimit.burst: must be between 1 and 10000000, was 0 (line 34)",
                    "routes[0].rateLimit.keyHeader: only key: header and key: client_ip_and_header use it (line 36)",
                    "routes[0].rateLimit.maxKeys: must be between 1 and 10000000, was 0 (line 37)",
                    "routes[0].rateLimit.keyIdleTime: must be greater than 0 (line 38)",
                    "routes[0].concurrencyLimit.min: must not be greater than max (10) (line 39)",
                    "routes[0].concurrencyLimit.initial: must be between min (1) and max (10) (line 39)",
                    "routes[0].fault.delay.percent: must be between 0 and 100, was 100.5 (line 41)",
                    "routes[0].fault.delay.duration: must be greater than 0 (line 41)",
                    "routes[0].fault.abort.percent: '1e2' is not a number (examples: 5, 0.5) (line 42)",
                    "routes[0].fault.abort.status: must be between 400 and 599, was 302 (line 42)",
                    "routes[0].fault.onlyWithHeader: 'a:b' is not a header name (line 43)",
                    "routes[0].mirror.percent: must be between 0 and 100, was 101 (line 44)",
                    "routes[0].mirror.maxBodySize: '1MB' is not a size (examples: 8192, 64KiB, 10MiB, 1GiB) (line 44)",
                    "routes[1].rateLimit.requestsPerSecond: is required",
                    "routes[1].rateLimit.keyHeader: is required by key: header",
                    "routes[1].concurrencyLimit.max: is required",
                    "routes[1].concurrencyLimit.initial: only an adaptive limit uses it (adaptive: true) (line 48)",
                    "routes[1].fault: give delay, abort or both",
                    "routes[1].retry.on: list at least one condition or status (leave retry out for no retries) "
                            + "(line 50)",
                    "routes[2].rateLimit.key: 'everyone' is not a rate limit key; choose one of route, client_ip, "
                            + "header, client_ip_and_header (line 53)",
                    "routes[2].mirror.cluster: is required",
                    "routes[0].mirror.cluster: 'nowhere' is not defined under clusters (line 44)");
        }

        @Test
        void reportsUndefinedMirrorClustersAfterTheRouteChecks() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80 } ]
                    routes:
                      - name: r
                        cluster: gone
                        mirror:
                          cluster: shadow
                    """)).containsExactly(
                    "routes[0].cluster: 'gone' is not defined under clusters (line 6)",
                    "routes[0].mirror.cluster: 'shadow' is not defined under clusters (line 8)");
        }

        @Test
        void reportsUnknownKeysInEveryNewBlock() {
            assertThat(problemsOf("""
                    clusters:
                      - name: app
                        endpoints: [ { address: 10.0.0.1:80 } ]
                        circuitBreaker: { threshold: 5 }
                      - name: shadow
                        endpoints: [ { address: 10.0.0.2:80 } ]
                    routes:
                      - name: r
                        cluster: app
                        retry: { attempts: 2, tries: 3, backoff: { jitter: full }, budget: { ratio: 1 } }
                        rateLimit: { requestsPerSecond: 1, perIp: true }
                        concurrencyLimit: { max: 1, queue: 5 }
                        fault:
                          abort: { percent: 1, status: 503, body: x }
                          delay: { percent: 1, duration: 1s, x: 1 }
                        mirror: { cluster: shadow, sample: 1 }
                    """)).containsExactlyInAnyOrder(
                    "clusters[0].circuitBreaker.threshold: unknown key (line 4)",
                    "routes[0].retry.tries: unknown key (line 10)",
                    "routes[0].retry.backoff.jitter: unknown key (line 10)",
                    "routes[0].retry.budget.ratio: unknown key (line 10)",
                    "routes[0].rateLimit.perIp: unknown key (line 11)",
                    "routes[0].concurrencyLimit.queue: unknown key (line 12)",
                    "routes[0].fault.abort.body: unknown key (line 14)",
                    "routes[0].fault.delay.x: unknown key (line 15)",
                    "routes[0].mirror.sample: unknown key (line 16)");
        }

        @Test
        void reportsABlockThatIsNotAMapping() {
            assertThat(problemsOf(withRoute("retry: 3"))).containsExactly(
                    "routes[0].retry: must be a mapping of keys to values (line 9)");
            assertThat(problemsOf(withRoute("retry: { on: reset }"))).containsExactly(
                    "routes[0].retry.on: must be a list (line 9)",
                    "routes[0].retry.on: list at least one condition or status (leave retry out for no retries) "
                            + "(line 9)");
        }

        @Test
        void requiresTheFaultPartsToBeExplicit() {
            assertThat(problemsOf(withRoute("fault: { delay: {}, abort: {} }"))).containsExactly(
                    "routes[0].fault.delay.percent: is required",
                    "routes[0].fault.delay.duration: is required",
                    "routes[0].fault.abort.percent: is required",
                    "routes[0].fault.abort.status: is required");
        }

        @Test
        void reportsADeadlineHeaderOnARouteWithoutDeadline() {
            assertThat(problemsOf(withRoute("timeout: 0\n    deadlineHeader: x-timeout-ms"))).containsExactly(
                    "routes[0].deadlineHeader: needs a route deadline, and timeout is 0 (line 10)");
        }

        @Test
        void reportsAnAdaptiveOnlyKeyOnAFixedLimit() {
            assertThat(problemsOf(withRoute("concurrencyLimit: { max: 10, min: 2 }"))).containsExactly(
                    "routes[0].concurrencyLimit.min: only an adaptive limit uses it (adaptive: true) (line 9)");
        }

        @Test
        void reportsABadNumberWithExamples() {
            for (String bad : List.of("1e3", ".5", "5.", "1_000", "half")) {
                assertThat(problemsOf(withRoute("mirror: { cluster: shadow, percent: '" + bad + "' }"))).as(bad)
                        .containsExactly("routes[0].mirror.percent: '" + bad
                                + "' is not a number (examples: 5, 0.5) (line 9)");
            }
        }
    }

    /** A valid file with clusters {@code app} and {@code shadow} whose only route gets the given lines from line 9. */
    private static String withRoute(String routeLines) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                  - name: shadow
                    endpoints: [ { address: 10.0.0.2:80 } ]
                routes:
                  - name: r
                    cluster: app
                    %s
                """.formatted(routeLines);
    }

    private static RoutePolicies policiesOf(String routeLines) {
        return ConfigReader.read(withRoute(routeLines), "test.yaml").routes().get(0).policies();
    }

    private static Optional<CircuitBreakerConfig> breakerOf(String clusterLines) {
        return ConfigReader.read("""
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                    %s
                routes: []
                """.formatted(clusterLines), "test.yaml").clusters().get(0).circuitBreaker();
    }

    private static List<String> problemsOf(String yaml) {
        return failure(yaml).problems();
    }

    private static ConfigException failure(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigReader.read(yaml, "test.yaml"));
        assertThat(e).as("ConfigException for:\n%s", yaml).isNotNull();
        return e;
    }
}
