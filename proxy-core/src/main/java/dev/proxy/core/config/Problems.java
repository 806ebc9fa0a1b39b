package dev.proxy.core.config;

import java.util.ArrayList;
import java.util.List;

/** Collects every problem found in a config file, each with the path of the key it concerns. Not thread-safe. */
final class Problems {
    private final List<String> messages = new ArrayList<>();

    void add(String path, String message) {
        messages.add(path.isEmpty() ? message : path + ": " + message);
    }

    boolean isEmpty() {
        return messages.isEmpty();
    }

    void throwIfAny(String source) {
        if (!messages.isEmpty()) {
            throw new ConfigException(source, messages);
        }
    }
}
