package dev.proxy.observability.accesslog;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.proxy.core.HttpProtocol;
import dev.proxy.core.config.AccessLogConfig;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.ProxyObserver;
import io.netty.handler.codec.http.HttpRequest;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one JSON line per request to the {@code proxy.access} logger: when, who, what, where it went and how it
 * ended. Successful requests are sampled at {@code sampleRate}; failed ones (a proxy error or a 5xx) are always
 * written. The path is cut to {@code maxPathLength} and the query string is left out: it may carry secrets and
 * makes the log unbounded. Thread-safe and stateless per request.
 */
public final class AccessLog implements ProxyObserver {
    /** The logger the lines go to; the Logback config decides where (asynchronously, never blocking). */
    public static final String LOGGER = "proxy.access";

    private final Logger log;
    private final AccessLogConfig config;
    private final DoubleSupplier random;
    private final ExchangeObserver writer = new Writer();

    public AccessLog(AccessLogConfig config) {
        this(config, LoggerFactory.getLogger(LOGGER), () -> ThreadLocalRandom.current().nextDouble());
    }

    AccessLog(AccessLogConfig config, Logger log, DoubleSupplier random) {
        this.config = requireNonNull(config, "config");
        this.log = requireNonNull(log, "log");
        this.random = requireNonNull(random, "random");
    }

    /** The access log as {@code config} asks: {@link ProxyObserver#NONE} when it is off. */
    public static ProxyObserver of(AccessLogConfig config) {
        return config.enabled() && config.sampleRate() > 0 ? new AccessLog(config) : ProxyObserver.NONE;
    }

    @Override
    public ExchangeObserver exchangeStarted(HttpRequest request, HttpProtocol protocol) {
        return log.isInfoEnabled() ? writer : ExchangeObserver.NONE;
    }

    /** The line for one request, as written. */
    String line(ExchangeRecord r) {
        StringWriter out = new StringWriter(384);
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            long durationNanos = r.durationNanos();
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(System.currentTimeMillis()
                    - durationNanos / 1_000_000).toString());
            optional(g, "trace_id", r.traceId());
            optional(g, "span_id", r.spanId());
            optional(g, "request_id", r.requestId());
            g.writeStringField("client", r.client() == null ? null : r.client().getAddress().getHostAddress());
            g.writeStringField("method", r.request().method().name());
            g.writeStringField("host", r.host());
            g.writeStringField("path", path(r.uri()));
            g.writeStringField("route", r.routeName());
            g.writeStringField("cluster", r.clusterName());
            g.writeStringField("endpoint", r.endpoint() == null ? null : r.endpoint().toString());
            g.writeNumberField("status", r.status());
            g.writeStringField("error", r.error() == null ? null : r.error().reason());
            g.writeNumberField("attempts", r.attempts());
            g.writeNumberField("bytes_in", r.bytesIn());
            g.writeNumberField("bytes_out", r.bytesOut());
            g.writeNumberField("duration_ms", millis(durationNanos));
            long upstream = r.upstreamNanos();
            if (upstream >= 0) {
                g.writeNumberField("upstream_ms", millis(upstream));
            } else {
                g.writeNullField("upstream_ms");
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    /** Milliseconds with microsecond precision. */
    private static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    private String path(String uri) {
        if (uri == null) {
            return null;
        }
        int query = uri.indexOf('?');
        int end = Math.min(query >= 0 ? query : uri.length(), config.maxPathLength());
        return end == uri.length() ? uri : uri.substring(0, end);
    }

    private boolean sampled(ExchangeRecord r) {
        return r.error() != null || r.status() >= 500 || config.sampleRate() >= 1
                || random.getAsDouble() < config.sampleRate();
    }

    private final class Writer implements ExchangeObserver {
        @Override
        public void ended(ExchangeRecord r) {
            if (sampled(r)) {
                log.info(line(r));
            }
        }
    }

    /**
     * Jackson's factory, made at the first line written: a proxy whose access log is off (the static {@link #of} is
     * called either way) never loads Jackson's few hundred classes at start.
     */
    private static final class Json {
        static final JsonFactory FACTORY = new JsonFactory();
    }
}
