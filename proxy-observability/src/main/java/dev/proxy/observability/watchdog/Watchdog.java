package dev.proxy.observability.watchdog;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.WatchdogConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic self-check of {@code observability.watchdog}. Each {@link #check()} takes one {@link Readings} sample
 * and compares five checks against their thresholds:
 *
 * <ul>
 *   <li>{@code heap}: heap used above {@code heapUsedPercent} of the heap max;</li>
 *   <li>{@code direct_memory}: direct memory used above {@code directMemoryPercent} of its max;</li>
 *   <li>{@code open_files}: open descriptors above {@code openFilesPercent} of the open-file limit;</li>
 *   <li>{@code threads}: more live threads than {@code maxThreads};</li>
 *   <li>{@code connections}: client connections above {@code connectionsPercent} of
 *       {@code server.limits.maxConnections}.</li>
 * </ul>
 *
 * A check breaches when its reading is strictly above its threshold; one whose reading or limit is unknown
 * (negative, or a limit of 0) is skipped and does not breach. There is no hysteresis: a reading going back to or
 * under the threshold recovers at the next check.
 *
 * <p>A check that starts breaching is logged once at WARN with its reading and threshold, and its recovery once at
 * INFO; nothing is logged while the state stays the same. The {@link WatchdogConfig.Action action} then applies:
 * <ul>
 *   <li>{@code WARN}: nothing more;</li>
 *   <li>{@code FAIL_READINESS}: {@link #failsReadiness()} is true while any check breaches;</li>
 *   <li>{@code CLOSE_IDLE}: the {@code closeIdle} task runs at the check where a breach starts and then once per
 *       check (so at most once per interval, whatever the number of checks breaching) while any check still
 *       breaches, since idle connections pile up again between intervals; never once all checks pass.</li>
 * </ul>
 *
 * <p>Meters, each tagged {@code check} with the five names above, read from the last check (not sampled at scrape
 * time): {@code proxy.watchdog.breached} (1 while breaching, 0 otherwise), {@code proxy.watchdog.breaches} (breach
 * starts) and {@code proxy.watchdog.usage.ratio} (reading / limit, e.g. 0.42; for threads live / maxThreads; NaN
 * before the first check and while the check is skipped).
 *
 * <p>{@link #start()} runs the checks every {@code interval} on a daemon thread named {@code watchdog};
 * {@link #close()} stops them. A disabled config ({@code enabled: false}) registers no meter, never checks, and is
 * always healthy. Thread-safe.
 */
public final class Watchdog implements AutoCloseable {
    /** The check names, the values of the {@code check} tag, in the order they are checked. */
    public static final List<String> CHECKS = List.of("heap", "direct_memory", "open_files", "threads",
            "connections");

    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    private static final int HEAP = 0;
    private static final int DIRECT = 1;
    private static final int FILES = 2;
    private static final int THREADS = 3;
    private static final int CONNECTIONS = 4;

    private final WatchdogConfig config;
    private final ReadingSource source;
    private final MeterRegistry registry;
    private final Runnable closeIdle;
    private final CheckState[] states = new CheckState[CHECKS.size()];
    private final List<Meter> meters = new ArrayList<>();
    private volatile Set<String> breaching = Set.of();
    private ScheduledExecutorService ownExecutor;
    private ScheduledFuture<?> task;
    private boolean closed;

    /**
     * @param config    the {@code observability.watchdog} block
     * @param source    the readings, {@link JvmReadingSource} in the proxy
     * @param registry  where the meters go, e.g. {@code ProxyMetrics.registry()}
     * @param closeIdle what {@code CLOSE_IDLE} runs, e.g. {@code proxyServer::closeIdleUpstreamConnections}; must
     *                  not block for long. Ignored by the other actions.
     */
    public Watchdog(WatchdogConfig config, ReadingSource source, MeterRegistry registry, Runnable closeIdle) {
        this.config = requireNonNull(config, "config");
        this.source = requireNonNull(source, "source");
        this.registry = requireNonNull(registry, "registry");
        this.closeIdle = requireNonNull(closeIdle, "closeIdle");
        for (int i = 0; i < states.length; i++) {
            states[i] = new CheckState(CHECKS.get(i));
        }
        if (config.enabled()) {
            registerMeters();
        }
    }

    private void registerMeters() {
        for (CheckState s : states) {
            meters.add(Gauge.builder("proxy.watchdog.breached", s, c -> c.breached ? 1 : 0)
                    .description("1 while the watchdog check is over its threshold, 0 otherwise")
                    .tag("check", s.name)
                    .strongReference(true)
                    .register(registry));
            meters.add(Gauge.builder("proxy.watchdog.usage.ratio", s, c -> c.usage)
                    .description("The check's last reading over its limit (threads: over maxThreads); NaN if unknown")
                    .tag("check", s.name)
                    .strongReference(true)
                    .register(registry));
            s.breaches = Counter.builder("proxy.watchdog.breaches")
                    .description("Times the watchdog check went over its threshold")
                    .tag("check", s.name)
                    .register(registry);
            meters.add(s.breaches);
        }
    }

    /**
     * Takes one sample, updates the state, the meters and the log, and runs the action. Called by the schedule
     * {@link #start} sets up; callable directly (tests). Does nothing once closed. Never throws because of the
     * {@code closeIdle} task; a failing {@link ReadingSource} throws (the schedule logs it and carries on).
     */
    public synchronized void check() {
        if (!config.enabled() || closed) {
            return;
        }
        Readings r = requireNonNull(source.read(), "readings");
        boolean started = false;
        started |= evaluate(states[HEAP], r.heapUsed(), r.heapMax(), config.heapUsedPercent(), true);
        started |= evaluate(states[DIRECT], r.directUsed(), r.directMax(), config.directMemoryPercent(), true);
        started |= evaluate(states[FILES], r.openFiles(), r.maxFiles(), config.openFilesPercent(), false);
        started |= evaluate(states[THREADS], r.liveThreads(), config.maxThreads(), 100, false);
        started |= evaluate(states[CONNECTIONS], r.connections(), r.maxConnections(), config.connectionsPercent(),
                false);
        Set<String> now = new LinkedHashSet<>();
        for (CheckState s : states) {
            if (s.breached) {
                now.add(s.name);
            }
        }
        breaching = Collections.unmodifiableSet(now);
        if (config.action() == WatchdogConfig.Action.CLOSE_IDLE && !now.isEmpty()) {
            closeIdle(started, now);
        }
    }

    /** Updates one check; true when it started breaching now. */
    private boolean evaluate(CheckState s, long reading, long limit, int percent, boolean bytes) {
        if (reading < 0 || limit <= 0) {
            s.usage = Double.NaN;
            if (s.breached) {
                s.breached = false;
                log.info("watchdog: {} can no longer be measured; no longer counted as over its threshold", s.name);
            }
            return false;
        }
        s.usage = (double) reading / limit;
        boolean over = above(reading, limit, percent);
        if (over == s.breached) {
            return false;
        }
        s.breached = over;
        if (over) {
            s.breaches.increment();
            log.warn("watchdog: {} over its threshold: {}{}", s.name, describe(s.name, reading, limit, percent,
                    bytes), consequence());
        } else {
            log.info("watchdog: {} back under its threshold: {}", s.name, describe(s.name, reading, limit, percent,
                    bytes));
        }
        return over;
    }

    /** reading > percent% of limit, in integer arithmetic so that exactly 90% of the limit is not over 90%. */
    static boolean above(long reading, long limit, int percent) {
        try {
            return Math.multiplyExact(reading, 100L) > Math.multiplyExact(limit, (long) percent);
        } catch (ArithmeticException e) {
            return reading / 100.0 > limit / 100.0 * percent / 100.0;
        }
    }

    private static String describe(String name, long reading, long limit, int percent, boolean bytes) {
        if (name.equals("threads")) {
            return reading + " live threads, limit " + limit;
        }
        String amounts = bytes ? mib(reading) + " of " + mib(limit) : reading + " of " + limit;
        return String.format("%s (%.1f%%), threshold %d%%", amounts, 100.0 * reading / limit, percent);
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private String consequence() {
        return switch (config.action()) {
            case WARN -> "";
            case FAIL_READINESS -> "; readiness fails until it recovers";
            case CLOSE_IDLE -> "; closing idle upstream connections";
        };
    }

    private void closeIdle(boolean started, Set<String> over) {
        if (!started) {
            log.debug("watchdog: {} still over threshold; closing idle upstream connections again", over);
        }
        try {
            closeIdle.run();
        } catch (RuntimeException e) {
            log.warn("watchdog: closing idle upstream connections failed", e);
        }
    }

    /** True when no check is over its threshold (always, when disabled). Whatever the action. */
    public boolean healthy() {
        return breaching.isEmpty();
    }

    /** The names of the checks over their threshold at the last check, in {@link #CHECKS} order; empty when none. */
    public Set<String> breaching() {
        return breaching;
    }

    /** True while the action is {@code FAIL_READINESS} and a check is over its threshold: {@code /readyz} fails. */
    public boolean failsReadiness() {
        return config.action() == WatchdogConfig.Action.FAIL_READINESS && !healthy();
    }

    /**
     * Checks at once and then every {@code interval}, on a daemon thread of its own named {@code watchdog}. Does
     * nothing when the config is disabled. Once only.
     */
    public synchronized Watchdog start() {
        if (task != null || closed) {
            throw new IllegalStateException("watchdog already started or closed");
        }
        if (!config.enabled()) {
            log.info("watchdog disabled");
            return this;
        }
        ownExecutor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watchdog");
            t.setDaemon(true);
            return t;
        });
        return start(ownExecutor);
    }

    /**
     * Checks at once and then every {@code interval} on {@code executor}, which must not be a Netty event loop
     * group: a check reads MXBeans and closes connections, which is no work for an event loop. {@link #close()}
     * cancels the schedule but leaves {@code executor} running. Does nothing when the config is disabled. Once only.
     */
    public synchronized Watchdog start(ScheduledExecutorService executor) {
        requireNonNull(executor, "executor");
        if (executor instanceof EventExecutorGroup) {
            throw new IllegalArgumentException("the watchdog does not run on a Netty event loop");
        }
        if (task != null || closed) {
            throw new IllegalStateException("watchdog already started or closed");
        }
        if (!config.enabled()) {
            return this;
        }
        long interval = config.interval().toNanos();
        task = executor.scheduleWithFixedDelay(this::checkSafely, 0, interval, TimeUnit.NANOSECONDS);
        log.info("watchdog checking every {} (action {})", config.interval(), config.action());
        return this;
    }

    /** A periodic task that throws is never run again, so a failed check is logged and the next one still runs. */
    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("watchdog check failed", e);
        }
    }

    /**
     * Stops the checks (waiting for one in progress to finish; none runs after), stops the thread {@link #start()}
     * made and removes the meters. Blocks; not for an event loop. Idempotent.
     */
    @Override
    public void close() {
        ScheduledExecutorService own;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (task != null) {
                task.cancel(false);
            }
            own = ownExecutor;
        }
        if (own != null) {
            own.shutdown();
            try {
                own.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Meter m : meters) {
            registry.remove(m);
        }
    }

    /** What the meters read; written under the watchdog's monitor, read by scrapes. */
    private static final class CheckState {
        final String name;
        volatile boolean breached;
        volatile double usage = Double.NaN;
        Counter breaches;

        CheckState(String name) {
            this.name = name;
        }
    }
}
