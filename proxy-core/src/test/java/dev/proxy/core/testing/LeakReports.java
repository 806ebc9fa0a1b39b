package dev.proxy.core.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;

/**
 * A Logback appender (wired in logback-test.xml to Netty's leak detector logger) that keeps every leak report, so
 * {@link LeakDetectionExtension} can fail the test that caused it. Thread-safe.
 */
public final class LeakReports extends AppenderBase<ILoggingEvent> {
    private static final List<String> REPORTS = new ArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getFormattedMessage().contains("LEAK")) {
            synchronized (REPORTS) {
                REPORTS.add(event.getFormattedMessage());
            }
        }
    }

    /** Returns and forgets the reports collected so far. */
    public static List<String> drain() {
        synchronized (REPORTS) {
            List<String> copy = new ArrayList<>(REPORTS);
            REPORTS.clear();
            return copy;
        }
    }
}
