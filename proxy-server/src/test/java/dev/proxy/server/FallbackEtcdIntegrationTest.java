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
 * A primary etcd region going away, end to end: {@code proxy register --fallback-etcd} (the real command line in a
 * child JVM) moves the backend's registration to the fallback, the assembled proxy serves the fallback's endpoints
 * and says so, and both return to the primary when it is back.
 */
class FallbackEtcdIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

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
    void theProxyAndTheRegistrationFollowThePrimaryToTheFallbackAndBack() throws Exception {
        EtcdCluster primary = closer.keep(EtcdCluster.single());
        EtcdCluster secondary = closer.keep(EtcdCluster.single());
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("registered")));
        ProxyApp app = closer.keep(ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                discovery:
                  etcd:
                    endpoints: %s
                    requestTimeout: 1s
                    fallback: { endpoints: %s, requestTimeout: 1s, failoverAfter: 3s, failbackAfter: 1s }
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: users
                """.formatted(primary.yamlEndpoints(), secondary.yamlEndpoints()), "fallback.yaml"), false));
        int traffic = app.proxy().address().getPort();
        int admin = app.admin().address().getPort();

        ChildJvm register = closer.keep(ChildJvm.start(dir, List.of(), "register",
                "--etcd", primary.clientUrls().get(0).toString(),
                "--fallback-etcd", secondary.clientUrls().get(0).toString(),
                "--prefix", "/services/users/", "--address", backend.address(), "--ttl", "3s"));
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 200);
        await().atMost(BOUND).until(() -> register.stdout().contains("registered /services/users/"
                + backend.address()));

        // the primary region goes: the registration moves to the fallback, and the proxy serves the fallback's set
        primary.killAll();
        await().atMost(BOUND).until(() -> get(admin, "/readyz").body().contains("discovery on the fallback etcd"));
        // served from the fallback's set, which holds the backend only if its registration moved there
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 200);
        assertThat(get(traffic, "/").body()).isEqualTo("registered");
        assertThat(get(admin, "/metrics").body()).contains("proxy_discovery_fallback_active 1");
        assertThat(get(admin, "/status").body()).containsPattern("\"fallback\" ?: ?true");

        // and comes back: the proxy serves the primary's set again, where the registration is too
        primary.startAll();
        await().atMost(BOUND).until(() -> get(admin, "/metrics").body().contains("proxy_discovery_fallback_active 0"));
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 200);
        assertThat(get(traffic, "/").body()).isEqualTo("registered");

        // SIGTERM revokes what it holds: the endpoint leaves at once
        register.process().destroy();
        register.awaitExit(BOUND);
        await().atMost(BOUND).until(() -> get(traffic, "/").statusCode() == 503);
    }
}
