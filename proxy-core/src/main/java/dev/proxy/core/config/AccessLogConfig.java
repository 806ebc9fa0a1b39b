package dev.proxy.core.config;

/**
 * The access log: one JSON line per request.
 *
 * @param sampleRate the share of successful requests logged, 0 to 1; failed ones (an error or a 5xx) always are
 * @param maxPathLength longer paths are cut to this many characters, so one client cannot make the log huge
 */
public record AccessLogConfig(boolean enabled, double sampleRate, int maxPathLength) {
    public static final AccessLogConfig DEFAULTS = new AccessLogConfig(true, 1.0, 256);

    public AccessLogConfig {
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("sampleRate must be between 0 and 1");
        }
        if (maxPathLength < 1) {
            throw new IllegalArgumentException("maxPathLength must be >= 1");
        }
    }
}
