package dev.proxy.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * One YAML mapping of the config file, read key by key. Every accessor reports a bad value to {@link Problems}
 * with its path and line and returns the default, so one pass finds every problem; {@link #finish()} reports the
 * keys nobody asked for, which is how unknown keys become errors.
 */
final class ConfigNode {
    /** An HTTP token (RFC 9110 §5.6.2): what a method or a header name may be made of. */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");
    private static final Pattern STATUS = Pattern.compile("[0-9]{3}");

    private final String path;
    private final Problems problems;
    private final Map<String, Node> entries = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    private ConfigNode(String path, Problems problems) {
        this.path = path;
        this.problems = problems;
    }

    static ConfigNode of(String path, Node node, Problems problems) {
        ConfigNode result = new ConfigNode(path, problems);
        if (node == null || isNull(node)) {
            return result;
        }
        if (!(node instanceof MappingNode)) {
            problems.add(path, "must be a mapping of keys to values" + at(node));
            return result;
        }
        for (NodeTuple tuple : ((MappingNode) node).getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode)) {
                problems.add(path, "keys must be plain strings" + at(keyNode));
                continue;
            }
            String key = ((ScalarNode) keyNode).getValue();
            if (result.entries.put(key, tuple.getValueNode()) != null) {
                problems.add(result.child(key), "duplicate key" + at(keyNode));
            }
        }
        return result;
    }

    String path() {
        return path;
    }

    Problems problems() {
        return problems;
    }

    String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        Node n = entries.get(key);
        return n != null && !isNull(n);
    }

    /** The nested mapping under {@code key}; an empty node (all defaults) when the key is absent. */
    ConfigNode object(String key) {
        return ConfigNode.of(child(key), take(key), problems);
    }

    /**
     * The nested mapping under {@code key}, or empty when the key is absent or its value empty; for the blocks whose
     * presence switches a feature on. A value that is not a mapping is reported (and empty is returned).
     */
    Optional<ConfigNode> optionalObject(String key) {
        Node n = take(key);
        if (n == null) {
            return Optional.empty();
        }
        if (!(n instanceof MappingNode)) {
            problems.add(child(key), "must be a mapping of keys to values" + at(n));
            return Optional.empty();
        }
        return Optional.of(ConfigNode.of(child(key), n, problems));
    }

    /** The list of mappings under {@code key}; empty when absent. */
    List<ConfigNode> objects(String key) {
        List<ConfigNode> result = new ArrayList<>();
        List<Node> items = sequence(key);
        for (int i = 0; i < items.size(); i++) {
            result.add(ConfigNode.of(child(key) + "[" + i + "]", items.get(i), problems));
        }
        return result;
    }

    /** The items of the list under {@code key}; empty, and reported, when it is not a list. */
    private List<Node> sequence(String key) {
        Node n = take(key);
        if (n == null) {
            return List.of();
        }
        if (!(n instanceof SequenceNode)) {
            problems.add(child(key), "must be a list" + at(n));
            return List.of();
        }
        return ((SequenceNode) n).getValue();
    }

    Optional<String> string(String key) {
        Node n = take(key);
        if (n == null) {
            return Optional.empty();
        }
        if (!(n instanceof ScalarNode)) {
            problems.add(child(key), "must be a single value" + at(n));
            return Optional.empty();
        }
        return Optional.of(((ScalarNode) n).getValue());
    }

    String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    Optional<String> requiredString(String key) {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            problems.add(child(key), "is required");
        } else if (value.get().isBlank()) {
            problems.add(child(key), "must not be empty");
            return Optional.empty();
        }
        return value;
    }

    int integer(String key, int defaultValue, int min, int max) {
        return parsed(key, defaultValue, text -> {
            int v = Integer.parseInt(text);
            if (v < min || v > max) {
                throw new IllegalArgumentException("must be between " + min + " and " + max + ", was " + v);
            }
            return v;
        });
    }

    /**
     * A number written as digits with an optional fraction ({@code 5}, {@code 0.5}, {@code 12.25}) between
     * {@code min} and {@code max} inclusive. Exponents, {@code _} and a leading {@code .} are rejected.
     */
    double number(String key, double defaultValue, double min, double max) {
        return parsed(key, defaultValue, text -> {
            double v = decimal(text);
            if (v < min || v > max) {
                throw new IllegalArgumentException("must be between " + plain(min) + " and " + plain(max)
                        + ", was " + text);
            }
            return v;
        });
    }

    /** A number as {@link #number} that must be greater than 0 and at most {@code max}. */
    double positiveNumber(String key, double defaultValue, double max) {
        return parsed(key, defaultValue, text -> {
            double v = decimal(text);
            if (!(v > 0) || v > max) {
                throw new IllegalArgumentException("must be greater than 0 and at most " + plain(max)
                        + ", was " + text);
            }
            return v;
        });
    }

    /** Reports {@code key} as required when it is absent or empty; true when it is there. */
    boolean require(String key) {
        if (has(key)) {
            return true;
        }
        problem(key, "is required");
        return false;
    }

    boolean bool(String key, boolean defaultValue) {
        return parsed(key, defaultValue, text -> {
            if (text.equals("true") || text.equals("false")) {
                return Boolean.parseBoolean(text);
            }
            throw new IllegalArgumentException("must be true or false");
        });
    }

    Duration duration(String key, Duration defaultValue) {
        return parsed(key, defaultValue, Units::duration);
    }

    /** A duration that must be positive: zero or negative is reported. */
    Duration positiveDuration(String key, Duration defaultValue) {
        Duration d = duration(key, defaultValue);
        if (d.isZero() || d.isNegative()) {
            problem(key, "must be greater than 0");
            return defaultValue;
        }
        return d;
    }

    long size(String key, long defaultValue) {
        return parsed(key, defaultValue, Units::size);
    }

    <T> T parsed(String key, T defaultValue, Function<String, T> parser) {
        Node n = entries.get(key);
        Optional<String> text = string(key);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            return parser.apply(text.get().trim());
        } catch (NumberFormatException e) {
            problems.add(child(key), "'" + text.get() + "' is not a whole number" + at(n));
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(child(key), e.getMessage() + at(n));
        }
        return defaultValue;
    }

    List<String> strings(String key) {
        List<String> result = new ArrayList<>();
        List<Node> items = sequence(key);
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (item instanceof ScalarNode) {
                result.add(((ScalarNode) item).getValue());
            } else {
                problems.add(child(key) + "[" + i + "]", "must be a single value" + at(item));
            }
        }
        return result;
    }

    /** An optional HTTP header name, lower-cased; a value that is not a header name (a token) is reported. */
    Optional<String> headerName(String key) {
        Optional<String> name = string(key);
        if (name.isPresent() && !TOKEN.matcher(name.get()).matches()) {
            problem(key, "'" + name.get() + "' is not a header name");
            return Optional.empty();
        }
        return name.map(v -> v.toLowerCase(Locale.ROOT));
    }

    /** A list of HTTP statuses (100-599); each item that is not one is reported and left out. Empty when absent. */
    Set<Integer> statuses(String key) {
        Set<Integer> result = new LinkedHashSet<>();
        for (String text : strings(key)) {
            OptionalInt status = status(text);
            if (status.isPresent()) {
                result.add(status.getAsInt());
            } else {
                problem(key, "'" + text + "' is not an HTTP status (100-599)");
            }
        }
        return result;
    }

    /** {@code text} as an HTTP status (three digits, 100-599), or empty. */
    static OptionalInt status(String text) {
        String t = text.trim();
        if (!STATUS.matcher(t).matches()) {
            return OptionalInt.empty();
        }
        int status = Integer.parseInt(t);
        return status >= 100 && status <= 599 ? OptionalInt.of(status) : OptionalInt.empty();
    }

    Map<String, String> stringMap(String key) {
        ConfigNode node = object(key);
        Map<String, String> result = new LinkedHashMap<>();
        for (String k : node.entries.keySet()) {
            Optional<String> v = node.string(k);
            if (v.isPresent()) {
                result.put(k, v.get());
            } else if (!node.has(k)) {
                node.problem(k, "needs a value (an empty one would silently match everything)");
            }
        }
        return result;
    }

    /** Reports every key of this mapping that no accessor read. */
    void finish() {
        for (String key : entries.keySet()) {
            if (!used.contains(key)) {
                problems.add(child(key), "unknown key" + at(entries.get(key)));
            }
        }
    }

    void problem(String key, String message) {
        Node n = entries.get(key);
        problems.add(key == null ? path : child(key), message + (n == null ? "" : at(n)));
    }

    private Node take(String key) {
        used.add(key);
        Node n = entries.get(key);
        return n == null || isNull(n) ? null : n;
    }

    private static double decimal(String text) {
        if (!DECIMAL.matcher(text).matches()) {
            // not a NumberFormatException: parsed() would call it "not a whole number"
            throw new IllegalArgumentException("'" + text + "' is not a number (examples: 5, 0.5)");
        }
        return Double.parseDouble(text);
    }

    /** A bound as it would be written in the file: {@code 100}, not {@code 100.0}. */
    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode && "tag:yaml.org,2002:null".equals(n.getTag().getValue());
    }

    private static String at(Node n) {
        return n == null || n.getStartMark() == null ? "" : " (line " + (n.getStartMark().getLine() + 1) + ")";
    }
}
