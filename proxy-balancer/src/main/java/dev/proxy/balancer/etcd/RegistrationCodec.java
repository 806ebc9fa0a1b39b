package dev.proxy.balancer.etcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The registration value of one endpoint: what {@link EtcdRegistration} writes, the snapshot file keeps, and
 * discovery reads. Written in our shape; two shapes are read:
 * <ul>
 *   <li>ours: {@code {"address":"10.0.0.5:8080","weight":10,"zone":"a","metadata":{"env":"canary"}}} (weight, zone
 *       and metadata optional); the scalar entries of {@code metadata} are the endpoint's labels;
 *   <li>the one etcd's Go naming package ({@code go.etcd.io/etcd/client/v3/naming/endpoints}) writes:
 *       {@code {"Op":0,"Addr":"10.0.0.5:8080","Metadata":...}}, where a numeric {@code Metadata.weight} is used as
 *       the weight, a string {@code Metadata.zone} as the zone, and the other scalar entries of an object
 *       {@code Metadata} as labels. {@code Op} 1 (delete) means the endpoint is gone.
 * </ul>
 * Labels are names to text: a number or boolean is kept as its JSON text, nested objects and arrays are skipped.
 * Stateless and thread-safe.
 */
final class RegistrationCodec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_WEIGHT = 1_000_000;

    private RegistrationCodec() {
    }

    /**
     * {@code endpoint} in our shape: {@code {"address":"10.0.0.5:8080","weight":1}}, with {@code zone} and
     * {@code metadata} when it has them.
     */
    static ObjectNode encode(EndpointConfig endpoint) {
        ObjectNode node = JSON.createObjectNode().put("address", endpoint.address().toString())
                .put("weight", endpoint.weight());
        endpoint.zone().ifPresent(z -> node.put("zone", z));
        if (!endpoint.labels().isEmpty()) {
            ObjectNode metadata = node.putObject("metadata");
            endpoint.labels().forEach(metadata::put);
        }
        return node;
    }

    /**
     * The endpoint a value registers, or empty when it says the endpoint is gone.
     *
     * @throws IllegalArgumentException the value is not a registration; the message says why
     */
    static Optional<EndpointConfig> decode(byte[] value) {
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable: " + e.getMessage());
        }
        return decode(root);
    }

    /** As {@link #decode(byte[])}, for a value already parsed (an entry of the snapshot file). */
    static Optional<EndpointConfig> decode(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (root.has("Addr")) {
            return goNaming(root);
        }
        JsonNode address = root.get("address");
        if (address == null || !address.isTextual()) {
            throw new IllegalArgumentException("has neither \"address\" nor \"Addr\"");
        }
        return Optional.of(new EndpointConfig(address(address.asText()), weight(root.get("weight")),
                zone(root.get("zone")), labels(root.get("metadata"), Set.of())));
    }

    private static Optional<EndpointConfig> goNaming(JsonNode root) {
        JsonNode op = root.get("Op");
        if (op != null && !op.isIntegralNumber()) {
            throw new IllegalArgumentException("\"Op\" is not a number");
        }
        int operation = op == null ? 0 : op.asInt();
        if (operation == 1) {
            return Optional.empty();
        }
        if (operation != 0) {
            throw new IllegalArgumentException("\"Op\" " + operation + " is neither 0 (add) nor 1 (delete)");
        }
        JsonNode addr = root.get("Addr");
        if (!addr.isTextual()) {
            throw new IllegalArgumentException("\"Addr\" is not a string");
        }
        JsonNode metadata = root.get("Metadata");
        JsonNode weight = metadata != null && metadata.isObject() ? metadata.get("weight") : null;
        JsonNode zone = metadata != null && metadata.isObject() ? metadata.get("zone") : null;
        return Optional.of(new EndpointConfig(address(addr.asText()), weight(weight), zone(zone),
                labels(metadata, Set.of("weight", "zone"))));
    }

    private static Optional<String> zone(JsonNode zone) {
        if (zone == null || zone.isNull()) {
            return Optional.empty();
        }
        if (!zone.isTextual() || zone.asText().isBlank()) {
            throw new IllegalArgumentException("zone " + zone + " is not a name");
        }
        return Optional.of(zone.asText());
    }

    /** The scalar entries of {@code metadata} but those {@code skipped}, as text; none when it is not an object. */
    private static Map<String, String> labels(JsonNode metadata, Set<String> skipped) {
        if (metadata == null || !metadata.isObject()) {
            return Map.of();
        }
        Map<String, String> labels = new TreeMap<>();
        metadata.fields().forEachRemaining(e -> {
            if (e.getValue().isValueNode() && !e.getValue().isNull() && !skipped.contains(e.getKey())) {
                labels.put(e.getKey(), e.getValue().asText());
            }
        });
        return labels;
    }

    private static HostPort address(String text) {
        // gRPC-style registrations sometimes carry a scheme; the proxy speaks HTTP to whatever host:port follows
        String hostPort = text.startsWith("http://") ? text.substring("http://".length()) : text;
        if (hostPort.endsWith("/")) {
            hostPort = hostPort.substring(0, hostPort.length() - 1);
        }
        HostPort parsed = HostPort.parse(hostPort);
        if (parsed.port() == 0) {
            throw new IllegalArgumentException("'" + text + "' has port 0");
        }
        return parsed;
    }

    private static int weight(JsonNode weight) {
        if (weight == null || weight.isNull()) {
            return 1;
        }
        if (!weight.isIntegralNumber() || weight.asLong() < 1 || weight.asLong() > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight + " is not a whole number from 1 to " + MAX_WEIGHT);
        }
        return weight.asInt();
    }
}
