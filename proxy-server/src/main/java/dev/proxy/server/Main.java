package dev.proxy.server;

import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ProxyConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code java -jar proxy-server.jar [--config FILE] [--validate] [--demo]}. */
@Command(name = "proxy", mixinStandardHelpOptions = true, version = "proxy 0.1.0",
        description = "An HTTP reverse proxy configured by one YAML routes file.")
public final class Main implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "config/proxy.yaml",
            description = "The routes file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--validate", description = "Check the file, print every problem, and exit (0 when valid).")
    boolean validate;

    @Option(names = "--demo", description = "Also start a demo backend on every static loopback endpoint.")
    boolean demo;

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = new PrintWriter(System.err, true);
        ProxyConfig parsed;
        try {
            parsed = ConfigReader.read(config);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println(config + ": cannot read: " + e);
            return 2;
        }
        if (validate) {
            System.out.println(config + ": valid (" + parsed.routes().size() + " routes, "
                    + parsed.clusters().size() + " clusters)");
            return 0;
        }
        ProxyApp app = ProxyApp.start(parsed, demo);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            stopped.countDown();
        }, "proxy-shutdown"));
        stopped.await();
        return 0;
    }
}
