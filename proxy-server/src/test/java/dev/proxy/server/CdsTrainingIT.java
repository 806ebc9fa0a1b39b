package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's class-data training run, {@code deploy/cds-train.sh}, run here without Docker on the shaded jar and the
 * bundled routes file (its ports moved to free ones): it serves its requests through the demo and writes an archive
 * that a JVM then maps. {@code -Xshare:on} makes a JVM that cannot map the archive fail instead of starting without
 * it, as the image's would silently. An integration test (failsafe): it needs the jar of the package phase.
 */
class CdsTrainingIT {
    @TempDir
    Path dir;
    private Process process;

    @AfterEach
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theTrainingRunServesTheDemoAndWritesAnArchiveTheJvmMaps() throws Exception {
        Path root = Loopback.repoRoot();
        Path jar = root.resolve("proxy-server/target/proxy-server.jar");
        assertThat(jar).as("the shaded jar of the package phase").isRegularFile();
        int[] ports = Loopback.freePorts(4);
        Path config = dir.resolve("proxy.yaml");
        String bundled = Files.readString(root.resolve("config/proxy.yaml"), StandardCharsets.UTF_8);
        String moved = bundled.replace("0.0.0.0:8080", "127.0.0.1:" + ports[0])
                .replace("0.0.0.0:9901", "127.0.0.1:" + ports[1])
                .replace("127.0.0.1:9001", "127.0.0.1:" + ports[2])
                .replace("127.0.0.1:9002", "127.0.0.1:" + ports[3]);
        assertThat(moved).as("the bundled file's ports, all moved").doesNotContain(":8080", ":9901", ":9001", ":9002");
        Files.writeString(config, moved, StandardCharsets.UTF_8);
        Path archive = dir.resolve("app.jsa");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");

        Path out = dir.resolve("train.out");
        ProcessBuilder train = new ProcessBuilder("bash", root.resolve("deploy/cds-train.sh").toString(),
                archive.toString(), jar.toString(), config.toString(), String.valueOf(ports[0]))
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        // the script runs `java` from the PATH, as in the image: this build's JVM
        train.environment().put("PATH", java.getParent() + ":" + System.getenv("PATH"));
        process = train.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the training run ends").isTrue();
        String output = Files.readString(out);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("cds-train: 20 requests served");
        assertThat(archive).isRegularFile();
        assertThat(Files.size(archive)).as("an archive of the proxy's classes").isGreaterThan(1 << 20);

        process = new ProcessBuilder(java.toString(), "-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-jar",
                jar.toString(), "--validate", "--config", config.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String validated = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(validated).isZero();
        assertThat(validated).contains("valid (1 route, 1 cluster)");
        assertThat(List.of(validated.split("\n"))).noneMatch(l -> l.contains("Unable to use shared archive"));
    }
}
