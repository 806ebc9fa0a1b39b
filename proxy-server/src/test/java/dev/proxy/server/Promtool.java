package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code promtool} (package prometheus) for tests; a test that needs it is skipped where it is missing. */
final class Promtool {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private Promtool() {
    }

    static void assumeInstalled() {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool (Debian package prometheus)");
    }

    /** {@code promtool check metrics} on an exposition: it must pass the lint with nothing to say. */
    static void assertMetricsPass(String exposition) throws Exception {
        assertPasses(Path.of("."), exposition, "check", "metrics");
    }

    /** Runs promtool with {@code args} in {@code workDir}, {@code stdin} (or nothing) as its input; exit 0 wanted. */
    static void assertPasses(Path workDir, String stdin, String... args) throws Exception {
        assumeInstalled();
        List<String> command = new ArrayList<>();
        command.add(PROMTOOL.toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool %s ended", command).isTrue();
        assertThat(p.exitValue()).as("promtool %s said:%n%s", String.join(" ", args), said).isZero();
    }
}
