package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
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

/** {@link ProxyApp} with {@code --demo}: two demo backends behind the proxy, and the admin listener. */
class DemoIntegrationTest {
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private ProxyApp app;

    @BeforeEach
    void start() throws Exception {
        int[] demoPorts = Loopback.freePorts(2);
        // the traffic and admin ports are read back from the app, so port 0 avoids any race for them
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: demo
                    endpoints:
                      - { address: 127.0.0.1:%d }
                      - { address: 127.0.0.1:%d }
                    balancer: { policy: round_robin }
                routes:
                  - name: demo
                    match: { pathPrefix: / }
                    cluster: demo
                """.formatted(demoPorts[0], demoPorts[1]), "demo-test.yaml"), true);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    @Test
    void alternatesRequestsBetweenTheTwoDemoBackends() throws Exception {
        List<String> backends = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = get(trafficPort(), "/hello/" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            String backend = r.headers().firstValue("x-backend").orElseThrow();
            assertThat(r.body()).contains("\"backend\":\"" + backend + "\"", "\"uri\":\"/hello/" + i + "\"");
            backends.add(backend);
        }

        String first = backends.get(0);
        assertThat(first).isIn("demo-1", "demo-2");
        String second = first.equals("demo-1") ? "demo-2" : "demo-1";
        assertThat(backends).containsExactly(first, second, first, second, first, second);
    }

    @Test
    void demoShowsTheForwardedForHeaderTheProxyAdded() throws Exception {
        HttpResponse<String> r = get(trafficPort(), "/");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body()).contains("\"x-forwarded-for\":\"127.0.0.1\"", "\"method\":\"GET\"");
    }

    @Test
    void adminAnswersHealthAndReadinessAndNotFoundForOtherPaths() throws Exception {
        int admin = app.admin().address().getPort();

        HttpResponse<String> health = get(admin, "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        HttpResponse<String> ready = get(admin, "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        assertThat(get(admin, "/nope").statusCode()).isEqualTo(404);
    }

    private int trafficPort() {
        return app.proxy().address().getPort();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
