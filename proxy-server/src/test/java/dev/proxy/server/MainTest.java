package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MainTest {
    private final Map<String, String> before = new HashMap<>();

    @BeforeEach
    void save() {
        Main.NETTY_DEFAULTS.keySet().forEach(name -> before.put(name, System.getProperty(name)));
    }

    @AfterEach
    void restore() {
        before.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    @Test
    void turnsNettysJfrEventsAndLeakDetectorOffWhenNobodyAsked() {
        Main.NETTY_DEFAULTS.keySet().forEach(System::clearProperty);

        Main.nettyDefaultsUnlessSet();

        assertThat(System.getProperty(Main.NETTY_JFR_EVENTS)).isEqualTo("false");
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION)).isEqualTo("disabled");
    }

    @Test
    void leavesWhatTheCommandLineSet() {
        System.setProperty(Main.NETTY_JFR_EVENTS, "true");
        System.setProperty(Main.NETTY_LEAK_DETECTION, "simple");

        Main.nettyDefaultsUnlessSet();

        assertThat(System.getProperty(Main.NETTY_JFR_EVENTS)).isEqualTo("true");
        assertThat(System.getProperty(Main.NETTY_LEAK_DETECTION)).isEqualTo("simple");
    }
}
