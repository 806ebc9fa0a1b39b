package dev.proxy.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.Units;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The config records as JSON, in the file's own terms: durations as {@code 250ms}, enums in lower case, addresses
 * as {@code host:port}, absent options as null (sizes stay in bytes). Walks any record, so a new key shows up without code here.
 * Secrets are never written: a component named in {@link #SECRETS} shows as {@code "<redacted>"}.
 */
public final class ConfigJson {
    /** Record components whose value is a secret. */
    static final Set<String> SECRETS = Set.of("password");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ConfigJson() {
    }

    public static JsonNode of(Object value) {
        return node(value, false);
    }

    private static JsonNode node(Object value, boolean secret) {
        if (value instanceof Optional<?> o) {
            return o.isEmpty() ? NODES.nullNode() : node(o.get(), secret);
        }
        if (value == null) {
            return NODES.nullNode();
        }
        if (secret) {
            return NODES.textNode("<redacted>");
        }
        if (value instanceof HostPort) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof Record r) {
            ObjectNode object = NODES.objectNode();
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                object.set(c.getName(), node(read(c, r), SECRETS.contains(c.getName())));
            }
            return object;
        }
        if (value instanceof Map<?, ?> m) {
            ObjectNode object = NODES.objectNode();
            m.forEach((k, v) -> object.set(String.valueOf(k), node(v, false)));
            return object;
        }
        if (value instanceof Collection<?> c) {
            ArrayNode array = NODES.arrayNode();
            c.forEach(v -> array.add(node(v, false)));
            return array;
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer || value instanceof Long) {
            return NODES.numberNode(((Number) value).longValue());
        }
        if (value instanceof Number n) {
            return NODES.numberNode(n.doubleValue());
        }
        if (value instanceof Duration d) {
            return NODES.textNode(Units.format(d));
        }
        if (value instanceof Enum<?> e) {
            return NODES.textNode(e.name().toLowerCase(Locale.ROOT));
        }
        return NODES.textNode(value.toString());
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
        }
    }
}
