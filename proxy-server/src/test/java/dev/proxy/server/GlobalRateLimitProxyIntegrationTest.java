package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.resilience.ratelimit.RedisProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two proxies sharing a global rate limit through a real redis-server: the fleet's permits are shared, a closed
 * failure mode answers 503 with its own reason while Redis is gone, and readiness and the meters say so.
 */
class GlobalRateLimitProxyIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private RedisProcess redis;
    private final List<ProxyApp> apps = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        assumeTrue(RedisProcess.installed(), "redis-server is not installed");
        redis = RedisProcess.start();
    }

    @AfterEach
    void stop() throws Exception {
        apps.forEach(a -> a.stop(Duration.ZERO));
        if (redis != null) {
            redis.close();
        }
    }

    private ProxyApp proxy(TestBackend backend) throws InterruptedException {
        // 4 permits per period of 40,000 s (11 hours), so the test does not see a new period but by rare chance
        ProxyApp app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                redis:
                  url: %s
                  timeout: 2s
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: guarded
                    match: { pathPrefix: /guarded/ }
                    cluster: b
                    rateLimit: { requestsPerSecond: 1000, scope: global, failureMode: closed }
                  - name: shared
                    match: { pathPrefix: / }
                    cluster: b
                    rateLimit: { requestsPerSecond: 0.0001, burst: 4, scope: global }
                """.formatted(redis.url(), backend.address()), "global-test.yaml"), false);
        apps.add(app);
        return app;
    }

    @Test
    void twoProxiesShareTheFleetsPermitsAndAClosedLimitAnswers503WhileRedisIsGone() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        ProxyApp a = proxy(backend);
        ProxyApp b = proxy(backend);

        int admitted = 0;
        HttpResponse<String> limited = null;
        for (int i = 0; i < 6; i++) {
            for (ProxyApp app : List.of(a, b)) {
                HttpResponse<String> r = get(app, "/x");
                if (r.statusCode() == 200) {
                    admitted++;
                } else {
                    assertThat(r.statusCode()).isEqualTo(429);
                    limited = r;
                }
            }
        }
        // 4 for the fleet, not 4 for each proxy (8 only if the test straddled the start of a new period)
        assertThat(admitted).isIn(4, 8);
        assertThat(backend.requestCount()).isEqualTo(admitted);
        assertThat(limited).isNotNull();
        assertThat(limited.headers().firstValue("x-proxy-error")).hasValue("rate_limited");
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        assertThat(admin(a, "/readyz").body()).isEqualTo("ready\n");

        assertThat(get(a, "/guarded/x").statusCode()).isEqualTo(200);

        redis.kill();
        // the spent limit needs no Redis to refuse until its period ends; the other must ask, and cannot
        assertThat(get(a, "/x").statusCode()).isEqualTo(429);
        await().atMost(Duration.ofSeconds(60)).until(() -> get(a, "/guarded/x").statusCode() == 503);
        HttpResponse<String> refused = get(a, "/guarded/x");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("x-proxy-error")).hasValue("rate_limit_unavailable");
        HttpResponse<String> ready = admin(a, "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("degraded", "Redis");
        PrometheusText m = PrometheusText.parse(admin(a, "/metrics").body());
        assertThat(m.sum("proxy_ratelimit_redis_errors_total")).isPositive();
        assertThat(m.sum("proxy_ratelimit_redis_fallbacks_total")).isPositive();
        assertThat(m.sum("proxy_ratelimit_redis_calls_seconds_count")).isPositive();

        redis.restart();
        // Redis is back: the closed limit admits again, counted there
        await().atMost(Duration.ofSeconds(60)).until(() -> get(a, "/guarded/x").statusCode() == 200);
        await().atMost(Duration.ofSeconds(60)).until(() -> admin(a, "/readyz").body().equals("ready\n"));
    }

    private HttpResponse<String> get(ProxyApp app, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.proxy().address().getPort()
                + path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(ProxyApp app, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.admin().address().getPort()
                + path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
