package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line in a child JVM: {@code --validate} and {@code --help}. */
class MainIntegrationTest {
    /** A short-lived CLI run needs no optimising JIT; C1 only starts faster. */
    private static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1");
    private static final Duration EXIT_BOUND = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private ChildJvm child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.close();
        }
    }

    @Test
    void validatesTheShippedConfigFile() throws Exception {
        Path config = Loopback.repoRoot().resolve("config/proxy.yaml");

        child = ChildJvm.start(dir, QUICK_START, "--validate", "--config", config.toString());

        assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isZero();
        assertThat(child.stdout()).contains(config + ": valid (1 route, 1 cluster)");
        assertThat(child.stderr()).isEmpty();
    }

    @Test
    void reportsEveryProblemWithItsPathAndExitsNonZero() throws Exception {
        Path config = dir.resolve("broken.yaml");
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:8080
                  limits: { maxConnections: 0 }
                clusters:
                  - name: shop
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                    pool: { acquireTimeout: 0 }
                    timeouts: { conect: 1s }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: missing
                    retries: 3
                """, StandardCharsets.UTF_8);

        child = ChildJvm.start(dir, QUICK_START, "--validate", "--config", config.toString());

        assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isNotZero();
        String err = child.stderr();
        assertThat(err).contains(config + ": 5 problems");
        assertThat(err.lines().filter(l -> l.startsWith("  - ")).map(l -> l.substring(4, l.indexOf(':'))))
                .containsExactlyInAnyOrder(
                        "server.limits.maxConnections",
                        "clusters[0].pool.acquireTimeout",
                        "clusters[0].timeouts.conect",
                        "routes[0].retries",
                        "routes[0].cluster");
        assertThat(err).contains("clusters[0].timeouts.conect: unknown key",
                "routes[0].retries: unknown key",
                "routes[0].cluster: 'missing' is not defined under clusters");
        assertThat(child.stdout()).doesNotContain("valid (");
    }

    @Test
    void failsNamingTheFileWhenItCannotBeRead() throws Exception {
        Path missing = dir.resolve("no-such.yaml");

        child = ChildJvm.start(dir, QUICK_START, "--validate", "--config", missing.toString());

        assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isNotZero();
        assertThat(child.stderr()).contains(missing + ": cannot read");
    }

    @Test
    void helpListsEveryOptionAndExitsZero() throws Exception {
        child = ChildJvm.start(dir, QUICK_START, "--help");

        assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isZero();
        assertThat(child.stdout()).contains("Usage: proxy", "--config=FILE", "--validate", "--demo", "--help",
                "--version");
    }

    @Test
    void versionNamesTheBuildsVersionCommitAndJava() throws Exception {
        child = ChildJvm.start(dir, QUICK_START, "--version");

        assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isZero();
        // the commit is the checkout's; "unknown" only where the tree was built outside git
        assertThat(child.stdout().strip()).matches("proxy \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? "
                + "\\(commit ([0-9a-f]{12}(-dirty)?|unknown), Java " + System.getProperty("java.version") + "\\)");
    }

    @Test
    void saysInOneLineWhyItCannotStartWhenThePortIsTaken() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("taken.yaml");
            Files.writeString(config, """
                    server:
                      listen: 127.0.0.1:%d
                      admin: { listen: 127.0.0.1:0 }
                    clusters:
                      - name: b
                        endpoints: [ { address: 127.0.0.1:9 } ]
                    routes:
                      - name: all
                        cluster: b
                    """.formatted(taken.getLocalPort()), StandardCharsets.UTF_8);

            child = ChildJvm.start(dir, QUICK_START, "--config", config.toString());

            assertThat(child.awaitExit(EXIT_BOUND)).as(child.output()).isEqualTo(1);
            assertThat(child.stderr()).contains("cannot start:").doesNotContain("\tat ");
        }
    }

    @Test
    void sighupLoadsTheFileAgain() throws Exception {
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                clusters:
                  - name: b
                    endpoints: [ { address: 127.0.0.1:9 } ]
                routes:
                  - name: all
                    cluster: b
                """, StandardCharsets.UTF_8);
        child = ChildJvm.start(dir, QUICK_START, "--config", config.toString());
        await().atMost(EXIT_BOUND).until(() -> child.stdout().contains("admin listening") || !child.isAlive());

        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(child.process().pid())).start();
        assertThat(kill.waitFor()).isZero();

        await().atMost(EXIT_BOUND).until(() -> child.stdout().contains("reloaded (sighup): no change"));
        assertThat(child.isAlive()).isTrue();
    }
}
