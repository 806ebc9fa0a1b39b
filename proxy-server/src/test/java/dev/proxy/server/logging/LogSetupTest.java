package dev.proxy.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import dev.proxy.core.config.ObservabilityConfig.LogFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proxy's Logback configuration on a context of its own (the tests' logging is left alone). */
class LogSetupTest {
    private final LoggerContext context = new LoggerContext();
    /** The propagator sets java.util.logging's root level, which is global: put back for the other tests. */
    private final java.util.logging.Level julRootLevel = java.util.logging.Logger.getLogger("").getLevel();

    @AfterEach
    void stop() {
        context.stop();
        java.util.logging.Logger.getLogger("").setLevel(julRootLevel);
    }

    private static LogSettings settings(Optional<LogFormat> format, Level level) {
        return new LogSettings(format, level, List.of());
    }

    private Logger root() {
        return context.getLogger(Logger.ROOT_LOGGER_NAME);
    }

    private List<Appender<ILoggingEvent>> appenders(Logger logger) {
        List<Appender<ILoggingEvent>> result = new ArrayList<>();
        logger.iteratorForAppenders().forEachRemaining(result::add);
        return result;
    }

    private String line(Map<String, String> mdc) {
        LoggingEvent event = new LoggingEvent("x", context.getLogger("dev.proxy.server.ProxyApp"), Level.INFO,
                "admin listening", null, null);
        event.setMDCPropertyMap(mdc);
        event.setThreadName("main");
        ConsoleAppender<?> console = (ConsoleAppender<?>) root().getAppender(LogSetup.CONSOLE);
        @SuppressWarnings("unchecked") // the root's appenders take logging events
        Encoder<ILoggingEvent> encoder = (Encoder<ILoggingEvent>) console.getEncoder();
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    @Test
    void textOnTheConsoleWithTheTraceIdOnlyWhenARequestIsInScope() {
        LogSetup.configure(context, settings(Optional.empty(), Level.INFO));

        assertThat(line(Map.of())).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main] d\\.proxy\\.server\\.ProxyApp"
                + " - admin listening\\R");
        assertThat(line(Map.of("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"))).contains(
                "d.proxy.server.ProxyApp trace_id=4bf92f3577b34da6a3ce929d0e0e4736 - admin listening");
    }

    @Test
    void theLevelsTheAccessLogAndTheJulBridgeAsTheXmlFilesHadThem() {
        LogSetup.configure(context, settings(Optional.empty(), Level.WARN));

        assertThat(root().getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getCopyOfListenerList()).singleElement()
                .isInstanceOf(LevelChangePropagator.class);
        assertThat(java.util.logging.Logger.getLogger("").getLevel())
                .as("the root level reaches java.util.logging").isEqualTo(java.util.logging.Level.WARNING);

        Logger access = context.getLogger(LogSetup.ACCESS_LOGGER);
        assertThat(access.getLevel()).isEqualTo(Level.INFO);
        assertThat(access.isAdditive()).isFalse();
        assertThat(appenders(access)).singleElement().isInstanceOfSatisfying(AsyncAppender.class, a -> {
            assertThat(a.isStarted()).isTrue();
            assertThat(a.getQueueSize()).isEqualTo(8192);
            assertThat(a.getDiscardingThreshold()).isZero();
            assertThat(a.isNeverBlock()).isTrue();
            Appender<ILoggingEvent> out = a.getAppender("access-out");
            assertThat(out).isInstanceOfSatisfying(ConsoleAppender.class, c -> assertThat(c.getEncoder())
                    .isInstanceOfSatisfying(PatternLayoutEncoder.class, e ->
                            assertThat(e.getPattern()).isEqualTo("%msg%n")));
        });
        assertThat(StatusUtil.filterStatusListByTimeThreshold(context.getStatusManager().getCopyOfStatusList(), 0))
                .as("nothing for Logback to print at start").allMatch(s -> s.getLevel() < Status.WARN);
    }

    @Test
    void jsonWhenTheEnvironmentAsksAndThenTheFileCannotChangeIt() {
        LogSetup.configure(context, settings(Optional.of(LogFormat.JSON), Level.INFO));

        assertThat(appenders(root())).singleElement().isInstanceOfSatisfying(ConsoleAppender.class,
                c -> assertThat(c.getEncoder()).isInstanceOf(JsonEncoder.class));
        assertThat(context.getObject(LogSetup.SWITCHABLE_FORMAT)).isNull();
    }

    @Test
    void switchingTheFormatReplacesTheConsoleOnly() {
        LogSetup.configure(context, settings(Optional.empty(), Level.INFO));
        Appender<ILoggingEvent> text = root().getAppender(LogSetup.CONSOLE);

        LogSetup.switchConsole(context, LogFormat.JSON);

        assertThat(text.isStarted()).isFalse();
        assertThat(appenders(root())).singleElement().isInstanceOfSatisfying(ConsoleAppender.class, c -> {
            assertThat(c.getName()).isEqualTo(LogSetup.CONSOLE);
            assertThat(c.getEncoder()).isInstanceOf(JsonEncoder.class);
        });
        assertThat(appenders(context.getLogger(LogSetup.ACCESS_LOGGER))).hasSize(1);
        assertThat(context.getObject(LogSetup.SWITCHABLE_FORMAT)).isEqualTo(LogFormat.JSON);
    }
}
