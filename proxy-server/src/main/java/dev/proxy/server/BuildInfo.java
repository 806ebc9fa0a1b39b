package dev.proxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this jar is: the project version and the commit it was built from, stamped by the build into
 * {@code build.properties} (proxy-server's filtered resources), and the Java runtime it runs on. Shown by
 * {@code --version}, {@code /status} and the {@code proxy_build_info} metric, so an operator can tell which build
 * each replica runs.
 *
 * @param version the Maven project version, e.g. {@code 0.1.0}
 * @param commit the abbreviated git commit, with {@code -dirty} when the tree had changes; {@code unknown} when the
 *               jar was built outside a git checkout
 * @param java the running JVM's version ({@code java.version})
 */
public record BuildInfo(String version, String commit, String java) {

    private static final String UNKNOWN = "unknown";

    /** Read once: the values cannot change while the process runs. */
    private static final BuildInfo CURRENT = load();

    /** This process's build. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read build.properties from the jar", e);
        }
        String commit = stamped(p.getProperty("commit"));
        if (!commit.equals(UNKNOWN) && "true".equals(p.getProperty("dirty"))) {
            commit += "-dirty";
        }
        return new BuildInfo(stamped(p.getProperty("version")), commit, System.getProperty("java.version", UNKNOWN));
    }

    /** A value the build did not fill in (no git, or run from an IDE that skipped filtering) reads as unknown. */
    private static String stamped(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? UNKNOWN : value;
    }

    /** One line, as {@code --version} prints it: {@code proxy 0.1.0 (commit 1a2b3c4d5e6f, Java 17.0.15)}. */
    @Override
    public String toString() {
        return "proxy " + version + " (commit " + commit + ", Java " + java + ")";
    }
}
