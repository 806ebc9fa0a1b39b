package dev.proxy.server.fleet;

import dev.proxy.balancer.etcd.EtcdClients;
import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ConfigSourceConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.server.reload.ConfigDiff;
import dev.proxy.server.reload.ConfigHash;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code proxy config …}: a fleet's shared config in etcd, handled from the command line. Every subcommand reads the
 * etcd connection and key from the {@code configSource} of a replica's local file ({@code --config}), and validates
 * a document exactly as a replica does: together with that local file. Exit codes: 0 done, 1 etcd failed, 2 an
 * invalid file or document (every problem printed with its path and line), 3 a compare-and-swap conflict.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "The fleet's shared config in etcd (configSource.etcd of the local file).",
        subcommands = {ConfigCommand.Push.class, ConfigCommand.Get.class, ConfigCommand.Diff.class,
            ConfigCommand.History.class, ConfigCommand.Rollback.class})
public final class ConfigCommand implements Callable<Integer> {
    static final int ETCD_FAILED = 1;
    static final int INVALID = 2;
    static final int CONFLICT = 3;

    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }

    /** What every subcommand shares: the local file, the etcd client, validation. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "config/proxy.yaml",
                description = "A replica's local file, with configSource.etcd (default: ${DEFAULT-VALUE}).")
        Path local;

        @Spec
        CommandSpec spec;

        PrintWriter out;
        PrintWriter err;
        String localText;
        ConfigSourceConfig source;

        @Override
        public final Integer call() {
            // picocli's writers (System.out and System.err unless the caller set others), so tests can read them
            out = spec.commandLine().getOut();
            err = spec.commandLine().getErr();
            try {
                localText = Files.readString(local, StandardCharsets.UTF_8);
                Optional<ConfigSourceConfig> s = ConfigReader.configSource(localText, local.toString());
                if (s.isEmpty()) {
                    err.println(local + ": has no configSource.etcd: name the fleet's etcd and prefix there");
                    return INVALID;
                }
                source = s.get();
            } catch (ConfigException e) {
                err.println(e.getMessage());
                return INVALID;
            } catch (IOException e) {
                err.println(local + ": cannot read: " + e);
                return INVALID;
            }
            Client client;
            try {
                client = EtcdClients.connect(source.etcd());
            } catch (IllegalArgumentException e) {
                err.println("etcd: " + e.getMessage());
                return ETCD_FAILED;
            }
            try {
                return run(new FleetStore(client, source.key(), source.etcd().requestTimeout()));
            } catch (FleetStore.ConflictException e) {
                err.println("refused: " + e.getMessage());
                return CONFLICT;
            } catch (ConfigException e) {
                err.println(e.getMessage());
                return INVALID;
            } catch (IOException e) {
                err.println("cannot read: " + e);
                return INVALID;
            } catch (RuntimeException e) {
                if (FleetStore.compacted(e)) {
                    err.println("etcd compacted that revision away: 'proxy config history' lists the versions left");
                    return ETCD_FAILED;
                }
                err.println("etcd " + source.etcd().endpoints() + ": " + describe(e));
                return ETCD_FAILED;
            } finally {
                client.close();
                out.flush();
                err.flush();
            }
        }

        abstract int run(FleetStore store) throws IOException;

        /** Validates {@code yaml} with the local file, as a replica would. */
        ProxyConfig validate(String yaml, String name) {
            return ConfigReader.read(localText, local.toString(), yaml, name);
        }

        FleetValue current(FleetStore store) {
            return store.current().orElseThrow(() -> new IllegalStateException("etcd key " + source.key()
                    + " holds no config yet: push one with 'proxy config push FILE'"));
        }

        FleetValue at(FleetStore store, long revision) {
            return store.at(revision).orElseThrow(() -> new IllegalStateException("etcd key " + source.key()
                    + " held nothing at revision " + revision));
        }

        static String describe(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null && (t.getMessage() == null || t instanceof CompletionException)) {
                t = t.getCause();
            }
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        }

        /** Writes a validated document; with {@code expect}, only if the key is still at that revision. */
        int write(FleetStore store, String yaml, ProxyConfig config, OptionalLong expect) {
            long revision = store.put(yaml, expect);
            out.println("pushed " + source.key() + " revision " + revision + " (hash " + ConfigHash.of(config) + ", "
                    + config.routes().size() + " routes, " + config.clusters().size() + " clusters)");
            return 0;
        }
    }

    /** {@code proxy config push FILE}: validates, then writes. */
    @Command(name = "push", mixinStandardHelpOptions = true,
            description = "Validate FILE as the replicas do, then write it as the fleet's config.")
    static final class Push extends Base {
        @Parameters(paramLabel = "FILE", description = "The shared document: discovery, clusters, routes.")
        Path file;

        @Option(names = "--expect-revision", paramLabel = "N",
                description = "Write only if the config in etcd is still at revision N (0: only if there is none).")
        Long expectRevision;

        @Override
        int run(FleetStore store) throws IOException {
            String yaml = Files.readString(file, StandardCharsets.UTF_8);
            ProxyConfig config = validate(yaml, file.toString());
            return write(store, yaml, config,
                    expectRevision == null ? OptionalLong.empty() : OptionalLong.of(expectRevision));
        }
    }

    /** {@code proxy config get}: prints a version's document. */
    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Print the fleet's config (its revision and hash go to stderr).")
    static final class Get extends Base {
        @Option(names = "--revision", paramLabel = "N", description = "The version the key held at revision N.")
        Long revision;

        @Override
        int run(FleetStore store) {
            FleetValue value = revision == null ? current(store) : at(store, revision);
            err.println("# " + source.key() + " revision " + value.revision() + ", hash " + hash(value));
            out.print(value.yaml());
            out.flush();
            return 0;
        }

        private String hash(FleetValue value) {
            try {
                return ConfigHash.of(validate(value.yaml(), "etcd"));
            } catch (ConfigException e) {
                return "(invalid)";
            }
        }
    }

    /** {@code proxy config diff FILE}: what pushing FILE would change, as a replica's reload log says it. */
    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Validate FILE and say what pushing it would change against the config in etcd.")
    static final class Diff extends Base {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Override
        int run(FleetStore store) throws IOException {
            ProxyConfig next = validate(Files.readString(file, StandardCharsets.UTF_8), file.toString());
            FleetValue value = current(store);
            ProxyConfig running = validate(value.yaml(), source.key() + "@" + value.revision());
            ConfigDiff diff = ConfigDiff.between(running, next);
            out.println(source.key() + "@" + value.revision() + " (hash " + ConfigHash.of(running) + ") -> " + file
                    + " (hash " + ConfigHash.of(next) + "): " + diff.summary());
            out.println("push it with: proxy config push --expect-revision " + value.revision() + " " + file);
            return 0;
        }
    }

    /** {@code proxy config history}: the versions etcd still keeps. */
    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "List the versions etcd still keeps (until compaction), newest first.")
    static final class History extends Base {
        @Option(names = "--max", defaultValue = "20", description = "At most this many (default: ${DEFAULT-VALUE}).")
        int max;

        @Override
        int run(FleetStore store) {
            List<FleetValue> versions = store.history(max);
            for (FleetValue v : versions) {
                String hash;
                try {
                    ProxyConfig c = validate(v.yaml(), "etcd");
                    hash = ConfigHash.of(c) + "  " + c.routes().size() + " routes, " + c.clusters().size() + " clusters";
                } catch (ConfigException e) {
                    hash = "(invalid: " + e.problems().size() + " problems)";
                }
                out.println("revision " + v.revision() + "  hash " + hash);
            }
            if (versions.isEmpty()) {
                out.println("etcd key " + source.key() + " holds no config");
            }
            return 0;
        }
    }

    /** {@code proxy config rollback REV}: writes an earlier version again, as a new revision. */
    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Write the version of revision REV again (validated first), unless the config changed "
                    + "meanwhile.")
    static final class Rollback extends Base {
        @Parameters(paramLabel = "REV")
        long revision;

        @Override
        int run(FleetStore store) {
            FleetValue now = current(store);
            FleetValue then = at(store, revision);
            ProxyConfig config = validate(then.yaml(), source.key() + "@" + then.revision());
            out.println("rolling back to the version of revision " + then.revision());
            // compare-and-swap on what we just read: a push in between is not overwritten
            return write(store, then.yaml(), config, OptionalLong.of(now.revision()));
        }
    }
}
