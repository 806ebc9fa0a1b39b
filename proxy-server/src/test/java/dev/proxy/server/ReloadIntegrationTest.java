package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.server.reload.ReloadResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload of a running proxy from its file: what a good file changes, what a bad one does not, the triggers
 * (the file itself, a Kubernetes-style symlink swap, the admin API), and no request lost under load.
 */
class ReloadIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private ProxyApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    private static String config(String body) {
        return """
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0, allowWrites: true }
                observability:
                  accessLog: { enabled: false }
                """ + body;
    }

    private ProxyApp start(Path file, String yaml) throws Exception {
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        app = ProxyApp.start(file, ConfigReader.read(file), false);
        return app;
    }

    private static void write(Path file, String yaml) throws IOException {
        // as an editor saves: a new file renamed over the old one
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.proxy().address().getPort() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(String method, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.admin().address().getPort() + path)).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private ReloadResult lastReload() {
        return app.reloader().orElseThrow().last();
    }

    private static String oneRoute(String backend, String route, String prefix) {
        return config("""
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: %s
                    match: { pathPrefix: %s }
                    cluster: app
                """.formatted(backend, route, prefix));
    }

    @Test
    void aChangedFileIsServedAndItsDiffLogged() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        Path file = dir.resolve("proxy.yaml");
        start(file, oneRoute(backend.address(), "old", "/old/"));
        assertThat(get("/new/x").statusCode()).isEqualTo(404);

        write(file, oneRoute(backend.address(), "new", "/new/"));

        await().atMost(Duration.ofSeconds(10)).until(() -> lastReload().generation() == 2);
        assertThat(lastReload().outcome()).isEqualTo(ReloadResult.Outcome.APPLIED);
        assertThat(lastReload().trigger()).isEqualTo("file");
        assertThat(lastReload().diff().orElseThrow().summary()).isEqualTo("routes +new -old");
        assertThat(get("/new/x").statusCode()).isEqualTo(200);
        assertThat(get("/old/x").statusCode()).isEqualTo(404);
        PrometheusText m = PrometheusText.parse(admin("GET", "/metrics").body());
        assertThat(m.sum("proxy_config_generation")).isEqualTo(2);
        assertThat(m.sum("proxy_config_reloads_total", "result", "success")).isEqualTo(2);
    }

    @Test
    void anInvalidFileChangesNothingAndIsReportedWithEveryProblem() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        Path file = dir.resolve("proxy.yaml");
        start(file, oneRoute(backend.address(), "main", "/"));

        write(file, config("""
                clusters:
                  - name: app
                    endpoints: [ { address: "nowhere" } ]
                routes:
                  - name: main
                    cluster: missing
                    retry: { attempts: 0 }
                """));

        await().atMost(Duration.ofSeconds(10)).until(() -> lastReload().outcome() == ReloadResult.Outcome.REJECTED);
        assertThat(lastReload().problems()).hasSizeGreaterThanOrEqualTo(3)
                .anyMatch(p -> p.startsWith("clusters[0].endpoints[0].address"))
                .anyMatch(p -> p.startsWith("routes[0].cluster"))
                .anyMatch(p -> p.startsWith("routes[0].retry.attempts"));
        assertThat(lastReload().generation()).isEqualTo(1);
        assertThat(app.proxy().snapshot().generation()).isEqualTo(1);
        assertThat(get("/x").statusCode()).as("the old config serves").isEqualTo(200);
        String config = admin("GET", "/config").body();
        assertThat(config).contains("\"outcome\" : \"rejected\"", "routes[0].cluster");
        PrometheusText m = PrometheusText.parse(admin("GET", "/metrics").body());
        assertThat(m.sum("proxy_config_reloads_total", "result", "failure")).isEqualTo(1);
    }

    @Test
    void aKubernetesConfigMapSymlinkSwapIsPickedUp() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        // the layout the kubelet makes: proxy.yaml -> ..data/proxy.yaml, ..data -> ..<timestamp>
        Path v1 = Files.createDirectory(dir.resolve("..2026_11_26_v1"));
        Files.writeString(v1.resolve("proxy.yaml"), oneRoute(backend.address(), "v1", "/v1/"));
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("proxy.yaml"), Path.of("..data", "proxy.yaml"));
        app = ProxyApp.start(file, ConfigReader.read(file), false);
        assertThat(get("/v1/x").statusCode()).isEqualTo(200);

        Path v2 = Files.createDirectory(dir.resolve("..2026_11_26_v2"));
        Files.writeString(v2.resolve("proxy.yaml"), oneRoute(backend.address(), "v2", "/v2/"));
        Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

        await().atMost(Duration.ofSeconds(10)).until(() -> lastReload().generation() == 2);
        assertThat(get("/v2/x").statusCode()).isEqualTo(200);
        assertThat(get("/v1/x").statusCode()).isEqualTo(404);
    }

    @Test
    void theAdminApiReloadsOnlyWhenWritesAreAllowed() throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        Path file = dir.resolve("proxy.yaml");
        start(file, oneRoute(backend.address(), "main", "/"));

        HttpResponse<String> same = admin("POST", "/config/reload");
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.body()).contains("\"outcome\" : \"unchanged\"", "\"trigger\" : \"admin\"");
        assertThat(admin("GET", "/config/reload").statusCode()).isEqualTo(405);

        app.stop(Duration.ZERO);
        start(file, oneRoute(backend.address(), "main", "/").replace(", allowWrites: true", ""));
        assertThat(admin("POST", "/config/reload").statusCode()).isEqualTo(403);
    }

    @Test
    void reloadingOneClusterKeepsTheOtherClustersConnectionsAndBreaker() throws Exception {
        TestBackend a = closer.keep(TestBackend.http(TestBackend.ok("a")));
        TestBackend b = closer.keep(TestBackend.http(TestBackend.ok("b")));
        String yaml = config("""
                clusters:
                  - name: a
                    endpoints: [ { address: %s } ]
                    timeouts: { responseHeader: 5s }
                    circuitBreaker: { minimumNumberOfCalls: 100 }
                  - name: b
                    endpoints: [ { address: %s } ]
                    circuitBreaker: { minimumNumberOfCalls: 100 }
                routes:
                  - name: a
                    match: { pathPrefix: /a/ }
                    cluster: a
                  - name: b
                    match: { pathPrefix: /b/ }
                    cluster: b
                """.formatted(a.address(), b.address()));
        Path file = dir.resolve("proxy.yaml");
        start(file, yaml);
        for (int i = 0; i < 3; i++) {
            assertThat(get("/a/x").body()).isEqualTo("a");
            assertThat(get("/b/x").body()).isEqualTo("b");
        }
        Cluster bBefore = app.proxy().snapshot().clusters().get("b");
        Cluster aBefore = app.proxy().snapshot().clusters().get("a");
        ConnectionPool bPool = bBefore.pool(bBefore.endpoints().get(0));
        int bConnections = b.acceptedConnections();
        int aConnections = a.acceptedConnections();

        Files.writeString(file, yaml.replace("responseHeader: 5s", "responseHeader: 6s"));
        ReloadResult result = app.reload("test").orElseThrow();

        assertThat(result.diff().orElseThrow().summary()).isEqualTo("clusters ~a");
        Cluster bAfter = app.proxy().snapshot().clusters().get("b");
        assertThat(bAfter).as("b did not change: the same runtime cluster").isSameAs(bBefore);
        assertThat(bAfter.pool(bAfter.endpoints().get(0))).isSameAs(bPool);
        assertThat(bAfter.guard()).isSameAs(bBefore.guard());
        assertThat(app.proxy().snapshot().clusters().get("a").guard()).isNotSameAs(aBefore.guard());
        for (int i = 0; i < 3; i++) {
            assertThat(get("/b/x").body()).isEqualTo("b");
            assertThat(get("/a/x").body()).isEqualTo("a");
        }
        assertThat(b.acceptedConnections()).as("b's kept-alive connections were reused").isEqualTo(bConnections);
        assertThat(a.acceptedConnections()).as("a's pool is new").isGreaterThan(aConnections);
    }

    @Test
    void noRequestFailsAcrossTwentyReloadsUnderLoad() throws Exception {
        TestBackend one = closer.keep(TestBackend.http(TestBackend.ok("one")));
        TestBackend two = closer.keep(TestBackend.http(TestBackend.ok("two")));
        // A and B differ in routes and clusters added, changed and removed; /main/ is served by both
        String a = config("""
                clusters:
                  - name: c1
                    endpoints: [ { address: %s } ]
                  - name: c2
                    endpoints: [ { address: %s } ]
                routes:
                  - name: main
                    match: { pathPrefix: /main/ }
                    cluster: c1
                  - name: extra
                    match: { pathPrefix: /extra/ }
                    cluster: c2
                """.formatted(one.address(), two.address()));
        String b = config("""
                clusters:
                  - name: c1
                    endpoints: [ { address: %s } ]
                    pool: { maxIdleTime: 20s }
                  - name: c3
                    endpoints: [ { address: %s } ]
                routes:
                  - name: main
                    match: { pathPrefix: /main/ }
                    weightedClusters: [ { cluster: c1, weight: 50 }, { cluster: c3, weight: 50 } ]
                  - name: other
                    match: { pathPrefix: /other/ }
                    cluster: c3
                """.formatted(one.address(), two.address()));
        Path file = dir.resolve("proxy.yaml");
        start(file, a);

        LoadGenerator load = LoadGenerator.start(50, i -> URI.create("http://127.0.0.1:"
                + app.proxy().address().getPort() + "/main/x"));
        try (load) {
            for (int i = 0; i < 20; i++) {
                // let traffic flow on each generation before the next swap
                load.awaitMore(100);
                Files.writeString(file, i % 2 == 0 ? b : a, StandardCharsets.UTF_8);
                assertThat(app.reload("test").orElseThrow().outcome()).isEqualTo(ReloadResult.Outcome.APPLIED);
            }
            load.awaitMore(100);
        }

        assertThat(load.failures()).isEmpty();
        assertThat(load.done()).isGreaterThan(2000);
        assertThat(app.proxy().snapshot().generation()).isEqualTo(21);
        assertThat(one.requestCount() + two.requestCount()).isEqualTo((int) load.done());
    }
}
