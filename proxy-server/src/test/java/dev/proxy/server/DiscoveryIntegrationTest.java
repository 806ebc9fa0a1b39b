package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.balancer.etcd.EtcdCluster;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled proxy with etcd discovery: readiness waits for the first endpoint set and stays up, degraded,
 * while etcd is away; {@code proxy register} (the real command line in a child JVM) registers a backend and its
 * SIGTERM takes it out at once.
 */
class DiscoveryIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void readinessFollowsDiscoveryAndRegisterAddsAndRemovesAnEndpoint() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        etcd.killAll();
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("registered")));
        ProxyApp app = closer.keep(ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                discovery:
                  etcd: { endpoints: %s, requestTimeout: 1s }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: users
                """.formatted(etcd.yamlEndpoints()), "discovery.yaml"), false));
        int traffic = app.proxy().address().getPort();
        int admin = app.admin().address().getPort();

        // etcd down and no snapshot file: nothing to serve yet, and readiness says why
        HttpResponse<String> notReady = get(admin, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("discovery not synced");

        etcd.startAll();
        await().atMost(BOUND).until(() -> get(admin, "/readyz").statusCode() == 200);
        assertThat(get(traffic, "/").statusCode()).isEqualTo(503);

        ChildJvm register = closer.keep(ChildJvm.start(dir, List.of(), "register",
                "--etcd", etcd.clientUrls().get(0).toString(), "--prefix", "/services/users/",
                "--address", backend.address(), "--ttl", "60s"));
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 200);
        assertThat(get(traffic, "/").body()).isEqualTo("registered");
        // the child logs after its put returns, which may be after the proxy's watch has seen the key
        await().atMost(BOUND).until(() -> register.stdout().contains("registered /services/users/"
                + backend.address()));
        String metrics = get(admin, "/metrics").body();
        assertThat(metrics).contains("proxy_discovery_endpoints{cluster=\"users\"} 1", "proxy_discovery_connected 1",
                "proxy_discovery_stale 0", "proxy_discovery_synced 1", "proxy_discovery_decode_errors_total 0");
        assertThat(metrics).containsPattern("proxy_discovery_updates_total [2-9]");

        // SIGTERM revokes the lease: the endpoint goes now, not when its 60 s lease would have run out
        register.process().destroy();
        register.awaitExit(BOUND);
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 503);
        assertThat(get(traffic, "/").headers().firstValue("x-proxy-error")).hasValue("no_endpoint");

        etcd.killAll();
        await().atMost(BOUND).untilAsserted(() -> {
            HttpResponse<String> degraded = get(admin, "/readyz");
            assertThat(degraded.statusCode()).isEqualTo(200);
            assertThat(degraded.body()).contains("degraded: discovery stale");
        });
        HttpResponse<String> openMetrics = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(openMetrics.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("application/openmetrics-text"));
        assertThat(openMetrics.body()).contains("proxy_discovery_stale 1", "proxy_discovery_connected 0")
                .endsWith("# EOF\n");
    }
}
