package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real headless browser (Debian's chromium): loaded from a running proxy under traffic, its
 * script fetches {@code /status} and renders it; the figures it shows must be those of {@code /clusters}. Saves a
 * screenshot to {@code proxy-server/target/status-page.png} (the one in docs/ comes from this test).
 */
class StatusPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern ROW = Pattern.compile("<tr data-endpoint=\"([^\"]+)\">(.*?)</tr>");
    private static final Pattern FIELD = Pattern.compile("data-field=\"([a-zA-Z]+)\">([^<]*)<");

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ProxyApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    @Test
    void showsWhatTheClustersEndpointSaysUnderTraffic() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium (Debian package chromium)");
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestBackend other = closer.keep(TestBackend.http(TestBackend.ok("other")));
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: users
                    endpoints: [ { address: %s, weight: 3 }, { address: 127.0.0.1:%d } ]
                    outlierDetection: { consecutiveGatewayFailures: 1, baseEjectionTime: 5m, maxEjectionTime: 10m }
                    circuitBreaker: { minimumNumberOfCalls: 1000, perEndpoint: true }
                  - name: orders
                    endpoints: [ { address: %s } ]
                routes:
                  - name: users
                    match: { pathPrefix: /users/ }
                    cluster: users
                    retry: { attempts: 2, on: [connect_failure] }
                  - name: orders
                    match: { pathPrefix: /orders/ }
                    cluster: orders
                """.formatted(healthy.address(), dead, other.address()), "status.yaml"), false);
        // the dead endpoint is ejected after its first refused connect; the retry keeps the answer a 200
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            get("/users/x");
            return clusters().get(0).get("endpointsAvailable").asInt() == 1;
        });

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();
        List<Thread> load = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String path = i % 2 == 0 ? "/users/x" : "/orders/x";
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        get(path);
                        sent.incrementAndGet();
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            t.start();
            load.add(t);
        }
        String dom;
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> sent.get() >= 50);
            dom = browser("--dump-dom");
            browser("--screenshot=" + Path.of("target", "status-page.png").toAbsolutePath(),
                    "--window-size=1280,900", "--hide-scrollbars");
        } finally {
            running.set(false);
            for (Thread t : load) {
                t.join(10_000);
            }
        }

        assertThat(dom).contains("data-loaded=\"true\"");
        JsonNode clusters = clusters();
        Map<String, Map<String, String>> shown = endpointsShown(dom);
        Map<String, Map<String, String>> expected = new LinkedHashMap<>();
        for (JsonNode c : clusters) {
            for (JsonNode e : c.get("endpoints")) {
                expected.put(c.get("name").asText() + "/" + e.get("address").asText(), Map.of(
                        "weight", e.get("weight").asText(),
                        "health", e.get("health").asText(),
                        "breaker", e.get("breaker").isNull() ? "none" : e.get("breaker").asText()));
            }
        }
        assertThat(shown.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((endpoint, fields) -> assertThat(shown.get(endpoint)).as(endpoint)
                .containsAllEntriesOf(fields));
        assertThat(shown.get("users/127.0.0.1:" + dead)).containsEntry("health", "ejected");
        assertThat(dom).contains("data-field=\"available\">1/2 available", "data-field=\"generation\">1<");
        assertThat(dom).containsPattern("data-field=\"hash\">[0-9a-f]{12}<");
        Matcher total = Pattern.compile("<tr data-route=\"users\">.*?data-field=\"requests\">(\\d+)<").matcher(dom);
        assertThat(total.find()).isTrue();
        assertThat(Long.parseLong(total.group(1))).as("requests of the users route when the page loaded")
                .isGreaterThanOrEqualTo(25);
    }

    private static Map<String, Map<String, String>> endpointsShown(String dom) {
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        Matcher row = ROW.matcher(dom);
        while (row.find()) {
            Map<String, String> fields = new LinkedHashMap<>();
            Matcher f = FIELD.matcher(row.group(2));
            while (f.find()) {
                fields.put(f.group(1), f.group(2));
            }
            rows.put(row.group(1), fields);
        }
        return rows;
    }

    /** Runs headless chromium on the status page with {@code flags}; returns what it printed. */
    private String browser(String... flags) throws Exception {
        // --no-sandbox: CI runs as root; --disable-dev-shm-usage: containers often have a tiny /dev/shm
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + dir.resolve("chromium"),
                // the page fetches /status at once and every 2 s; 5 s of virtual time covers two refreshes
                "--virtual-time-budget=5000"));
        command.addAll(List.of(flags));
        command.add("http://127.0.0.1:" + app.admin().address().getPort() + "/");
        Path out = dir.resolve("chromium.out");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(dir.resolve("chromium.err").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("chromium.err"))).isZero();
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private JsonNode clusters() throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.admin().address().getPort() + "/clusters")).build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body()).get("clusters");
    }

    private void get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.proxy().address().getPort() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }
}
