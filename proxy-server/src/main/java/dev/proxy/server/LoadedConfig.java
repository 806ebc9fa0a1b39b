package dev.proxy.server;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ConfigSourceConfig;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.server.fleet.FleetConfigSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The config a proxy starts on: the routes file alone, or, when the file has a {@code configSource}, the file with
 * the fleet's document from etcd (or its cache). The fleet source it opened goes to {@link ProxyApp}, which follows
 * it; whoever does not start the app closes it.
 *
 * @param fleet the open fleet config source, when the file names one
 */
public record LoadedConfig(Path file, ProxyConfig config, Optional<FleetConfigSource> fleet) {
    public LoadedConfig {
        requireNonNull(file, "file");
        requireNonNull(config, "config");
        requireNonNull(fleet, "fleet");
    }

    /**
     * Reads {@code file}, and the fleet's document if it names one.
     *
     * @throws dev.proxy.core.config.ConfigException the config is invalid, with every problem
     * @throws IllegalStateException a fleet's etcd cannot be reached and there is no cache to serve
     */
    public static LoadedConfig read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Optional<ConfigSourceConfig> source = ConfigReader.configSource(text, file.toString());
        if (source.isEmpty()) {
            return new LoadedConfig(file, ConfigReader.read(text, file.toString()), Optional.empty());
        }
        FleetConfigSource fleet = FleetConfigSource.open(file, source.get());
        try {
            return new LoadedConfig(file, fleet.initial(), Optional.of(fleet));
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }
}
