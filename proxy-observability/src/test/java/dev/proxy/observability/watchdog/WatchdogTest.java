package dev.proxy.observability.watchdog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.proxy.core.config.WatchdogConfig;
import dev.proxy.core.config.WatchdogConfig.Action;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WatchdogTest {
    private static final long MIB = 1024 * 1024;
    /** Every check well under the default thresholds. */
    private static final Readings CALM = new Readings(100 * MIB, 1000 * MIB, 10 * MIB, 1000 * MIB, 100, 1000, 50, 10,
            1000);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<Readings> readings = new AtomicReference<>(CALM);
    private final AtomicInteger closeIdleRuns = new AtomicInteger();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger watchdogLog = (Logger) LoggerFactory.getLogger(Watchdog.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        watchdogLog.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        watchdogLog.detachAppender(logs);
    }

    private Watchdog watchdog(Action action) {
        return new Watchdog(config(action), readings::get, registry, closeIdleRuns::incrementAndGet);
    }

    private static WatchdogConfig config(Action action) {
        return new WatchdogConfig(true, Duration.ofSeconds(10), 90, 90, 90, 90, 1000, action);
    }

    private static Readings heap(long usedMib, long maxMib) {
        return new Readings(usedMib * MIB, maxMib * MIB, CALM.directUsed(), CALM.directMax(), CALM.openFiles(),
                CALM.maxFiles(), CALM.liveThreads(), CALM.connections(), CALM.maxConnections());
    }

    private double breached(String check) {
        return registry.get("proxy.watchdog.breached").tag("check", check).gauge().value();
    }

    private double breaches(String check) {
        return registry.get("proxy.watchdog.breaches").tag("check", check).counter().count();
    }

    private double usage(String check) {
        return registry.get("proxy.watchdog.usage.ratio").tag("check", check).gauge().value();
    }

    private List<String> messages(Level level) {
        return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aBreachIsMeteredAndWarnedOnceAndItsRecoveryLoggedOnce() {
        Watchdog w = watchdog(Action.WARN);
        w.check();
        assertThat(w.healthy()).isTrue();
        assertThat(breached("heap")).isZero();
        assertThat(usage("heap")).isCloseTo(0.1, within());

        readings.set(heap(950, 1000));
        w.check();
        w.check();
        w.check();
        assertThat(w.healthy()).isFalse();
        assertThat(w.breaching()).containsExactly("heap");
        assertThat(breached("heap")).isEqualTo(1);
        assertThat(breaches("heap")).isEqualTo(1);
        assertThat(usage("heap")).isCloseTo(0.95, within());
        assertThat(messages(Level.WARN)).singleElement().asString()
                .contains("heap", "950.0 MiB of 1000.0 MiB", "95.0%", "threshold 90%");

        readings.set(heap(500, 1000));
        w.check();
        w.check();
        assertThat(w.healthy()).isTrue();
        assertThat(w.breaching()).isEmpty();
        assertThat(breached("heap")).isZero();
        assertThat(breaches("heap")).isEqualTo(1);
        assertThat(messages(Level.INFO)).singleElement().asString().contains("heap", "back under", "threshold 90%");
        assertThat(messages(Level.WARN)).hasSize(1);

        readings.set(heap(950, 1000));
        w.check();
        assertThat(breaches("heap")).isEqualTo(2);
        assertThat(messages(Level.WARN)).hasSize(2);
    }

    @Test
    void exactlyTheThresholdIsNotABreach() {
        Watchdog w = watchdog(Action.WARN);
        readings.set(heap(900, 1000));
        w.check();
        assertThat(w.healthy()).isTrue();
        readings.set(heap(901, 1000));
        w.check();
        assertThat(w.breaching()).containsExactly("heap");
    }

    @Test
    void everyCheckBreachesOnItsOwnReading() {
        Watchdog w = watchdog(Action.WARN);
        readings.set(new Readings(950 * MIB, 1000 * MIB, 91 * MIB, 100 * MIB, 91, 100, 1001, 901, 1000));
        w.check();
        assertThat(w.breaching()).containsExactly("heap", "direct_memory", "open_files", "threads", "connections");
        assertThat(usage("direct_memory")).isCloseTo(0.91, within());
        assertThat(usage("open_files")).isCloseTo(0.91, within());
        assertThat(usage("threads")).isCloseTo(1.001, within());
        assertThat(usage("connections")).isCloseTo(0.901, within());
        for (String check : Watchdog.CHECKS) {
            assertThat(breached(check)).as(check).isEqualTo(1);
            assertThat(breaches(check)).as(check).isEqualTo(1);
        }
        assertThat(messages(Level.WARN)).hasSize(5);
        assertThat(messages(Level.WARN).get(3)).contains("threads", "1001 live threads, limit 1000");
    }

    @Test
    void failReadinessFailsOnlyWhileBreaching() {
        Watchdog w = watchdog(Action.FAIL_READINESS);
        w.check();
        assertThat(w.failsReadiness()).isFalse();
        readings.set(heap(950, 1000));
        w.check();
        assertThat(w.failsReadiness()).isTrue();
        assertThat(messages(Level.WARN)).singleElement().asString().contains("readiness fails");
        readings.set(CALM);
        w.check();
        assertThat(w.failsReadiness()).isFalse();
        assertThat(closeIdleRuns).hasValue(0);
    }

    @Test
    void closeIdleRunsWhenABreachStartsAndOncePerCheckWhileItLasts() {
        Watchdog w = watchdog(Action.CLOSE_IDLE);
        w.check();
        assertThat(closeIdleRuns).hasValue(0);
        readings.set(new Readings(950 * MIB, 1000 * MIB, 95 * MIB, 100 * MIB, 95, 100, 50, 10, 1000));
        w.check();
        assertThat(closeIdleRuns).as("once, though three checks breach").hasValue(1);
        w.check();
        assertThat(closeIdleRuns).hasValue(2);
        readings.set(CALM);
        w.check();
        w.check();
        assertThat(closeIdleRuns).hasValue(2);
        assertThat(w.failsReadiness()).isFalse();
    }

    @Test
    void aFailingCloseIdleTaskIsLoggedNotThrown() {
        Watchdog w = new Watchdog(config(Action.CLOSE_IDLE), readings::get, registry, () -> {
            throw new IllegalStateException("boom");
        });
        readings.set(heap(950, 1000));
        w.check();
        assertThat(w.breaching()).containsExactly("heap");
        assertThat(messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("closing idle"));
    }

    @Test
    void warnActsOnNothingElse() {
        Watchdog w = watchdog(Action.WARN);
        readings.set(heap(950, 1000));
        w.check();
        w.check();
        assertThat(w.healthy()).isFalse();
        assertThat(w.failsReadiness()).isFalse();
        assertThat(closeIdleRuns).hasValue(0);
    }

    @Test
    void aCheckWithAnUnknownLimitOrReadingIsSkipped() {
        Watchdog w = watchdog(Action.FAIL_READINESS);
        readings.set(new Readings(950 * MIB, Readings.UNKNOWN, Readings.UNKNOWN, 1000 * MIB, 99, Readings.UNKNOWN,
                50, 999, 0));
        w.check();
        assertThat(w.healthy()).isTrue();
        assertThat(w.failsReadiness()).isFalse();
        for (String check : List.of("heap", "direct_memory", "open_files", "connections")) {
            assertThat(breached(check)).as(check).isZero();
            assertThat(usage(check)).as(check).isNaN();
        }
        assertThat(usage("threads")).isCloseTo(0.05, within());
        assertThat(logs.list).isEmpty();
    }

    @Test
    void aBreachingCheckThatBecomesUnknownStopsBreaching() {
        Watchdog w = watchdog(Action.FAIL_READINESS);
        readings.set(heap(950, 1000));
        w.check();
        assertThat(w.failsReadiness()).isTrue();
        readings.set(heap(950, Readings.UNKNOWN));
        w.check();
        assertThat(w.failsReadiness()).isFalse();
        assertThat(breached("heap")).isZero();
        assertThat(messages(Level.INFO)).singleElement().asString().contains("heap", "can no longer be measured");
    }

    @Test
    void metersAreExportedWithPrometheusNames() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Watchdog w = new Watchdog(config(Action.WARN), readings::get, prometheus, () -> { });
        readings.set(heap(950, 1000));
        w.check();
        String scrape = prometheus.scrape();
        assertThat(scrape)
                .contains("proxy_watchdog_breached{check=\"heap\"} 1")
                .contains("proxy_watchdog_breached{check=\"threads\"} 0")
                .contains("proxy_watchdog_breaches_total{check=\"heap\"} 1")
                .contains("proxy_watchdog_usage_ratio{check=\"heap\"} 0.95");
        w.close();
        assertThat(prometheus.scrape()).doesNotContain("proxy_watchdog");
        prometheus.close();
    }

    @Test
    void aDisabledWatchdogHasNoMetersAndNeverChecks() {
        AtomicInteger reads = new AtomicInteger();
        Watchdog w = new Watchdog(new WatchdogConfig(false, Duration.ofSeconds(10), 90, 90, 90, 90, 1000,
                Action.FAIL_READINESS), () -> {
                    reads.incrementAndGet();
                    return heap(950, 1000);
                }, registry, closeIdleRuns::incrementAndGet);
        w.start();
        w.check();
        w.close();
        assertThat(reads).hasValue(0);
        assertThat(w.healthy()).isTrue();
        assertThat(w.failsReadiness()).isFalse();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void startChecksPeriodicallyOnADaemonThreadNamedWatchdogAndCloseStopsIt() {
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<Thread> thread = new AtomicReference<>();
        Watchdog w = new Watchdog(new WatchdogConfig(true, Duration.ofMillis(1), 90, 90, 90, 90, 1000, Action.WARN),
                () -> {
                    thread.set(Thread.currentThread());
                    reads.incrementAndGet();
                    return CALM;
                }, registry, closeIdleRuns::incrementAndGet);
        w.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() >= 3);
        assertThat(thread.get().getName()).isEqualTo("watchdog");
        assertThat(thread.get().isDaemon()).isTrue();
        assertThatThrownBy(w::start).isInstanceOf(IllegalStateException.class);
        w.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !thread.get().isAlive());
        w.close();
    }

    @Test
    void aFailedReadDoesNotStopTheSchedule() {
        AtomicInteger reads = new AtomicInteger();
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            Watchdog w = new Watchdog(new WatchdogConfig(true, Duration.ofMillis(1), 90, 90, 90, 90, 1000,
                    Action.WARN), () -> {
                        if (reads.incrementAndGet() == 1) {
                            throw new IllegalStateException("no reading");
                        }
                        return CALM;
                    }, registry, closeIdleRuns::incrementAndGet);
            w.start(executor);
            await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() >= 3);
            w.close();
            assertThat(executor.isShutdown()).as("a given executor is left running").isFalse();
            assertThat(messages(Level.WARN)).contains("watchdog check failed");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void refusesAnEventLoop() {
        DefaultEventExecutor loop = new DefaultEventExecutor();
        try {
            Watchdog w = watchdog(Action.WARN);
            assertThatThrownBy(() -> w.start(loop)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }
}
