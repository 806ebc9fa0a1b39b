package dev.proxy.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads the {@code observability} block (access log, tracing, watchdog, log format). Part of {@link ConfigReader}:
 * the only other place that knows these keys.
 */
final class ObservabilityReader {
    private ObservabilityReader() {
    }

    static ObservabilityConfig read(ConfigNode n) {
        AccessLogConfig accessLog = accessLog(n.object("accessLog"));
        TracingConfig tracing = tracing(n.object("tracing"));
        WatchdogConfig watchdog = watchdog(n.object("watchdog"));
        Optional<ObservabilityConfig.LogFormat> logFormat = n.has("logFormat")
                ? choice(n, "logFormat", ObservabilityConfig.LogFormat.class, null) : Optional.empty();
        n.finish();
        return new ObservabilityConfig(accessLog, tracing, watchdog, logFormat);
    }

    private static AccessLogConfig accessLog(ConfigNode a) {
        AccessLogConfig d = AccessLogConfig.DEFAULTS;
        AccessLogConfig result = new AccessLogConfig(a.bool("enabled", d.enabled()),
                a.number("sampleRate", d.sampleRate(), 0, 1),
                a.integer("maxPathLength", d.maxPathLength(), 16, 65_536));
        a.finish();
        return result;
    }

    private static TracingConfig tracing(ConfigNode t) {
        TracingConfig d = TracingConfig.OFF;
        boolean enabled = t.bool("enabled", d.enabled());
        String serviceName = t.string("serviceName", d.serviceName());
        if (serviceName.isBlank()) {
            t.problem("serviceName", "must not be empty");
        }
        ConfigNode s = t.object("sampler");
        double ratio = s.number("ratio", d.ratio(), 0, 1);
        boolean parentBased = s.bool("parentBased", d.parentBased());
        s.finish();
        ConfigNode o = t.object("otlp");
        TracingConfig.Protocol protocol = choice(o, "protocol", TracingConfig.Protocol.class, d.protocol())
                .orElse(d.protocol());
        URI endpoint = o.string("endpoint").flatMap(text -> collector(o, text)).orElse(
                protocol == TracingConfig.Protocol.HTTP ? URI.create("http://localhost:4318") : d.endpoint());
        o.finish();
        t.finish();
        return new TracingConfig(enabled, serviceName.isBlank() ? d.serviceName() : serviceName, ratio, parentBased,
                endpoint, protocol);
    }

    private static Optional<URI> collector(ConfigNode o, String text) {
        try {
            URI uri = new URI(text.trim());
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        o.problem("endpoint", "'" + text + "' is not an http:// or https:// URL, e.g. http://otel-collector:4317");
        return Optional.empty();
    }

    private static WatchdogConfig watchdog(ConfigNode w) {
        WatchdogConfig d = WatchdogConfig.DEFAULTS;
        WatchdogConfig result = new WatchdogConfig(w.bool("enabled", d.enabled()),
                w.positiveDuration("interval", d.interval()),
                w.integer("heapUsedPercent", d.heapUsedPercent(), 1, 100),
                w.integer("directMemoryPercent", d.directMemoryPercent(), 1, 100),
                w.integer("openFilesPercent", d.openFilesPercent(), 1, 100),
                w.integer("connectionsPercent", d.connectionsPercent(), 1, 100),
                w.integer("maxThreads", d.maxThreads(), 1, 1_000_000),
                choice(w, "action", WatchdogConfig.Action.class, d.action()).orElse(d.action()));
        w.finish();
        return result;
    }

    /** One of an enum's constants, written in lower case with underscores ({@code fail_readiness}). */
    private static <E extends Enum<E>> Optional<E> choice(ConfigNode n, String key, Class<E> type, E defaultValue) {
        Optional<String> text = n.string(key);
        if (text.isEmpty()) {
            return Optional.ofNullable(defaultValue);
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(text.get().trim())) {
                return Optional.of(e);
            }
        }
        n.problem(key, "'" + text.get() + "' is not one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
        return Optional.empty();
    }
}
