package dev.proxy.balancer.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.config.EndpointConfig;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last known endpoints of every discovered cluster, kept on disk so that a proxy restarted while etcd is
 * unreachable serves what it served before. JSON: {@code {"clusters":{"users":[{"address":"10.0.0.5:8080",
 * "weight":1}]}}}. Written by {@link AtomicFiles}, so a crash never leaves half a file.
 * Not thread-safe: used from the discovery thread.
 */
final class EndpointSnapshotFile {
    private static final Logger log = LoggerFactory.getLogger(EndpointSnapshotFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    EndpointSnapshotFile(Path file) {
        this.file = file.toAbsolutePath();
    }

    Path path() {
        return file;
    }

    /** The endpoint sets the file holds; empty when there is no file, and when it cannot be read (logged). */
    Map<String, List<EndpointConfig>> read() {
        Map<String, List<EndpointConfig>> result = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return result;
        } catch (IOException e) {
            log.warn("endpoint snapshot {} is unreadable and is ignored: {}", file, e.getMessage());
            return result;
        }
        JsonNode clusters = root == null ? null : root.get("clusters");
        if (clusters == null || !clusters.isObject()) {
            log.warn("endpoint snapshot {} has no \"clusters\" object and is ignored", file);
            return result;
        }
        clusters.fields().forEachRemaining(entry -> {
            List<EndpointConfig> endpoints = new ArrayList<>();
            for (JsonNode item : entry.getValue()) {
                try {
                    RegistrationCodec.decode(item).ifPresent(endpoints::add);
                } catch (IllegalArgumentException e) {
                    log.warn("endpoint snapshot {}: skipping an entry of cluster {}: {}", file, entry.getKey(),
                            e.getMessage());
                }
            }
            result.put(entry.getKey(), List.copyOf(endpoints));
        });
        return result;
    }

    /** Replaces the file with these endpoint sets. Failures are logged: the snapshot is a fallback, not a duty. */
    void write(Map<String, List<EndpointConfig>> sets) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode clusters = root.putObject("clusters");
        sets.forEach((cluster, endpoints) -> {
            ArrayNode list = clusters.putArray(cluster);
            for (EndpointConfig e : endpoints) {
                list.add(RegistrationCodec.encode(e));
            }
        });
        try {
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            log.warn("cannot write the endpoint snapshot {}: {}", file, e.getMessage());
        }
    }
}
