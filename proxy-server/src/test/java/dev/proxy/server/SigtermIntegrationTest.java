package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real entry point in a child JVM drains on SIGTERM: the request in flight completes, then the JVM exits. */
class SigtermIntegrationTest {
    /**
     * The JVM's exit status after SIGTERM: 128 + 15. The signal starts the JVM's exit sequence with that status;
     * {@link Main}'s shutdown hook drains the proxy, and when the hooks are done the JVM halts with 143, whatever
     * the main thread (which returns normally once the hook counted down) would have chosen. Kubernetes and
     * systemd treat 143 after a SIGTERM they sent as a clean stop.
     */
    private static final int EXIT_AFTER_SIGTERM = 143;
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final HeldResponder responder = new HeldResponder();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private TestBackend backend;
    private ChildJvm proxy;
    private int trafficPort;
    private int adminPort;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.http(responder);
        int[] ports = Loopback.freePorts(2);
        trafficPort = ports[0];
        adminPort = ports[1];
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:%d
                  admin: { listen: 127.0.0.1:%d }
                  drain: { gracePeriod: 30s }
                clusters:
                  - name: slow
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: slow
                """.formatted(trafficPort, adminPort, backend.address()), StandardCharsets.UTF_8);
        proxy = ChildJvm.start(dir, List.of("-Xmx256m"), "--config", config.toString());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(proxy.isAlive()).as("proxy exited early\n%s", proxy.output()).isTrue();
            assertThat(Loopback.status(adminPort, "/readyz")).hasValue(200);
        });
    }

    @AfterEach
    void stop() {
        responder.release();
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void drainsTheRequestInFlightOnSigtermThenExits() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + trafficPort + "/slow"))
                        .timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(BOUND).until(() -> backend.requestCount() == 1);

        proxy.process().destroy(); // SIGTERM on Linux and macOS

        // the shutdown hook is draining: readiness fails and the traffic port closes, the request is still held
        await().atMost(BOUND).pollInterval(Duration.ofMillis(20)).until(() -> {
            OptionalInt ready = Loopback.status(adminPort, "/readyz");
            return ready.isEmpty() || ready.getAsInt() != 200;
        });
        await().atMost(BOUND).pollInterval(Duration.ofMillis(20))
                .until(() -> Loopback.refusesConnections(trafficPort));
        assertThat(proxy.isAlive()).as("drains until the request completes\n%s", proxy.output()).isTrue();
        assertThat(inFlight).isNotDone();

        responder.release();

        HttpResponse<String> response = inFlight.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(HeldResponder.BODY);
        assertThat(proxy.awaitExit(BOUND)).as(proxy.output()).isEqualTo(EXIT_AFTER_SIGTERM);
        assertThat(proxy.stdout()).contains("proxy stopped");
        assertThat(proxy.stdout()).doesNotContain("still busy after");
    }
}
