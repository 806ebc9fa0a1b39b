package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watchdog on a running proxy: a threshold crossed (here a thread cap no JVM can keep) shows in the metrics and,
 * as the action says, fails readiness or closes idle upstream connections.
 */
class WatchdogIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private ProxyApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    private void start(String backend, String watchdog) throws Exception {
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                  watchdog: %s
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(watchdog, backend), "watchdog-test.yaml"), false);
    }

    @Test
    void failReadinessTakesTheProxyOutWhileOverAThreshold() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        start(backend.address(), "{ interval: 50ms, maxThreads: 1, action: fail_readiness }");

        await().atMost(Duration.ofSeconds(10)).until(() -> admin("/readyz").statusCode() == 503);
        assertThat(admin("/readyz").body()).contains("watchdog", "threads");
        PrometheusText m = PrometheusText.parse(admin("/metrics").body());
        assertThat(m.sum("proxy_watchdog_breached", "check", "threads")).isEqualTo(1);
        assertThat(m.sum("proxy_watchdog_breaches_total", "check", "threads")).isEqualTo(1);
        assertThat(m.sum("proxy_watchdog_breached", "check", "heap")).isZero();
        // unready is for the load balancer; traffic that still arrives is served
        assertThat(traffic("/x").statusCode()).isEqualTo(200);
    }

    @Test
    void warnOnlyDegradesReadiness() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        start(backend.address(), "{ interval: 50ms, maxThreads: 1, action: warn }");

        await().atMost(Duration.ofSeconds(10)).until(() -> admin("/readyz").body().contains("watchdog"));
        assertThat(admin("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void closeIdleGivesBackTheUpstreamConnections() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        start(backend.address(), "{ interval: 50ms, maxThreads: 1, action: close_idle }");

        assertThat(traffic("/x").statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
        assertThat(backend.acceptedConnections()).isPositive();
        assertThat(traffic("/y").statusCode()).as("the pool reconnects on demand").isEqualTo(200);
    }

    private HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return send(app.admin().address().getPort(), path);
    }

    private HttpResponse<String> traffic(String path) throws IOException, InterruptedException {
        return send(app.proxy().address().getPort(), path);
    }

    private HttpResponse<String> send(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
