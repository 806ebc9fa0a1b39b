package dev.proxy.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Reads the top-level {@code redis} block. Stateless; reports problems on the node it is given. */
final class RedisReader {
    private RedisReader() {
    }

    /** The Redis connection, or empty when the block is absent or had problems (which are then reported). */
    static Optional<RedisConfig> read(Optional<ConfigNode> block) {
        if (block.isEmpty()) {
            return Optional.empty();
        }
        ConfigNode r = block.get();
        r.require("url");
        String text = r.string("url", "");
        URI url = null;
        if (!text.isEmpty()) {
            try {
                url = new URI(text);
                String scheme = url.getScheme();
                if (!("redis".equals(scheme) || "rediss".equals(scheme)) || url.getHost() == null) {
                    r.problem("url", "must be redis://host:port or rediss://host:port, was " + text);
                    url = null;
                } else if (url.getUserInfo() != null) {
                    r.problem("url", "must not hold credentials: use username and passwordFile");
                    url = null;
                }
            } catch (URISyntaxException e) {
                r.problem("url", "is not a URL: " + text);
            }
        }
        Optional<String> username = r.has("username") ? Optional.of(r.string("username", "")) : Optional.empty();
        Optional<Path> passwordFile = r.has("passwordFile") ? Optional.of(Path.of(r.string("passwordFile", "")))
                : Optional.empty();
        Optional<Path> trustedCa = r.has("trustedCa") ? Optional.of(Path.of(r.string("trustedCa", "")))
                : Optional.empty();
        Duration connectTimeout = r.positiveDuration("connectTimeout", RedisConfig.DEFAULT_CONNECT_TIMEOUT);
        Duration timeout = r.positiveDuration("timeout", RedisConfig.DEFAULT_TIMEOUT);
        r.finish();
        return url == null ? Optional.empty()
                : Optional.of(new RedisConfig(url, username, passwordFile, trustedCa, connectTimeout, timeout));
    }
}
