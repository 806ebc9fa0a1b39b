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
 * Loads the config file again when asked: reads and validates the whole file on the caller's thread (never an event
 * loop), and hands a valid, changed config to the target, which swaps it in. An invalid or unreadable file changes
 * nothing; its problems are logged, counted and kept for {@code /config}. One load at a time. Thread-safe.
 */
public final class ConfigReloader {
    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** What a reload changes: the running proxy. */
    public interface Target {
        ProxyConfig config();

        /** Swaps {@code next} in; returns the generation now serving. */
        long apply(ProxyConfig next);
    }

    private final Path file;
    private final Target target;
    private final Consumer<Boolean> outcomes;
    private volatile ReloadResult last;

    /**
     * @param outcomes told of each load: true when the file was good (applied or unchanged)
     * @param generation the generation of the config the proxy started with
     */
    public ConfigReloader(Path file, Target target, Consumer<Boolean> outcomes, long generation) {
        this.file = requireNonNull(file, "file");
        this.target = requireNonNull(target, "target");
        this.outcomes = requireNonNull(outcomes, "outcomes");
        this.last = new ReloadResult(Instant.now(), "start", ReloadResult.Outcome.APPLIED, List.of(),
                Optional.empty(), generation);
    }

    public Path file() {
        return file;
    }

    /** The last load, or the start when there was none. */
    public ReloadResult last() {
        return last;
    }

    /** Loads the file now; {@code trigger} says who asked, for the log and {@code /config}. */
    public synchronized ReloadResult reload(String trigger) {
        ProxyConfig next;
        try {
            next = ConfigReader.read(file);
        } catch (ConfigException e) {
            return rejected(trigger, e.problems());
        } catch (IOException e) {
            return rejected(trigger, List.of(file + ": cannot read: " + e));
        }
        ProxyConfig current = target.config();
        ConfigDiff diff = ConfigDiff.between(current, next);
        ReloadResult result;
        if (next.equals(current)) {
            result = new ReloadResult(Instant.now(), trigger, ReloadResult.Outcome.UNCHANGED, List.of(),
                    Optional.of(diff), last.generation());
            log.info("config file {} reloaded ({}): no change", file, trigger);
        } else {
            long generation;
            try {
                generation = target.apply(next);
            } catch (RuntimeException e) {
                log.warn("config file {} could not be applied ({})", file, trigger, e);
                return rejected(trigger, List.of("cannot apply: " + e.getMessage()));
            }
            result = new ReloadResult(Instant.now(), trigger, ReloadResult.Outcome.APPLIED, List.of(),
                    Optional.of(diff), generation);
            log.info("config file {} reloaded ({}), generation {}: {}", file, trigger, generation, diff.summary());
            if (!diff.needRestart().isEmpty()) {
                log.warn("{} settings changed in {}: they apply at the next start", String.join(" and ",
                        diff.needRestart()), file);
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
        log.warn("config file {} rejected ({}); the running config (generation {}) keeps serving. {} problem{}:\n  {}",
                file, trigger, result.generation(), problems.size(), problems.size() == 1 ? "" : "s",
                String.join("\n  ", problems));
        return result;
    }
}
