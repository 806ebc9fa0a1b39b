package dev.proxy.server.logging;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.function.UnaryOperator;

/**
 * The proxy's own Logback configuration, built in code ({@link LogSetup}) from {@code PROXY_LOG_FORMAT} and
 * {@code PROXY_LOG_LEVEL} ({@link LogSettings}). Logback finds it through {@code META-INF/services} and runs it once,
 * on the thread that first asks for a logger. Code rather than a {@code logback.xml}: reading XML (Logback's Joran and
 * the JDK's XML parser, some 450 classes more) was the largest block of the proxy's start.
 *
 * <p>Steps aside when an XML file is asked for, and Logback then reads it as usual: a
 * {@code -Dlogback.configurationFile}, or a {@code logback-test.xml} on the class path (the tests' own, with the
 * appender that fails a test on a Netty leak report).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class ProxyLogConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (xmlAskedFor(ProxyLogConfigurator.class.getClassLoader(), System::getProperty)) {
            addInfo("an XML configuration is asked for; the proxy's own configuration steps aside");
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        LogSettings settings = LogSettings.fromEnvironment();
        LogSetup.configure(context, settings);
        settings.problems().forEach(this::addWarn);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * @param loader where Logback would look for {@code logback-test.xml}
     * @param systemProperty a system property by name, null when unset
     */
    static boolean xmlAskedFor(ClassLoader loader, UnaryOperator<String> systemProperty) {
        return systemProperty.apply(ClassicConstants.CONFIG_FILE_PROPERTY) != null
                || loader.getResource(ClassicConstants.TEST_AUTOCONFIG_FILE) != null;
    }
}
