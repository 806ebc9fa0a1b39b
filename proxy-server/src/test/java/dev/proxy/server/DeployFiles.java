package dev.proxy.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/** Reads the files under {@code deploy/} for the deployment tests: the Dockerfile's instructions, the manifests. */
final class DeployFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeployFiles() {
    }

    /** Every YAML file under {@code dir} (recursively), sorted. */
    static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documents of a YAML file (several with {@code ---}), each as loaded by SnakeYAML. */
    static List<Object> documents(Path file) {
        List<Object> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(read(file))) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return docs;
    }

    /** The routes file the Kubernetes ConfigMap holds: its {@code data."proxy.yaml"}. */
    static String configMapRoutes(Path root) {
        Map<String, Object> configMap = map(documents(root.resolve("deploy/kubernetes/configmap.yaml")).get(0));
        return (String) map(configMap.get("data")).get("proxy.yaml");
    }

    /** The Kubernetes object of {@code kind} named {@code name} among the files under {@code deploy/kubernetes}. */
    static Map<String, Object> manifest(Path root, String kind, String name) {
        for (Path file : yamlFiles(root.resolve("deploy/kubernetes"))) {
            for (Object doc : documents(file)) {
                Map<String, Object> m = map(doc);
                if (kind.equals(m.get("kind")) && name.equals(map(m.get("metadata")).get("name"))) {
                    return m;
                }
            }
        }
        throw new AssertionError("no " + kind + " " + name + " under deploy/kubernetes");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (!(o instanceof Map)) {
            throw new AssertionError("not a mapping: " + o);
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        if (!(o instanceof List)) {
            throw new AssertionError("not a list: " + o);
        }
        return (List<Object>) o;
    }

    /** Follows {@code keys} (map keys, or list indexes as integers) from {@code o}. */
    static Object at(Object o, Object... keys) {
        Object current = o;
        for (Object key : keys) {
            current = key instanceof Integer i ? list(current).get(i) : map(current).get(key);
            if (current == null) {
                throw new AssertionError("nothing at " + List.of(keys));
            }
        }
        return current;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The instructions of the Dockerfile's last stage (the image that runs), continuation lines joined, comments
     * dropped: each as {instruction in upper case, arguments}.
     */
    static List<String[]> runtimeStage(Path dockerfile) {
        List<String[]> all = instructions(dockerfile);
        int lastFrom = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i)[0].equals("FROM")) {
                lastFrom = i;
            }
        }
        return all.subList(lastFrom, all.size());
    }

    /** Every instruction of every stage, as {@link #runtimeStage} gives those of the last. */
    static List<String[]> instructions(Path dockerfile) {
        List<String[]> all = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String raw : read(dockerfile).split("\n")) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String full = pending.toString().strip();
            pending.setLength(0);
            if (full.isEmpty()) {
                continue;
            }
            int space = full.indexOf(' ');
            all.add(new String[] {full.substring(0, space).toUpperCase(java.util.Locale.ROOT),
                    full.substring(space + 1).strip()});
        }
        return all;
    }

    /**
     * Whether the build context leaves {@code path} (relative to the root) out, by {@code .dockerignore}'s rules:
     * a pattern matches a path or any directory above it, and the last line that matches decides, a {@code !} line
     * putting back what an earlier one left out.
     */
    static boolean dockerIgnores(Path dockerignore, String path) {
        boolean ignored = false;
        for (String raw : read(dockerignore).split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean putBack = line.startsWith("!");
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + (putBack ? line.substring(1) : line));
            for (Path p = Path.of(path); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    ignored = !putBack;
                    break;
                }
            }
        }
        return ignored;
    }

    /** The arguments of the last {@code instruction} of the runtime stage; fails when it has none. */
    static String instruction(Path dockerfile, String instruction) {
        String found = null;
        for (String[] i : runtimeStage(dockerfile)) {
            if (i[0].equals(instruction)) {
                found = i[1];
            }
        }
        if (found == null) {
            throw new AssertionError("no " + instruction + " in the runtime stage of " + dockerfile);
        }
        return found;
    }

    /** An exec-form (JSON array) instruction's words: ENTRYPOINT and CMD must be written that way. */
    static List<String> execForm(Path dockerfile, String instruction) {
        String args = instruction(dockerfile, instruction);
        try {
            return JSON.readValue(args, new TypeReference<List<String>>() { });
        } catch (IOException e) {
            throw new AssertionError(instruction + " is not in exec form (a JSON array): " + args, e);
        }
    }
}
