package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.TestBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ProxyApp#stop(Duration)} with a request in flight: readiness fails, the port closes, the request finishes. */
class GracefulShutdownIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(10);

    private final HeldResponder responder = new HeldResponder();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final ExecutorService stopper = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-stopper"));
    private TestBackend backend;
    private ProxyApp app;

    @BeforeEach
    void start() throws Exception {
        backend = TestBackend.http(responder);
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: slow
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: slow
                """.formatted(backend.address()), "graceful-test.yaml"), false);
    }

    @AfterEach
    void stop() throws InterruptedException {
        responder.release();
        if (app != null) {
            app.stop(Duration.ZERO);
        }
        if (backend != null) {
            backend.close();
        }
        stopper.shutdownNow();
        stopper.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void finishesTheRequestInFlightAfterReadinessFailsAndTheListenerCloses() throws Exception {
        int trafficPort = app.proxy().address().getPort();
        int adminPort = app.admin().address().getPort();
        CompletableFuture<HttpResponse<String>> inFlight = sendSlowRequest(trafficPort);
        await().atMost(BOUND).until(() -> backend.requestCount() == 1);

        Future<?> stopping = stopper.submit(() -> app.stop(Duration.ofSeconds(10)));

        await().atMost(BOUND).pollInterval(Duration.ofMillis(20))
                .until(() -> isNotOk(Loopback.status(adminPort, "/readyz")));
        await().atMost(BOUND).pollInterval(Duration.ofMillis(20))
                .until(() -> Loopback.refusesConnections(trafficPort));
        // stop() waits for the request, whose response the backend has not even begun
        assertThat(stopping).isNotDone();
        assertThat(inFlight).isNotDone();

        responder.release();

        HttpResponse<String> response = inFlight.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(HeldResponder.BODY);
        stopping.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        await().atMost(BOUND).until(() -> backend.openConnections() == 0);
    }

    @Test
    void cutsTheRequestStillInFlightWhenTheGracePeriodEnds() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = sendSlowRequest(app.proxy().address().getPort());
        await().atMost(BOUND).until(() -> backend.requestCount() == 1);

        // generous: this asserts that stop() returns after the grace period, not how fast
        assertTimeoutPreemptively(Duration.ofSeconds(8), () -> app.stop(Duration.ofMillis(300)));

        assertThatThrownBy(() -> inFlight.get(BOUND.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IOException.class);
        // the upstream connection the cut request used is closed too
        await().atMost(BOUND).until(() -> backend.openConnections() == 0);
    }

    private CompletableFuture<HttpResponse<String>> sendSlowRequest(int port) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean isNotOk(OptionalInt status) {
        return status.isEmpty() || status.getAsInt() != 200;
    }
}
