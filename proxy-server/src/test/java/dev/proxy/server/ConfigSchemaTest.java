package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.proxy.core.config.ConfigException;
import dev.proxy.core.config.ConfigReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * {@code config/proxy.schema.json}, the reader and {@code docs/configuration.md} agree.
 *
 * <ul>
 *   <li>Reader ↔ schema: every routes file of the repository (config/, config/examples/, the compose demo's and the
 *       Kubernetes ConfigMap's) passes both; the same files with an unknown key added to any one of their mappings
 *       fail both; and a set of bad values the reader rejects fails the schema too. So the schema is neither looser
 *       nor stricter than the reader on what the examples use.</li>
 *   <li>Schema ↔ docs. The rule: in configuration.md, a table whose first header cell is {@code key} lists keys, one
 *       per row, the row's first cell being exactly one key in backticks, written relative to the section it is in
 *       ({@link #SECTION_PREFIX}: under "3. clusters" {@code pool.acquireTimeout} means
 *       {@code clusters[].pool.acquireTimeout}). Every leaf key of the schema (a property that holds no nested
 *       properties) must be such a row, and every such row must name a property of the schema (leaf or block).</li>
 * </ul>
 */
class ConfigSchemaTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The headings of configuration.md under which key tables stand, and what their keys are relative to. A key
     * table under any other heading fails the test: add its heading here.
     */
    private static final Map<String, String> SECTION_PREFIX = Map.ofEntries(
            Map.entry("## 2. `server`", ""),
            Map.entry("## 3. `clusters`", "clusters[]."),
            Map.entry("### Endpoints from etcd (`discovery`)", ""),
            Map.entry("### A fleet's config in etcd (`configSource`)", ""),
            Map.entry("## 4. `routes`", "routes[]."),
            Map.entry("### `retry`", "routes[]."),
            Map.entry("### `rateLimit`", "routes[]."),
            Map.entry("### Limits shared by a fleet (`redis`)", ""),
            Map.entry("### `concurrencyLimit`", "routes[]."),
            Map.entry("### `fault`", "routes[]."),
            Map.entry("### `mirror`", "routes[]."),
            Map.entry("## 6. `observability`", "observability."));

    private static final Pattern ONE_KEY = Pattern.compile("`([A-Za-z0-9_.\\[\\]]+)`");

    private final Path root = Loopback.repoRoot();
    private final Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(read(root.resolve("config/proxy.schema.json")), InputFormat.JSON);

    @Test
    void theSchemaIsAValidDraft2020_12Schema() throws Exception {
        Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
        JsonNode ours = JSON.readTree(root.resolve("config/proxy.schema.json").toFile());
        assertThat(meta.validate(ours)).isEmpty();
        assertThat(ours.path("$schema").asText()).isEqualTo(SpecificationVersion.DRAFT_2020_12.getDialectId());
    }

    @Test
    void everyRoutesFilePassesTheReaderAndTheSchema() {
        Map<String, String> files = routesFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(8);
        SoftAssertions.assertSoftly(soft -> files.forEach((name, yaml) -> {
            try {
                ConfigReader.read(yaml, name);
            } catch (ConfigException e) {
                soft.fail(name + " is rejected by ConfigReader: " + e.getMessage());
            }
            soft.assertThat(messages(schema.validate(tree(yaml)))).as("schema errors of %s", name).isEmpty();
        }));
    }

    @Test
    void anUnknownKeyInAnyMappingOfTheExamplesFailsTheReaderAndTheSchema() {
        int checked = 0;
        List<String> escaped = new ArrayList<>();
        for (Map.Entry<String, String> file : routesFiles().entrySet()) {
            JsonNode original = tree(file.getValue());
            for (String pointer : mappings(original, "")) {
                JsonNode copy = original.deepCopy();
                ((ObjectNode) copy.at(JsonPointer.compile(pointer))).put("bogusKey", 1);
                String yaml = yaml(copy);
                checked++;
                String where = file.getKey() + " at " + (pointer.isEmpty() ? "/" : pointer);
                try {
                    ConfigReader.read(yaml, "x");
                    escaped.add("reader accepts an unknown key in " + where);
                } catch (ConfigException e) {
                    if (!e.getMessage().contains("bogusKey: unknown key")) {
                        escaped.add("reader rejects " + where + " for another reason: " + e.getMessage());
                    }
                }
                if (schema.validate(copy).isEmpty()) {
                    escaped.add("schema accepts an unknown key in " + where);
                }
            }
        }
        assertThat(escaped).isEmpty();
        // every block of the examples was tried: server, limits, pools, breakers, retry, observability, ...
        assertThat(checked).isGreaterThan(60);
    }

    @Test
    void theFleetExamplePassesTheReaderAsAReplicaReadsItAndBothHalvesPassTheSchema() {
        String local = read(root.resolve("config/examples/fleet/local.yaml"));
        String shared = read(root.resolve("config/examples/fleet/shared.yaml"));

        assertThat(ConfigReader.read(local, "local.yaml", shared, "shared.yaml").configSource()).isPresent();
        assertThat(messages(schema.validate(tree(local)))).isEmpty();
        assertThat(messages(schema.validate(tree(shared)))).isEmpty();
        assertThat(schema.validate(tree(local.replace("prefix: /proxy/fleet", "prefix: /proxy/fleet/")))).isNotEmpty();
    }

    @Test
    void badValuesTheReaderRejectsAreRejectedByTheSchemaToo() {
        String base = """
                server: { listen: 0.0.0.0:8080 }
                clusters:
                  - name: app
                    endpoints: [ { address: 127.0.0.1:9001 } ]
                routes:
                  - name: all
                    cluster: app
                """;
        List<String> snippets = List.of(
                base.replace("0.0.0.0:8080", "8080"),
                base + "    timeout: 1.5s\n",
                base + "    timeout: 5\n",
                base + "    maxBodySize: 10MB\n",
                base + "    retry: { on: [sometimes] }\n",
                base + "    retry: { attempts: 11 }\n",
                base + "    rateLimit: { burst: 5 }\n",
                base + "    rateLimit: { requestsPerSecond: 1, key: user }\n",
                base + "    fault: {}\n",
                base + "    fault: { abort: { percent: 1, status: 302 } }\n",
                base + "    mirror: { percent: 10 }\n",
                base + "    concurrencyLimit: { max: 0 }\n",
                base.replace("endpoints: [ { address: 127.0.0.1:9001 } ]",
                        "endpoints: [ { address: 127.0.0.1:9001 } ]\n    balancer: { policy: fastest }"),
                base.replace("endpoints: [ { address: 127.0.0.1:9001 } ]",
                        "endpoints: [ { address: 127.0.0.1:9001, weight: 0 } ]"),
                base.replace("endpoints: [ { address: 127.0.0.1:9001 } ]",
                        "endpoints: [ { address: 127.0.0.1:9001 } ]\n    healthCheck: { path: health }"),
                base.replace("endpoints: [ { address: 127.0.0.1:9001 } ]",
                        "endpoints: [ { address: 127.0.0.1:9001 } ]\n    circuitBreaker: { failureStatuses: [700] }"),
                base.replace("0.0.0.0:8080 }", "0.0.0.0:8080, trustedProxies: [proxy.internal] }"),
                base.replace("0.0.0.0:8080 }", "0.0.0.0:8080, trustedProxies: [10.0.0.0/33] }"),
                base.replace("0.0.0.0:8080 }", "0.0.0.0:8080, clientAddressHeader: x-real-ip }"),
                base.replace("0.0.0.0:8080 }", "0.0.0.0:8080, proxyProtocol: { mode: v2 } }"),
                base + "observability: { watchdog: { action: panic } }\n",
                base + "observability: { logFormat: xml }\n",
                base + "observability: { accessLog: { sampleRate: 2 } }\n",
                base.replace("routes:\n  - name: all\n    cluster: app\n", ""));
        SoftAssertions.assertSoftly(soft -> {
            for (String yaml : snippets) {
                soft.assertThatThrownBy(() -> ConfigReader.read(yaml, "snippet")).as("reader on\n%s", yaml)
                        .isInstanceOf(ConfigException.class);
                soft.assertThat(schema.validate(tree(yaml))).as("schema on\n%s", yaml).isNotEmpty();
            }
        });
    }

    @Test
    void everySchemaKeyIsDocumentedAndEveryDocumentedKeyIsInTheSchema() throws IOException {
        JsonNode schemaTree = JSON.readTree(root.resolve("config/proxy.schema.json").toFile());
        Set<String> all = new TreeSet<>();
        Set<String> leaves = new TreeSet<>();
        collect(schemaTree, schemaTree, "", all, leaves);
        // the walk found the schema's depths (a broken walk would find nothing and pass)
        assertThat(leaves).contains("server.listen", "clusters[].endpoints[].address",
                "routes[].retry.budget.minRetriesPerSecond", "observability.tracing.otlp.endpoint",
                "discovery.etcd.tls.key", "routes[].match.headers");

        Set<String> documented = documentedKeys(Files.readString(root.resolve("docs/configuration.md")));
        Set<String> undocumented = new TreeSet<>(leaves);
        undocumented.removeAll(documented);
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(all);
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(undocumented).as("schema keys without a row in docs/configuration.md").isEmpty();
            soft.assertThat(unknown).as("keys documented in docs/configuration.md that the schema lacks").isEmpty();
        });
    }

    @Test
    void theRoutesFilesOfConfigPointEditorsAtTheSchema() throws IOException {
        for (Path file : configFiles()) {
            Path schemaPath = file.getParent().relativize(root.resolve("config/proxy.schema.json"));
            assertThat(Files.readAllLines(file).get(0)).as(file.toString())
                    .isEqualTo("# yaml-language-server: $schema=" + schemaPath.toString().replace('\\', '/'));
        }
    }

    /** The keys of the key tables of configuration.md, made absolute by {@link #SECTION_PREFIX}. */
    static Set<String> documentedKeys(String markdown) {
        Set<String> keys = new TreeSet<>();
        String heading = null;
        boolean inTable = false;
        boolean keyTable = false;
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                continue;
            }
            if (line.startsWith("#")) {
                heading = line.strip();
                continue;
            }
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            String[] cells = line.split("\\|", -1);
            String first = cells[1].strip();
            if (!inTable) {
                inTable = true;
                keyTable = first.equals("key");
                if (keyTable && !SECTION_PREFIX.containsKey(heading)) {
                    fail("a key table under '" + heading + "': add the heading to SECTION_PREFIX");
                }
                continue;
            }
            if (!keyTable || first.startsWith("---")) {
                continue;
            }
            Matcher m = ONE_KEY.matcher(first);
            if (!m.matches()) {
                fail("'" + first + "' under '" + heading + "' is not exactly one key in backticks");
            }
            keys.add(SECTION_PREFIX.get(heading) + m.group(1));
        }
        return keys;
    }

    /** Walks the schema's properties (following local $refs): every property path, and those that are leaves. */
    private static void collect(JsonNode rootSchema, JsonNode node, String prefix, Set<String> all,
                                Set<String> leaves) {
        JsonNode s = resolve(rootSchema, node);
        Iterator<Map.Entry<String, JsonNode>> props = s.path("properties").fields();
        while (props.hasNext()) {
            Map.Entry<String, JsonNode> p = props.next();
            String path = prefix + p.getKey();
            all.add(path);
            JsonNode value = resolve(rootSchema, p.getValue());
            JsonNode items = resolve(rootSchema, value.path("items"));
            if (value.has("properties")) {
                collect(rootSchema, value, path + ".", all, leaves);
            } else if (items.has("properties")) {
                collect(rootSchema, items, path + "[].", all, leaves);
            } else {
                leaves.add(path);
            }
        }
    }

    private static JsonNode resolve(JsonNode rootSchema, JsonNode node) {
        JsonNode n = node;
        while (n.has("$ref") && n.get("$ref").asText().startsWith("#/")) {
            n = rootSchema.at(n.get("$ref").asText().substring(1));
        }
        return n;
    }

    /**
     * JSON pointers of every mapping in {@code node}, except the free-form maps: headers ({@code match.headers}, the
     * header edits) and labels ({@code endpoints[].labels}, {@code endpointSelector}), where any name is valid.
     */
    private static List<String> mappings(JsonNode node, String pointer) {
        List<String> result = new ArrayList<>();
        if (node.isObject()) {
            result.add(pointer);
            node.fields().forEachRemaining(e -> {
                if (!Set.of("headers", "labels", "endpointSelector").contains(e.getKey())) {
                    result.addAll(mappings(e.getValue(), pointer + "/" + e.getKey()));
                }
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                result.addAll(mappings(node.get(i), pointer + "/" + i));
            }
        }
        return result;
    }

    /** Every routes file of the repository by name, with its text. */
    private Map<String, String> routesFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        for (Path f : configFiles()) {
            files.put(root.relativize(f).toString(), read(f));
        }
        Path compose = root.resolve("deploy/compose/proxy/proxy.yaml");
        files.put(root.relativize(compose).toString(), read(compose));
        files.put("deploy/kubernetes/configmap.yaml#proxy.yaml", DeployFiles.configMapRoutes(root));
        // the benchmark's proxy configs, their @PLACEHOLDER@s (ports, loop counts) filled as bench.sh does
        try (Stream<Path> bench = Files.list(root.resolve("deploy/bench"))) {
            bench.filter(p -> p.getFileName().toString().matches("proxy.*\\.yaml\\.tmpl")).sorted()
                    .forEach(p -> files.put(root.relativize(p).toString(), read(p).replaceAll("@[A-Z_]+@", "1")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    private List<Path> configFiles() {
        try (Stream<Path> top = Files.list(root.resolve("config"));
             Stream<Path> examples = Files.list(root.resolve("config/examples"))) {
            return Stream.concat(top, examples).filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode tree(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String yaml(JsonNode node) {
        try {
            return YAML.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> messages(List<Error> errors) {
        return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
