package dev.proxy.server;

import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.server.fleet.ConfigCommand;
import dev.proxy.server.fleet.FleetConfigSource;
import dev.proxy.server.logging.ProxyLogging;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar proxy-server.jar [--config FILE] [--validate] [--demo]}, and
 * {@code java -jar proxy-server.jar register --prefix P --address HOST:PORT} ({@link RegisterCommand}), and
 * {@code java -jar proxy-server.jar config push|get|diff|history|rollback} ({@link ConfigCommand}: a fleet's config
 * in etcd).
 */
@Command(name = "proxy", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An HTTP reverse proxy configured by one YAML routes file.",
        subcommands = {RegisterCommand.class, ConfigCommand.class})
public final class Main implements Callable<Integer> {
    /** {@code --version}: the version and commit the build stamped into the jar ({@link BuildInfo}). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().toString()};
        }
    }

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "config/proxy.yaml",
            description = "The routes file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--validate", description = "Check the file, print every problem, and exit (0 when valid).")
    boolean validate;

    @Option(names = "--demo", description = "Also start a demo backend on every static loopback endpoint.")
    boolean demo;

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** SIGHUP loads the config file again, as daemons do; where the JVM cannot take the signal, it says so. */
    private static void reloadOnSighup(AtomicReference<ProxyApp> app) {
        try {
            // a HUP before the proxy is up is ignored rather than left to the JVM, which would exit
            Signal.handle(new Signal("HUP"), s -> {
                ProxyApp running = app.get();
                if (running != null) {
                    running.reload("sighup");
                }
            });
        } catch (IllegalArgumentException e) {
            LoggerFactory.getLogger(Main.class).info("SIGHUP cannot be handled here ({}); reload through the file or "
                    + "the admin API", e.getMessage());
        }
    }

    /**
     * Netty can report its buffer allocations to Java Flight Recorder as events of its own; the first allocation then
     * registers those event types with JFR (annotation proxies, generated handler classes), 0.1-0.3 s of CPU in the
     * first request's path. A recording does not show them unless asked for, so they are off unless asked for too
     * ({@code -Dio.netty.jfr.enabled=true}).
     */
    static final String NETTY_JFR_EVENTS = "io.netty.jfr.enabled";

    /**
     * Netty's leak detector, in its default sampling mode, wraps one buffer in 128 and checks every allocation, which
     * gives the hot path two buffer types where it had one: measured at 5-50 % more CPU per small request, and a
     * source of run-to-run variance (docs/benchmarks.md, "Leak detector"). The tests run it at paranoid on
     * every buffer; in production a leak shows as growing direct memory (the watchdog's {@code direct_memory} check,
     * {@code netty_allocator_memory_used}). Off unless asked for ({@code -Dio.netty.leakDetection.level=simple}).
     */
    static final String NETTY_LEAK_DETECTION = "io.netty.leakDetection.level";

    /** Netty's settings the proxy changes, each kept when the command line sets it; read once, at Netty's start. */
    static final Map<String, String> NETTY_DEFAULTS = Map.of(NETTY_JFR_EVENTS, "false",
            NETTY_LEAK_DETECTION, "disabled");

    /** Sets {@link #NETTY_DEFAULTS}, but not one the command line set. Before Netty first reads them. */
    static void nettyDefaultsUnlessSet() {
        NETTY_DEFAULTS.forEach((name, value) -> {
            if (System.getProperty(name) == null) {
                System.setProperty(name, value);
            }
        });
    }

    public static void main(String[] args) {
        nettyDefaultsUnlessSet();
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        int code = new CommandLine(new Main()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = new PrintWriter(System.err, true);
        LoadedConfig loaded;
        try {
            loaded = LoadedConfig.read(config);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println(config + ": cannot read: " + e);
            return 2;
        } catch (IllegalStateException | IllegalArgumentException e) {
            // a fleet's etcd unreachable with no cache, or its TLS files unreadable
            err.println("cannot start: " + e.getMessage());
            return 1;
        }
        ProxyConfig parsed = loaded.config();
        if (validate) {
            loaded.fleet().ifPresent(FleetConfigSource::close);
            System.out.println(config + ": valid (" + count(parsed.routes().size(), "route") + ", "
                    + count(parsed.clusters().size(), "cluster")
                    + loaded.fleet().map(f -> ", from etcd " + f.status().key() + "@" + f.status().appliedRevision())
                    .orElse("") + ")");
            return 0;
        }
        ProxyLogging.applyFileFormat(parsed.observability().logFormat());
        // before the start, which says it is up: a HUP sent once it says so must find the handler
        AtomicReference<ProxyApp> started = new AtomicReference<>();
        reloadOnSighup(started);
        ProxyApp app;
        try {
            app = ProxyApp.start(loaded, demo);
            started.set(app);
        } catch (RuntimeException e) {
            // most often a port already in use: say so in one line, not a stack trace
            err.println("cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                app.stop();
            } finally {
                stopped.countDown();
            }
        }, "proxy-shutdown"));
        stopped.await();
        return 0;
    }
}
