package dev.proxy.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header edits of one direction (request or response), applied in this order: {@code remove}, then {@code set}
 * (replacing every value of the name), then {@code add} (one more value). Names are lower case. Immutable.
 */
public record HeaderEditConfig(Map<String, HeaderValue> set, Map<String, HeaderValue> add, List<String> remove) {
    /** No edits. */
    public static final HeaderEditConfig NONE = new HeaderEditConfig(Map.of(), Map.of(), List.of());

    public HeaderEditConfig {
        // copies that keep the file's order, so headers are written in the order the operator wrote them
        set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
        add = Collections.unmodifiableMap(new LinkedHashMap<>(add));
        remove = List.copyOf(remove);
    }

    public boolean isEmpty() {
        return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
}
