package dev.proxy.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.proxy.core.config.ObservabilityConfig.LogFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogSettingsTest {
    private static LogSettings from(Map<String, String> variables) {
        return LogSettings.from(variables::get);
    }

    @Test
    void leavesTheFormatToTheFileAndLogsInfoWhenNothingIsSet() {
        LogSettings s = from(Map.of());

        assertThat(s.format()).isEmpty();
        assertThat(s.rootLevel()).isEqualTo(Level.INFO);
        assertThat(s.problems()).isEmpty();
    }

    @Test
    void readsTheFormatAndTheLevelInAnyCase() {
        LogSettings s = from(Map.of(LogSettings.FORMAT, "JSON", LogSettings.LEVEL, "debug"));

        assertThat(s.format()).contains(LogFormat.JSON);
        assertThat(s.rootLevel()).isEqualTo(Level.DEBUG);
        assertThat(s.problems()).isEmpty();
    }

    @Test
    void takesABlankValueForUnset() {
        LogSettings s = from(Map.of(LogSettings.FORMAT, " ", LogSettings.LEVEL, ""));

        assertThat(s.format()).isEmpty();
        assertThat(s.rootLevel()).isEqualTo(Level.INFO);
    }

    @Test
    void fallsBackToTextAndInfoAndSaysSoForValuesItDoesNotKnow() {
        LogSettings s = from(Map.of(LogSettings.FORMAT, "xml", LogSettings.LEVEL, "loud"));

        assertThat(s.format()).as("set, so the file does not choose").contains(LogFormat.TEXT);
        assertThat(s.rootLevel()).isEqualTo(Level.INFO);
        assertThat(s.problems()).containsExactly(
                "PROXY_LOG_FORMAT: 'xml' is neither text nor json; text is used",
                "PROXY_LOG_LEVEL: 'loud' is not a log level; INFO is used");
    }
}
