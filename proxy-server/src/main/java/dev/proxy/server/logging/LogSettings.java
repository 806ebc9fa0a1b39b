package dev.proxy.server.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import dev.proxy.core.config.ObservabilityConfig.LogFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * What the environment asks of the proxy's own logs: {@code PROXY_LOG_FORMAT} ({@code text} or {@code json}) and
 * {@code PROXY_LOG_LEVEL} (the root level). Immutable.
 *
 * @param format the format the environment fixes; empty when it leaves the choice to the routes file (then text)
 * @param rootLevel the root logger's level, {@code INFO} unless the environment asks for another
 * @param problems the values that were not understood, each saying what is used instead
 */
record LogSettings(Optional<LogFormat> format, Level rootLevel, List<String> problems) {
    static final String FORMAT = "PROXY_LOG_FORMAT";
    static final String LEVEL = "PROXY_LOG_LEVEL";

    LogSettings {
        requireNonNull(format, "format");
        requireNonNull(rootLevel, "rootLevel");
        problems = List.copyOf(problems);
    }

    /** A system property first, then the environment variable of the same name, as Logback's own lookup went. */
    static LogSettings fromEnvironment() {
        return from(name -> {
            String property = System.getProperty(name);
            return property != null ? property : System.getenv(name);
        });
    }

    /** @param lookup a variable's value by name, null when unset */
    static LogSettings from(UnaryOperator<String> lookup) {
        List<String> problems = new ArrayList<>();
        Optional<LogFormat> format = value(lookup, FORMAT).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "json" -> LogFormat.JSON;
            case "text" -> LogFormat.TEXT;
            default -> {
                problems.add(FORMAT + ": '" + v + "' is neither text nor json; text is used");
                yield LogFormat.TEXT;
            }
        });
        Level level = value(lookup, LEVEL).map(v -> {
            Level parsed = Level.toLevel(v, null);
            if (parsed == null) {
                problems.add(LEVEL + ": '" + v + "' is not a log level; INFO is used");
                return Level.INFO;
            }
            return parsed;
        }).orElse(Level.INFO);
        return new LogSettings(format, level, problems);
    }

    private static Optional<String> value(UnaryOperator<String> lookup, String name) {
        return Optional.ofNullable(lookup.apply(name)).map(String::strip).filter(v -> !v.isEmpty());
    }
}
