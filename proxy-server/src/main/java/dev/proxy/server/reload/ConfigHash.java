package dev.proxy.server.reload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.server.admin.ConfigJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The content hash of a config, so that an operator sees replicas that disagree: SHA-256 of the canonical JSON
 * ({@link ConfigJson}: defaults filled in, durations normalised, comments, key order and formatting of the YAML gone)
 * of the part a fleet shares and a reload changes, {@code discovery}, {@code clusters} and {@code routes}; shown as
 * its first {@value #LENGTH} hex digits. The same for a config read from a file and one from etcd. Secrets are
 * hashed redacted, as {@code /config} shows them. Stateless.
 */
public final class ConfigHash {
    /** Hex digits shown: 48 bits, ample to tell a handful of versions apart. */
    public static final int LENGTH = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigHash() {
    }

    /** The short hash of {@code config}'s shared part. */
    public static String of(ProxyConfig config) {
        ObjectNode shared = JsonNodeFactory.instance.objectNode();
        shared.set("discovery", ConfigJson.of(config.etcd()));
        shared.set("clusters", ConfigJson.of(config.clusters()));
        shared.set("routes", ConfigJson.of(config.routes()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    JSON.writeValueAsString(shared).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("cannot hash the config", e);
        }
    }
}
