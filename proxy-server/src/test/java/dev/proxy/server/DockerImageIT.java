package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Builds the image from {@code deploy/Dockerfile} (the repository root as the build context, as documented) and
 * probes it: {@code /healthz} and {@code /readyz} on the admin port, and the traffic port answering. Needs a Docker
 * engine; where none runs (every build machine here) JUnit reports it skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerImageIT {
    @Test
    void theImageStartsAsANonRootUserAndAnswersItsProbes() throws Exception {
        Path root = Loopback.repoRoot();
        int traffic = 8080;
        int admin = 9901;
        ImageFromDockerfile image = new ImageFromDockerfile("proxy-image-it", true)
                .withFileFromPath(".", root)
                .withDockerfile(root.resolve("deploy/Dockerfile"));
        try (GenericContainer<?> proxy = new GenericContainer<>(image)
                .withExposedPorts(traffic, admin)
                .waitingFor(Wait.forHttp("/healthz").forPort(admin).forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(2)))) {
            proxy.start();
            assertThat(proxy.execInContainer("id", "-u").getStdout().strip()).isEqualTo("10001");
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create("http://" + proxy.getHost()
                    + ":" + proxy.getMappedPort(admin) + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            // the image's default routes file points at demo endpoints that do not run in it: a 502 from the proxy
            HttpResponse<String> through = client.send(HttpRequest.newBuilder(URI.create("http://"
                    + proxy.getHost() + ":" + proxy.getMappedPort(traffic) + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(through.headers().firstValue("x-proxy-error")).isPresent();
        }
    }
}
