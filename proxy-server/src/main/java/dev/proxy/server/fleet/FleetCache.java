package dev.proxy.server.fleet;

import dev.proxy.balancer.etcd.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last fleet document a replica applied, kept on disk ({@code configSource.etcd.snapshotFile}) so that a replica
 * started while etcd is unreachable serves it, as discovery's endpoint snapshot does. The file is the YAML itself
 * after one comment line naming the key and revision, so an operator can read it (and even push it back). Written
 * with {@link AtomicFiles} on each apply. Not thread-safe: used from the config source's thread and at start.
 */
final class FleetCache {
    private static final Logger log = LoggerFactory.getLogger(FleetCache.class);
    private static final String HEADER = "# proxy fleet config cache: key ";

    private final Path file;
    private final String key;

    FleetCache(Path file, String key) {
        this.file = file.toAbsolutePath();
        this.key = key;
    }

    Path path() {
        return file;
    }

    /** The cached version; empty when there is none, or when the file is not one of ours (logged). */
    Optional<FleetValue> read() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.warn("config cache {} is unreadable and is ignored: {}", file, e.getMessage());
            return Optional.empty();
        }
        int eol = text.indexOf('\n');
        String first = eol < 0 ? text : text.substring(0, eol);
        String expected = HEADER + key + " revision ";
        if (!first.startsWith(expected)) {
            log.warn("config cache {} is not a cache of {} and is ignored", file, key);
            return Optional.empty();
        }
        try {
            long revision = Long.parseLong(first.substring(expected.length()).strip());
            return Optional.of(new FleetValue(text.substring(eol + 1), revision, FleetValue.Origin.CACHE));
        } catch (NumberFormatException e) {
            log.warn("config cache {} has no revision in its first line and is ignored", file);
            return Optional.empty();
        }
    }

    /** Replaces the cache with {@code value}. Failures are logged: the cache is a fallback, not a duty. */
    void write(FleetValue value) {
        String text = HEADER + key + " revision " + value.revision() + "\n" + value.yaml();
        try {
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.warn("cannot write the config cache {}: {}", file, e.getMessage());
        }
    }
}
