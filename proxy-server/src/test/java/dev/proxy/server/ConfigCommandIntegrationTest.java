package dev.proxy.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.balancer.etcd.EtcdCluster;
import dev.proxy.core.testing.Closer;
import dev.proxy.server.fleet.ConfigCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code proxy config push|get|diff|history|rollback} against a real etcd, run through picocli in-process as
 * {@code Main} runs it: what each prints and its exit code.
 */
class ConfigCommandIntegrationTest {
    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private Path file(String name, String yaml) throws Exception {
        return Files.writeString(dir.resolve(name), yaml, UTF_8);
    }

    private static String document(String route, int port) {
        return """
                clusters:
                  - name: app
                    endpoints: [ { address: "127.0.0.1:%d" } ]
                routes:
                  - name: %s
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(port, route);
    }

    @Test
    void pushesValidatedVersionsAndShowsDiffsHistoryAndRollsBack() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        String local = file("local.yaml", """
                configSource:
                  etcd: { endpoints: %s, prefix: /team/fleet }
                """.formatted(etcd.yamlEndpoints())).toString();

        Run invalid = cli("config", "push", "-c", local, file("bad.yaml", """
                clusters:
                  - name: app
                    endpoints: [ { address: "127.0.0.1:1" } ]
                routes:
                  - name: a
                    cluster: nowhere
                    retry: { attempts: 0 }
                server: { listen: 0.0.0.0:80 }
                """).toString());
        assertThat(invalid.code()).isEqualTo(2);
        assertThat(invalid.err()).contains("3 problems", "routes[0].cluster", "routes[0].retry.attempts",
                "server: is read from each replica's local file", "(line 8)");
        assertThat(cli("config", "get", "-c", local).code()).isEqualTo(1);

        Run first = cli("config", "push", "-c", local, file("v1.yaml", document("first", 9001)).toString());
        assertThat(first.code()).isZero();
        assertThat(first.out()).containsPattern("pushed /team/fleet/config revision \\d+ \\(hash [0-9a-f]{12}, "
                + "1 routes, 1 clusters\\)");
        long r1 = etcd.client().getKVClient().get(io.etcd.jetcd.ByteSequence.from("/team/fleet/config", UTF_8))
                .join().getKvs().get(0).getModRevision();
        Path v2 = file("v2.yaml", document("second", 9002));

        Run diff = cli("config", "diff", "-c", local, v2.toString());
        assertThat(diff.code()).isZero();
        assertThat(diff.out()).contains("routes +second -first; clusters ~app",
                "proxy config push --expect-revision " + r1 + " " + v2);
        assertThat(cli("config", "push", "-c", local, "--expect-revision", Long.toString(r1), v2.toString()).code())
                .isZero();
        Run conflict = cli("config", "push", "-c", local, "--expect-revision", Long.toString(r1), v2.toString());
        assertThat(conflict.code()).isEqualTo(3);
        assertThat(conflict.err()).contains("not " + r1 + ": someone else changed it");

        Run history = cli("config", "history", "-c", local);
        assertThat(history.out().lines()).hasSize(2);
        assertThat(history.out().lines().toList().get(1)).startsWith("revision " + r1 + "  hash ");

        Run rollback = cli("config", "rollback", "-c", local, Long.toString(r1));
        assertThat(rollback.code()).isZero();
        Run get = cli("config", "get", "-c", local);
        assertThat(get.out()).isEqualTo(document("first", 9001));
        assertThat(get.err()).contains("hash " + history.out().lines().toList().get(1).split("hash ")[1]
                .substring(0, 12));
        assertThat(cli("config", "history", "-c", local).out().lines()).hasSize(3);

        // the proxy's own --validate reads the local file with the version in etcd
        assertThat(cli("--validate", "-c", local).code()).isZero();
    }

    @Test
    void aReplicaThatCanReachNeitherEtcdNorACacheDoesNotStart() throws Exception {
        int nothing;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            nothing = s.getLocalPort();
        }
        String local = file("local.yaml", """
                configSource:
                  etcd:
                    endpoints: ["http://127.0.0.1:%d"]
                    prefix: /team/fleet
                    requestTimeout: 1s
                    snapshotFile: %s
                """.formatted(nothing, dir.resolve("no-cache.yaml"))).toString();

        assertThat(cli("--validate", "-c", local).code()).isEqualTo(1);
        assertThat(cli("-c", local).code()).isEqualTo(1);
        assertThat(cli("config", "get", "-c", local).code()).isEqualTo(1);
    }
}
