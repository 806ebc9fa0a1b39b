package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.testing.TestBackend;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gibibyte each way through a proxy whose JVM has 128 MiB of heap and 128 MiB of direct memory: it can only
 * succeed if the proxy streams with back-pressure and buffers no body. The proxy is the real entry point in a child
 * JVM; the streaming backend and the JDK client run in the test JVM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 100, unit = TimeUnit.SECONDS)
class StreamingMemoryIntegrationTest {
    private static final long SIZE = StreamingBackendHandler.DOWNLOAD_LENGTH;
    private static final Duration TRANSFER_BOUND = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private TestBackend backend;
    private ChildJvm proxy;
    private int trafficPort;
    private int adminPort;
    private long expectedCrc;

    @BeforeAll
    void start() throws Exception {
        expectedCrc = BytePattern.crc32(SIZE);
        HttpDecoderConfig decoder = new HttpDecoderConfig().setMaxChunkSize(1 << 20);
        backend = TestBackend.raw(p -> p.addLast(new HttpServerCodec(decoder), new StreamingBackendHandler()));
        int[] ports = Loopback.freePorts(2);
        trafficPort = ports[0];
        adminPort = ports[1];
        Path config = dir.resolve("proxy.yaml");
        // short idle timeouts: a transfer that stalls is cut (and fails the test) in seconds, not minutes
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:%d
                  admin: { listen: 127.0.0.1:%d }
                  limits: { idleTimeout: 15s }
                clusters:
                  - name: bulk
                    endpoints: [ { address: %s } ]
                    timeouts: { idle: 15s }
                routes:
                  - name: bulk
                    match: { pathPrefix: / }
                    cluster: bulk
                    maxBodySize: 2GiB
                    timeout: 5m
                """.formatted(trafficPort, adminPort, backend.address()), StandardCharsets.UTF_8);
        proxy = ChildJvm.start(dir,
                List.of("-Xmx128m", "-XX:MaxDirectMemorySize=128m", "-XX:+ExitOnOutOfMemoryError"),
                "--config", config.toString());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(proxy.isAlive()).as("proxy exited early\n%s", proxy.output()).isTrue();
            assertThat(Loopback.status(adminPort, "/readyz")).hasValue(200);
        });
    }

    @AfterAll
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void uploadsAGibibyteWholeThroughASmallHeapProxy() throws Exception {
        HttpRequest upload = HttpRequest.newBuilder(uri("/upload"))
                .timeout(TRANSFER_BOUND)
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> BytePattern.stream(SIZE)), SIZE))
                .build();

        HttpResponse<String> response = client.send(upload, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(SIZE + " " + expectedCrc);
        assertProxyStillServes();
    }

    @Test
    void downloadsAGibibyteWholeThroughASmallHeapProxy() throws Exception {
        HttpRequest download = HttpRequest.newBuilder(uri("/download")).timeout(TRANSFER_BOUND).build();

        HttpResponse<InputStream> response = client.send(download, HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(SIZE);
        long count = 0;
        CRC32 crc = new CRC32();
        try (InputStream body = response.body()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = body.read(buf)) >= 0) {
                count += n;
                crc.update(buf, 0, n);
            }
        }
        assertThat(count).isEqualTo(SIZE);
        assertThat(crc.getValue()).isEqualTo(expectedCrc);
        assertProxyStillServes();
    }

    private void assertProxyStillServes() {
        assertThat(proxy.isAlive()).as("the proxy JVM died\n%s", proxy.output()).isTrue();
        assertThat(Loopback.status(adminPort, "/healthz")).hasValue(200);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + trafficPort + path);
    }
}
