package dev.proxy.server.logging;

import ch.qos.logback.classic.LoggerContext;
import dev.proxy.core.config.ObservabilityConfig.LogFormat;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Switches the proxy's own logs to the format the routes file asks for ({@code observability.logFormat}). Logback
 * starts before the file is read, in the format of {@code PROXY_LOG_FORMAT} (text when unset); the variable, when
 * set, wins over the file. An XML configuration ({@code -Dlogback.configurationFile}) is left as it is.
 */
public final class ProxyLogging {
    private ProxyLogging() {
    }

    /** Called by the main thread once the routes file is read, before the proxy starts its threads. */
    public static void applyFileFormat(Optional<LogFormat> fromFile) {
        if (fromFile.isEmpty() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Object current = context.getObject(LogSetup.SWITCHABLE_FORMAT);
        if (current != null && current != fromFile.get()) {
            LogSetup.switchConsole(context, fromFile.get());
        }
    }
}
