package dev.proxy.server;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

/**
 * The real command line ({@link Main}) in a child JVM with the test's class path, its output captured in files.
 * {@link #close} kills it if it is still running. Not thread-safe.
 */
final class ChildJvm implements AutoCloseable {
    private static final String TEST_LOGBACK_CONFIG = "logback-test.xml";

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ChildJvm(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code java [jvmOptions] -cp <test class path> dev.proxy.server.Main [args]}.
     *
     * @param logDir where the child's stdout and stderr files go
     */
    static ChildJvm start(Path logDir, List<String> jvmOptions, String... args) throws IOException {
        return start(logDir, System.getProperty("java.class.path"), jvmOptions, args);
    }

    /**
     * Like {@link #start}, but without the class path entries that hold a {@code logback-test.xml}: Logback is set up
     * as in the shipped jar, by the proxy's own configuration.
     */
    static ChildJvm startWithShippedLogging(Path logDir, List<String> jvmOptions, String... args) throws IOException {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !holdsTestLogbackConfig(Path.of(entry)))
                .collect(Collectors.joining(File.pathSeparator));
        return start(logDir, classPath, jvmOptions, args);
    }

    private static boolean holdsTestLogbackConfig(Path entry) {
        if (Files.isDirectory(entry)) {
            return Files.exists(entry.resolve(TEST_LOGBACK_CONFIG));
        }
        if (!Files.isRegularFile(entry)) {
            return false;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            return jar.getEntry(TEST_LOGBACK_CONFIG) != null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the class path entry " + entry, e);
        }
    }

    private static ChildJvm start(Path logDir, String classPath, List<String> jvmOptions, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(logDir, "child-", ".out");
        Path err = Files.createTempFile(logDir, "child-", ".err");
        Process p = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        return new ChildJvm(p, out, err);
    }

    Process process() {
        return process;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code bound} for the child to exit and returns its exit code; fails the test if it does not. */
    int awaitExit(Duration bound) throws InterruptedException {
        if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("child JVM still running after " + bound + "\n" + output());
        }
        return process.exitValue();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    /** Both streams, for failure messages. */
    String output() {
        return "--- stdout ---\n" + stdout() + "--- stderr ---\n" + stderr();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
