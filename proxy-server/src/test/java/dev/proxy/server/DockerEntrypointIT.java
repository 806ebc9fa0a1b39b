package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact command of {@code deploy/Dockerfile} (its ENTRYPOINT and CMD, read from the file) serves traffic, run
 * here without Docker: only the paths the image has are replaced (the JVM of this build for {@code java}, the shaded
 * jar this build packaged for {@code /opt/proxy/proxy-server.jar}, a temporary routes file for
 * {@code /etc/proxy/proxy.yaml}). Then SIGTERM, as a container runtime sends it, drains and ends the process.
 * An integration test (failsafe): it needs the jar of the package phase.
 */
class DockerEntrypointIT {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private Process process;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @AfterEach
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theImagesCommandStartsTheJarOnTheMountedConfigAndServesTraffic() throws Exception {
        Path root = Loopback.repoRoot();
        Path dockerfile = root.resolve("deploy/Dockerfile");
        Path jar = root.resolve("proxy-server/target/proxy-server.jar");
        assertThat(jar).as("the shaded jar of the package phase").isRegularFile();
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("from the backend")));
        int[] ports = Loopback.freePorts(2);
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:%d
                  admin: { listen: 127.0.0.1:%d }
                  drain: { gracePeriod: 1s }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(ports[0], ports[1], backend.address()), StandardCharsets.UTF_8);

        List<String> command = new ArrayList<>();
        for (String word : DeployFiles.execForm(dockerfile, "ENTRYPOINT")) {
            command.add(switch (word) {
                case "java" -> Path.of(System.getProperty("java.home"), "bin", "java").toString();
                case "/opt/proxy/proxy-server.jar" -> jar.toString();
                default -> word;
            });
        }
        for (String word : DeployFiles.execForm(dockerfile, "CMD")) {
            command.add(word.equals("/etc/proxy/proxy.yaml") ? config.toString() : word);
        }
        // every path of the image was replaced: nothing else of the command refers to the container's files
        assertThat(command).noneMatch(w -> w.startsWith("/opt/") || w.startsWith("/etc/proxy"));
        Path out = dir.resolve("proxy.out");
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();

        await().atMost(BOUND).until(() -> Loopback.status(ports[1], "/healthz").equals(OptionalInt.of(200))
                || !process.isAlive());
        assertThat(process.isAlive()).as(Files.readString(out)).isTrue();
        assertThat(Loopback.status(ports[1], "/readyz")).hasValue(200);
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ports[0] + "/hello")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("from the backend");
        // the shaded jar carries the proxy's own Logback configuration (its META-INF/services entry): the text format,
        // and no status of Logback's own
        await().atMost(BOUND).until(() -> Files.readString(out).contains("admin listening"));
        assertThat(Files.readString(out)).containsPattern("\\d{3} INFO  \\[main] d\\.proxy\\.server\\.ProxyApp - admin "
                + "listening on").doesNotContain("ch.qos.logback");

        // SIGTERM, as `docker stop` and the kubelet send it to the container's PID 1: the shutdown hook drains
        process.destroy();
        assertThat(process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).as(Files.readString(out)).isTrue();
        assertThat(process.exitValue()).as(Files.readString(out)).isEqualTo(143);
        assertThat(Loopback.refusesConnections(ports[0])).isTrue();
    }
}
