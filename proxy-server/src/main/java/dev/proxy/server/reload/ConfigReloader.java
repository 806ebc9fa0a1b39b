package dev.proxy.server.reload;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ProxyConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the config again when asked: reads and validates the whole of it on the caller's thread (never an event
 * loop), and hands a valid, changed config to the target, which swaps it in. An invalid or unreadable config changes
 * nothing; its problems are logged, counted and kept for {@code /config}. One load at a time. Thread-safe.
 *
 * <p>Where the config comes from is the {@link Loader}'s business: the routes file, or a replica's local file with
 * the fleet's document from etcd ({@code dev.proxy.server.fleet}). Both go through this one path, so a value from
 * etcd is validated and applied exactly as a file reload is.
 */
public final class ConfigReloader {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** What a reload changes: the running proxy. */
    public interface Target {
        ProxyConfig config();

        /** Swaps {@code next} in; returns the generation now serving. */
        long apply(ProxyConfig next);

        /** The content hash of the config serving now ({@code ConfigHash}). */
        String hash();
    }

    /** Reads and validates the whole config. */
    @FunctionalInterface
    public interface Loader {
        /**
         * @throws ConfigException the config is invalid, with every problem
         * @throws IOException it cannot be read
         */
        ProxyConfig load() throws IOException;
    }

    private final String source;
    private final Loader loader;
    private final Target target;
    private final Consumer<Boolean> outcomes;
    private volatile ReloadResult last;

    /**
     * @param outcomes told of each load: true when the file was good (applied or unchanged)
     * @param generation the generation of the config the proxy started with
     */
    public ConfigReloader(Path file, Target target, Consumer<Boolean> outcomes, long generation) {
        this("config file " + file, () -> ConfigReader.read(file), target, outcomes, generation);
    }

    /**
     * @param source names where the config comes from, for the log and {@code /config}
     * @param outcomes told of each load: true when the config was good (applied or unchanged)
     * @param generation the generation of the config the proxy started with
     */
    public ConfigReloader(String source, Loader loader, Target target, Consumer<Boolean> outcomes, long generation) {
        this.source = requireNonNull(source, "source");
        this.loader = requireNonNull(loader, "loader");
        this.target = requireNonNull(target, "target");
        this.outcomes = requireNonNull(outcomes, "outcomes");
        this.last = new ReloadResult(Instant.now(), "start", ReloadResult.Outcome.APPLIED, List.of(),
                Optional.empty(), generation);
    }

    /** Where the config comes from: {@code config file proxy.yaml}, or the local file and the etcd key. */
    public String source() {
        return source;
    }

    /** The last load, or the start when there was none. */
    public ReloadResult last() {
        return last;
    }

    /** Loads the file now; {@code trigger} says who asked, for the log and {@code /config}. */
    public synchronized ReloadResult reload(String trigger) {
        ProxyConfig next;
        try {
            next = loader.load();
        } catch (ConfigException e) {
            return rejected(trigger, e.problems());
        } catch (IOException e) {
            return rejected(trigger, List.of("cannot read: " + e));
        }
        ProxyConfig current = target.config();
        ConfigDiff diff = ConfigDiff.between(current, next);
        ReloadResult result;
        if (next.equals(current)) {
            result = new ReloadResult(Instant.now(), trigger, ReloadResult.Outcome.UNCHANGED, List.of(),
                    Optional.of(diff), last.generation());
            log.info("{} reloaded ({}): no change, hash {}", source, trigger, target.hash());
        } else {
            long generation;
            try {
                generation = target.apply(next);
            } catch (RuntimeException e) {
                log.warn("{} could not be applied ({})", source, trigger, e);
                return rejected(trigger, List.of("cannot apply: " + e.getMessage()));
            }
            result = new ReloadResult(Instant.now(), trigger, ReloadResult.Outcome.APPLIED, List.of(),
                    Optional.of(diff), generation);
            log.info("{} reloaded ({}), generation {}, hash {}: {}", source, trigger, generation, target.hash(),
                    diff.summary());
            if (!diff.needRestart().isEmpty()) {
                log.warn("{} settings changed in {}: they apply at the next start", String.join(" and ",
                        diff.needRestart()), source);
            }
        }
        last = result;
        outcomes.accept(true);
        return result;
    }

    private ReloadResult rejected(String trigger, List<String> problems) {
        ReloadResult result = new ReloadResult(Instant.now(), trigger, ReloadResult.Outcome.REJECTED, problems,
                Optional.empty(), last.generation());
        last = result;
        outcomes.accept(false);
        log.warn("{} rejected ({}); the running config (generation {}, hash {}) keeps serving. {} problem{}:\n  {}",
                source, trigger, result.generation(), target.hash(), problems.size(), problems.size() == 1 ? "" : "s",
                String.join("\n  ", problems));
        return result;
    }
}
