package dev.proxy.server.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.proxy.core.config.ObservabilityConfig.LogFormat;

/**
 * Builds the proxy's appenders and loggers on a Logback context; {@code config/examples/logback.xml} writes the same
 * out as XML, for operators who start from it, so a change here belongs there too. Called once by
 * {@link ProxyLogConfigurator}, then perhaps by {@link ProxyLogging} on the main thread before the proxy starts; not
 * thread-safe against a concurrent reconfiguration.
 */
final class LogSetup {
    static final String ACCESS_LOGGER = "proxy.access";
    static final String CONSOLE = "console";
    /** The text format; the trace id only when a request is in scope, so a line without one has no empty key. */
    static final String TEXT_PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24}"
            + "%replace( trace_id=%X{trace_id}){' trace_id=$', ''} - %msg%n";
    /**
     * The context object under which the console's current format is kept, when the routes file may still change it
     * (the environment did not fix it); absent when the environment did, or when an XML file configured Logback.
     */
    static final String SWITCHABLE_FORMAT = LogSetup.class.getName() + ".switchableFormat";

    private LogSetup() {
    }

    static void configure(LoggerContext context, LogSettings settings) {
        // java.util.logging (OpenTelemetry, gRPC) is bridged to Logback; this keeps its levels in step, so a disabled
        // level costs nothing there. First, so that the levels set below reach it.
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        propagator.start();
        context.addListener(propagator);

        // the access log: its line is JSON already. Asynchronous, and it drops lines rather than block an event loop
        // when the queue is full (neverBlock).
        ConsoleAppender<ILoggingEvent> accessOut = consoleAppender(context, "access-out", pattern(context, "%msg%n"));
        AsyncAppender access = new AsyncAppender();
        access.setContext(context);
        access.setName("access");
        access.setQueueSize(8192);
        access.setDiscardingThreshold(0);
        access.setNeverBlock(true);
        access.addAppender(accessOut);
        access.start();
        Logger accessLogger = context.getLogger(ACCESS_LOGGER);
        accessLogger.setLevel(Level.INFO);
        accessLogger.setAdditive(false);
        accessLogger.addAppender(access);

        context.getLogger("io.netty").setLevel(Level.INFO);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(settings.rootLevel());
        LogFormat format = settings.format().orElse(LogFormat.TEXT);
        root.addAppender(console(context, format));
        if (settings.format().isEmpty()) {
            context.putObject(SWITCHABLE_FORMAT, format);
        }
    }

    /** Replaces the root's console appender by one writing {@code format}; the other appenders stay as they are. */
    static void switchConsole(LoggerContext context, LogFormat format) {
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> previous = root.getAppender(CONSOLE);
        // the new one first: a line logged meanwhile is written twice rather than lost
        root.addAppender(console(context, format));
        if (previous != null) {
            root.detachAppender(previous);
            previous.stop();
        }
        context.putObject(SWITCHABLE_FORMAT, format);
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, LogFormat format) {
        return consoleAppender(context, CONSOLE, switch (format) {
            // one object a line, with the MDC (trace_id, span_id), for containers
            case JSON -> json(context);
            case TEXT -> pattern(context, TEXT_PATTERN);
        });
    }

    private static ConsoleAppender<ILoggingEvent> consoleAppender(LoggerContext context, String name,
                                                                  Encoder<ILoggingEvent> encoder) {
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }

    private static Encoder<ILoggingEvent> pattern(LoggerContext context, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> json(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }
}
