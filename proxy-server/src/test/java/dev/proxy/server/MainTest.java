package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MainTest {
    private String before;

    @BeforeEach
    void save() {
        before = System.getProperty(Main.NETTY_JFR_EVENTS);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(Main.NETTY_JFR_EVENTS);
        } else {
            System.setProperty(Main.NETTY_JFR_EVENTS, before);
        }
    }

    @Test
    void turnsNettysJfrEventsOffWhenNobodyAsked() {
        System.clearProperty(Main.NETTY_JFR_EVENTS);

        Main.nettyJfrEventsOffUnlessAsked();

        assertThat(System.getProperty(Main.NETTY_JFR_EVENTS)).isEqualTo("false");
    }

    @Test
    void leavesThemOnWhenAskedFor() {
        System.setProperty(Main.NETTY_JFR_EVENTS, "true");

        Main.nettyJfrEventsOffUnlessAsked();

        assertThat(System.getProperty(Main.NETTY_JFR_EVENTS)).isEqualTo("true");
    }
}
