package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The {@code observability} block: access log, tracing, watchdog and the format of the proxy's own logs.
 *
 * @param logFormat the format of the proxy's logs; empty leaves the choice to {@code PROXY_LOG_FORMAT} (text when
 *     unset). The environment wins over the file, so one image can log JSON in a cluster and text on a laptop.
 */
public record ObservabilityConfig(AccessLogConfig accessLog, TracingConfig tracing, WatchdogConfig watchdog,
                                  Optional<LogFormat> logFormat) {
    /** What {@code observability} means when the file leaves it out. */
    public static final ObservabilityConfig DEFAULTS = new ObservabilityConfig(AccessLogConfig.DEFAULTS,
            TracingConfig.OFF, WatchdogConfig.DEFAULTS, Optional.empty());

    /** How the proxy's own log lines are written. */
    public enum LogFormat { TEXT, JSON }

    public ObservabilityConfig {
        requireNonNull(accessLog, "accessLog");
        requireNonNull(tracing, "tracing");
        requireNonNull(watchdog, "watchdog");
        requireNonNull(logFormat, "logFormat");
    }
}
