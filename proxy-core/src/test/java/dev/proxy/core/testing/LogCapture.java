package dev.proxy.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Keeps every log event at WARN or above, from any logger, while open: for tests that assert a client's bad input
 * leaves no warning and no stack trace in the proxy's log. Attached to the root logger by {@link #open()}, detached
 * on {@link #close()}. Thread-safe.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<String> events = new ArrayList<>();

    private LogCapture() {
    }

    /** Starts capturing. */
    public static LogCapture open() {
        LogCapture capture = new LogCapture();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        capture.setContext(root.getLoggerContext());
        capture.setName("log-capture");
        capture.start();
        root.addAppender(capture);
        return capture;
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            String line = event.getLevel() + " " + event.getLoggerName() + " " + event.getFormattedMessage();
            if (event.getThrowableProxy() != null) {
                line += "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
            }
            synchronized (events) {
                events.add(line);
            }
        }
    }

    /** The WARN and ERROR lines so far, each with its stack trace if it had one. */
    public List<String> warnings() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    @Override
    public void close() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(this);
        stop();
    }
}
