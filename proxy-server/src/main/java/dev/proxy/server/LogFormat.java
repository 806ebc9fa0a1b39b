package dev.proxy.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.proxy.core.config.ObservabilityConfig;
import java.net.URL;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Switches the proxy's own logs to the format the routes file asks for. Logback starts before the file is read, with
 * {@code PROXY_LOG_FORMAT} (text when unset); the variable, when set, wins over the file.
 */
final class LogFormat {
    static final String VARIABLE = "PROXY_LOG_FORMAT";

    private LogFormat() {
    }

    static void apply(Optional<ObservabilityConfig.LogFormat> fromFile) {
        if (fromFile.isEmpty() || System.getenv(VARIABLE) != null || System.getProperty(VARIABLE) != null) {
            return;
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        String wanted = fromFile.get().name().toLowerCase(Locale.ROOT);
        if (wanted.equals(context.getProperty(VARIABLE))) {
            return;
        }
        URL xml = LogFormat.class.getResource("/logback.xml");
        if (xml == null) {
            return;
        }
        context.reset();
        context.putProperty(VARIABLE, wanted);
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(xml);
        } catch (JoranException e) {
            System.err.println("cannot switch the log format to " + wanted + ": " + e.getMessage());
        }
    }
}
