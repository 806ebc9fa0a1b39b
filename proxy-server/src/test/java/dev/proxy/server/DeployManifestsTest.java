package dev.proxy.server;

import static dev.proxy.server.DeployFiles.at;
import static dev.proxy.server.DeployFiles.list;
import static dev.proxy.server.DeployFiles.manifest;
import static dev.proxy.server.DeployFiles.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.config.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The files under {@code deploy/} stay true to the code, with no Docker or Kubernetes at hand: every YAML file parses
 * (and passes yamllint where it is installed); the routes files they ship pass {@link ConfigReader}; the ports,
 * probe paths and scrape settings of the Dockerfile, the manifests and the compose file are the proxy's defaults as
 * {@link ConfigReader} reads them and the ports the shipped routes files listen on; the shutdown timings add up.
 * {@code DockerEntrypointIT} runs the Dockerfile's command; {@code DockerImageIT} builds the image where Docker runs.
 */
class DeployManifestsTest {
    private static final Path YAMLLINT = Path.of("/usr/bin/yamllint");
    /**
     * The admin paths the probes and scrapes use. Written here once: AdminHandler has no constants for them, and
     * AdminApiIntegrationTest checks what each answers.
     */
    private static final String HEALTHZ = "/healthz";
    private static final String READYZ = "/readyz";
    private static final String METRICS = "/metrics";

    private final Path root = Loopback.repoRoot();
    /** The proxy's defaults: what it listens on when the file does not say. */
    private final ServerConfig defaults = ConfigReader.read("routes: []\n", "defaults").server();
    private final ProxyConfig k8sRoutes = ConfigReader.read(DeployFiles.configMapRoutes(root), "configmap");
    private final Path dockerfile = root.resolve("deploy/Dockerfile");

    @Test
    void everyFileTheDockerfileCopiesFromTheContextExistsAndIsInTheContext() {
        List<String> sources = new ArrayList<>();
        for (String[] i : DeployFiles.instructions(dockerfile)) {
            if (i[0].equals("COPY") && !i[1].startsWith("--from")) {
                String[] words = i[1].split("\\s+");
                sources.addAll(List.of(words).subList(0, words.length - 1));
            }
        }
        assertThat(sources).contains("pom.xml", "deploy/cds-train.sh");
        Path dockerignore = root.resolve(".dockerignore");
        assertThat(sources).allSatisfy(s -> {
            assertThat(root.resolve(s)).as(s).exists();
            assertThat(DeployFiles.dockerIgnores(dockerignore, s)).as(s + " left out of the context by .dockerignore")
                    .isFalse();
        });
        assertThat(DeployFiles.dockerIgnores(dockerignore, "proxy-core/target/classes")).isTrue();
        assertThat(DeployFiles.dockerIgnores(dockerignore, "deploy/Dockerfile")).isTrue();
    }

    @Test
    void everyYamlFileUnderDeployAndConfigParses() {
        List<Path> files = new ArrayList<>(DeployFiles.yamlFiles(root.resolve("deploy")));
        files.addAll(DeployFiles.yamlFiles(root.resolve("config")));
        Map<Path, Integer> documents = new LinkedHashMap<>();
        for (Path f : files) {
            documents.put(root.relativize(f), DeployFiles.documents(f).size());
        }
        assertThat(documents).containsKeys(Path.of("deploy/compose.yaml"), Path.of("deploy/kubernetes/deployment.yaml"),
                Path.of("deploy/kubernetes/extras/servicemonitor.yaml"), Path.of("deploy/kubernetes/extras/hpa.yaml"),
                Path.of("deploy/compose/prometheus.yml"), Path.of("deploy/prometheus/proxy-alerts.yaml"));
        assertThat(documents.get(Path.of("deploy/kubernetes/service.yaml"))).isEqualTo(2);
        assertThat(documents.values()).allMatch(n -> n >= 1);
    }

    @Test
    void yamllintPassesInStrictMode() throws Exception {
        assumeTrue(Files.isExecutable(YAMLLINT), "yamllint (Debian package yamllint)");
        Process p = new ProcessBuilder(YAMLLINT.toString(), "-s", "-f", "parsable", "-c",
                root.resolve(".yamllint").toString(), "deploy", "config", ".yamllint")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void everyKustomizationResourceExists() {
        Path dir = root.resolve("deploy/kubernetes");
        Object kustomization = DeployFiles.documents(dir.resolve("kustomization.yaml")).get(0);
        List<Object> resources = list(at(kustomization, "resources"));
        assertThat(resources).contains("configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml");
        for (Object r : resources) {
            assertThat(dir.resolve((String) r)).isRegularFile();
        }
        // the image the Deployment names is the one kustomize rewrites
        assertThat(at(list(at(kustomization, "images")).get(0), "name")).isEqualTo(container().get("image"));
    }

    @Test
    void theShippedRoutesFilesListenWhereTheProxyListensByDefault() {
        // the manifests below are checked against the defaults; the files they mount must not move the ports
        assertThat(k8sRoutes.server().listen().port()).isEqualTo(defaults.listen().port());
        assertThat(k8sRoutes.server().adminListen().port()).isEqualTo(defaults.adminListen().port());
        ProxyConfig compose = ConfigReader.read(DeployFiles.read(root.resolve("deploy/compose/proxy/proxy.yaml")),
                "compose");
        assertThat(compose.server().listen().port()).isEqualTo(defaults.listen().port());
        assertThat(compose.server().adminListen().port()).isEqualTo(defaults.adminListen().port());
        // in a container the listeners must not be bound to loopback only
        for (ServerConfig s : List.of(k8sRoutes.server(), compose.server())) {
            assertThat(s.listen().host()).isEqualTo("0.0.0.0");
            assertThat(s.adminListen().host()).isEqualTo("0.0.0.0");
        }
    }

    @Test
    void theDockerfileExposesTheDefaultPortsAndRunsAsANonRootUser() {
        Set<Integer> exposed = Arrays.stream(DeployFiles.instruction(dockerfile, "EXPOSE").split("\\s+"))
                .map(p -> Integer.parseInt(p.replace("/tcp", ""))).collect(Collectors.toCollection(TreeSet::new));
        assertThat(exposed).containsExactlyInAnyOrder(defaults.listen().port(), defaults.adminListen().port());
        String user = DeployFiles.instruction(dockerfile, "USER");
        assertThat(user).matches("[0-9]+(:[0-9]+)?");
        assertThat(Integer.parseInt(user.split(":")[0])).isPositive();
        // the Deployment runs as that user (runAsNonRoot can only verify a numeric one)
        Map<String, Object> pod = map(at(manifest(root, "Deployment", "proxy"), "spec", "template", "spec"));
        assertThat(at(pod, "securityContext", "runAsUser")).isEqualTo(Integer.parseInt(user.split(":")[0]));
        assertThat(at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        // multi-stage: a build stage, and the runtime stage on a JRE
        long stages = DeployFiles.read(dockerfile).lines().filter(l -> l.startsWith("FROM ")).count();
        assertThat(stages).isEqualTo(2);
        assertThat(DeployFiles.instruction(dockerfile, "FROM")).startsWith("eclipse-temurin:17-jre");
    }

    @Test
    void theDockerfileRunsTheJarWithContainerAwareMemoryFlagsAndTheMountedConfig() {
        List<String> entrypoint = DeployFiles.execForm(dockerfile, "ENTRYPOINT");
        List<String> cmd = DeployFiles.execForm(dockerfile, "CMD");
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/proxy/proxy-server.jar");
        assertThat(entrypoint).anyMatch(f -> f.matches("-XX:MaxRAMPercentage=[0-9.]+"));
        assertThat(entrypoint).anyMatch(f -> f.matches("-XX:MaxDirectMemorySize=[0-9]+[kmg]?"));
        assertThat(entrypoint).noneMatch(f -> f.startsWith("-Xmx"));
        // the collector the benchmarks measured, whatever the pod's size would make the JVM pick
        assertThat(entrypoint).contains("-XX:+UseSerialGC");
        // with no CPU limit, the JVM (and eventLoops: 0) counts the pod's CPU request, not the node's cores
        Map<String, String> env = new HashMap<>();
        Map<String, Object> fromResource = new HashMap<>();
        for (Object e : list(container().get("env"))) {
            Object value = map(e).get("value");
            env.put((String) at(e, "name"), value == null ? null : value.toString());
            if (map(e).containsKey("valueFrom") && map(at(e, "valueFrom")).containsKey("resourceFieldRef")) {
                fromResource.put((String) at(e, "name"), at(e, "valueFrom", "resourceFieldRef", "resource"));
            } else if (map(e).containsKey("valueFrom")) {
                fromResource.put((String) at(e, "name"), at(e, "valueFrom", "fieldRef", "fieldPath"));
            }
        }
        assertThat(env.get("JAVA_TOOL_OPTIONS")).isEqualTo("-XX:ActiveProcessorCount=$(PROXY_CPUS)");
        assertThat(fromResource).containsEntry("PROXY_CPUS", "requests.cpu");
        // server.zone from the pod's zone label, for zone-aware balancing
        assertThat(fromResource).containsEntry("PROXY_ZONE", "metadata.labels['topology.kubernetes.io/zone']");
        assertThat(map(at(container(), "resources", "limits"))).doesNotContainKey("cpu");
        // the class-data archive the JVM maps at start is the one the image's training run writes
        String archive = entrypoint.stream().filter(f -> f.startsWith("-XX:SharedArchiveFile=")).findFirst()
                .orElseThrow().substring("-XX:SharedArchiveFile=".length());
        assertThat(DeployFiles.read(dockerfile)).contains("cds-train.sh " + archive + " /opt/proxy/proxy-server.jar "
                + cmd.get(cmd.indexOf("--config") + 1));
        assertThat(cmd).containsExactly("--config", "/etc/proxy/proxy.yaml");
        // the Deployment mounts the ConfigMap's proxy.yaml where CMD reads it, and does not replace the command
        Map<String, Object> container = container();
        assertThat(container).doesNotContainKeys("command", "args");
        Path config = Path.of(cmd.get(1));
        Map<String, Object> mount = volumeMount("config");
        assertThat(mount.get("mountPath")).isEqualTo(config.getParent().toString());
        assertThat(map(at(manifest(root, "ConfigMap", "proxy-config"), "data")))
                .containsKey(config.getFileName().toString());
        assertThat(at(volume("config"), "configMap", "name")).isEqualTo("proxy-config");
    }

    /**
     * The benchmarks measure the image's JVM as it runs in the pod: bench.sh's {@code IMAGE_JAVA_OPTS} and
     * footprint.sh's default flags are the ENTRYPOINT's JVM flags (less the class-data archive, which bench.sh makes
     * per target, and the temp directory) plus {@code -XX:MaxRAM=768m}, which makes
     * the JVM size its heap from that limit as it does from the pod's cgroup: the smallest pod the Dockerfile allows,
     * which the Deployment's limit is not below.
     */
    @Test
    void theBenchmarksRunTheImagesJvmFlagsInTheSmallestPodItAllows() {
        List<String> entrypoint = DeployFiles.execForm(dockerfile, "ENTRYPOINT");
        Set<String> jvmFlags = entrypoint.subList(1, entrypoint.indexOf("-jar")).stream()
                .filter(f -> !f.startsWith("-XX:SharedArchiveFile=") && !f.startsWith("-Djava.io.tmpdir="))
                .collect(Collectors.toCollection(TreeSet::new));
        // the smallest pod the Dockerfile's comment allows (768Mi), which the Deployment's limit must not be below
        assertThat(DeployFiles.read(dockerfile)).contains("keep the limit at 768Mi or more");
        String limit = (String) at(container(), "resources", "limits", "memory");
        assertThat(limit).matches("[0-9]+(Mi|Gi)");
        int limitMib = Integer.parseInt(limit.substring(0, limit.length() - 2)) * (limit.endsWith("Gi") ? 1024 : 1);
        assertThat(limitMib).isGreaterThanOrEqualTo(768);
        Set<String> expected = new TreeSet<>(jvmFlags);
        expected.add("-XX:MaxRAM=768m");
        assertThat(shellDefault(root.resolve("deploy/bench/bench.sh"), "IMAGE_JAVA_OPTS=\"", "\""))
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(shellDefault(root.resolve("deploy/bench/footprint.sh"), "JAVA_OPTS=\"${JAVA_OPTS:-", "}\""))
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /** The words of the one line of {@code script} that starts with {@code prefix}, up to {@code end}. */
    private static List<String> shellDefault(Path script, String prefix, String end) {
        List<String> lines = DeployFiles.read(script).lines().filter(l -> l.startsWith(prefix)).toList();
        assertThat(lines).as(script + ": a line starting with " + prefix).hasSize(1);
        String value = lines.get(0).substring(prefix.length());
        return List.of(value.substring(0, value.indexOf(end)).trim().split("\\s+"));
    }

    @Test
    void containerPortsProbesServicesAndScrapesUseTheProxyDefaults() {
        int traffic = defaults.listen().port();
        int admin = defaults.adminListen().port();
        Map<String, Object> container = container();
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Object p : list(container.get("ports"))) {
            ports.put((String) at(p, "name"), (Integer) at(p, "containerPort"));
        }
        assertThat(ports).containsExactlyInAnyOrderEntriesOf(Map.of("http", traffic, "admin", admin));

        assertThat(probe("livenessProbe")).containsExactly(HEALTHZ, admin);
        assertThat(probe("startupProbe")).containsExactly(HEALTHZ, admin);
        assertThat(probe("readinessProbe")).containsExactly(READYZ, admin);

        Map<String, Object> annotations = map(at(manifest(root, "Deployment", "proxy"), "spec", "template",
                "metadata", "annotations"));
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", String.valueOf(admin))
                .containsEntry("prometheus.io/path", METRICS);

        Map<String, Object> service = manifest(root, "Service", "proxy");
        assertThat(servicePort(service, ports)).containsExactly(traffic, traffic);
        Map<String, Object> adminService = manifest(root, "Service", "proxy-admin");
        assertThat(servicePort(adminService, ports)).containsExactly(admin, admin);
        Map<String, Object> podLabels = map(at(manifest(root, "Deployment", "proxy"), "spec", "template",
                "metadata", "labels"));
        assertThat(podLabels).containsAllEntriesOf(stringMap(at(service, "spec", "selector")))
                .containsAllEntriesOf(stringMap(at(adminService, "spec", "selector")));

        Map<String, Object> monitor = manifest(root, "ServiceMonitor", "proxy");
        Object endpoint = list(at(monitor, "spec", "endpoints")).get(0);
        assertThat(at(endpoint, "path")).isEqualTo(METRICS);
        assertThat(ports.get((String) at(endpoint, "port"))).isEqualTo(admin);
        assertThat(map(at(adminService, "metadata", "labels")))
                .containsAllEntriesOf(stringMap(at(monitor, "spec", "selector", "matchLabels")));
        // job="proxy", as the alert rules' ProxyDown expects
        assertThat(map(at(adminService, "metadata", "labels")).get(at(monitor, "spec", "jobLabel")))
                .isEqualTo("proxy");

        Map<String, Object> pdb = manifest(root, "PodDisruptionBudget", "proxy");
        assertThat(podLabels).containsAllEntriesOf(stringMap(at(pdb, "spec", "selector", "matchLabels")));
        Map<String, Object> hpa = manifest(root, "HorizontalPodAutoscaler", "proxy");
        assertThat(at(hpa, "spec", "scaleTargetRef", "name")).isEqualTo("proxy");
        assertThat((Integer) at(hpa, "spec", "minReplicas")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theNetworkPolicyOpensTrafficToAllAndTheAdminPortOnlyToMonitoring() {
        Map<String, Object> policy = manifest(root, "NetworkPolicy", "proxy");
        Map<String, Object> podLabels = map(at(manifest(root, "Deployment", "proxy"), "spec", "template",
                "metadata", "labels"));
        assertThat(podLabels).containsAllEntriesOf(stringMap(at(policy, "spec", "podSelector", "matchLabels")));
        Set<Object> containerPorts = new HashSet<>();
        list(container().get("ports")).forEach(p -> containerPorts.add(at(p, "name")));
        Map<Object, Object> fromByPort = new HashMap<>();
        for (Object rule : list(at(policy, "spec", "ingress"))) {
            Object from = map(rule).get("from");
            for (Object port : list(at(rule, "ports"))) {
                assertThat(containerPorts).as("a port the container names").contains(at(port, "port"));
                fromByPort.put(at(port, "port"), from == null ? "anywhere" : from);
            }
        }
        assertThat(fromByPort).containsEntry("http", "anywhere");
        assertThat(fromByPort.get("admin")).as("the admin port serves the whole config: not from anywhere")
                .isNotNull().isNotEqualTo("anywhere");
    }

    @Test
    void terminationGraceCoversThePreStopPauseAndTheDrain() {
        Map<String, Object> pod = map(at(manifest(root, "Deployment", "proxy"), "spec", "template", "spec"));
        List<Object> preStop = list(at(container(), "lifecycle", "preStop", "exec", "command"));
        assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
        Duration pause = Duration.ofSeconds(Long.parseLong(preStop.get(1).toString()));
        assertThat(pause).isPositive();
        Duration drain = k8sRoutes.server().drainGracePeriod();
        assertThat(drain).isEqualTo(defaults.drainGracePeriod());
        Duration termination = Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue());
        assertThat(termination).isGreaterThan(pause.plus(drain));
    }

    @Test
    void thePodIsLockedDown() {
        Map<String, Object> security = map(container().get("securityContext"));
        assertThat(security).containsEntry("readOnlyRootFilesystem", true)
                .containsEntry("allowPrivilegeEscalation", false);
        assertThat(list(at(security, "capabilities", "drop"))).containsExactly("ALL");
        // the JVM and Netty's native transport write to /tmp: a writable emptyDir there
        assertThat(volumeMount("tmp").get("mountPath")).isEqualTo("/tmp");
        assertThat(volume("tmp")).containsKey("emptyDir");
        Map<String, Object> resources = map(container().get("resources"));
        assertThat(map(resources.get("requests"))).containsKeys("cpu", "memory");
        assertThat(map(resources.get("limits"))).containsKey("memory");
    }

    @Test
    void composeRunsTheProxyOnItsDefaultPortsDiscoveringTheRegisteredBackends() {
        Object compose = DeployFiles.documents(root.resolve("deploy/compose.yaml")).get(0);
        Map<String, Object> services = map(at(compose, "services"));
        assertThat(services).containsKeys("etcd", "proxy", "prometheus");
        Map<String, Object> proxy = map(services.get("proxy"));
        Set<Integer> containerPorts = new TreeSet<>();
        for (Object p : list(proxy.get("ports"))) {
            String[] parts = p.toString().split(":");
            containerPorts.add(Integer.parseInt(parts[parts.length - 1]));
        }
        assertThat(containerPorts).containsExactlyInAnyOrder(defaults.listen().port(), defaults.adminListen().port());
        assertThat(list(proxy.get("volumes"))).contains("./compose/proxy:/etc/proxy:ro");
        assertThat(at(proxy, "build", "dockerfile")).isEqualTo("deploy/Dockerfile");
        Duration stopGrace = Duration.ofSeconds(Long.parseLong(proxy.get("stop_grace_period").toString()
                .replace("s", "")));
        assertThat(stopGrace).isGreaterThan(defaults.drainGracePeriod());

        // every registrar registers a backend of the compose file under the prefix the proxy follows
        ProxyConfig routes = ConfigReader.read(DeployFiles.read(root.resolve("deploy/compose/proxy/proxy.yaml")),
                "compose");
        String prefix = routes.clusters().get(0).etcdPrefix().orElseThrow();
        assertThat(routes.etcd().orElseThrow().endpoints().get(0).toString()).isEqualTo("http://etcd:2379");
        int registrars = 0;
        for (Map.Entry<String, Object> s : services.entrySet()) {
            Object command = map(s.getValue()).get("command");
            if (command instanceof List<?> words && !words.isEmpty() && "register".equals(words.get(0))) {
                registrars++;
                List<String> args = words.stream().map(Object::toString).toList();
                assertThat(args.get(args.indexOf("--prefix") + 1)).isEqualTo(prefix);
                assertThat(args.get(args.indexOf("--etcd") + 1)).isEqualTo("http://etcd:2379");
                String backend = args.get(args.indexOf("--address") + 1).split(":")[0];
                assertThat(services).as(s.getKey()).containsKey(backend);
            }
        }
        assertThat(registrars).isGreaterThanOrEqualTo(2);

        // Prometheus scrapes the admin port, under the job name the alert rules expect, with the rules loaded
        Object prometheus = DeployFiles.documents(root.resolve("deploy/compose/prometheus.yml")).get(0);
        Object job = list(at(prometheus, "scrape_configs")).get(0);
        assertThat(at(job, "job_name")).isEqualTo("proxy");
        assertThat(at(job, "metrics_path")).isEqualTo(METRICS);
        assertThat(list(at(job, "static_configs", 0, "targets")))
                .containsExactly("proxy:" + defaults.adminListen().port());
        assertThat(list(map(services.get("prometheus")).get("volumes")))
                .contains("./prometheus/proxy-alerts.yaml:/etc/prometheus/rules/proxy-alerts.yaml:ro");
    }

    @Test
    void theFleetOptionsOfComposeAndKubernetesReadTheirSharedConfigFromEtcd() {
        // compose: fleet-push writes shared.yaml where the replicas' local file says, and both read them together
        String local = DeployFiles.read(root.resolve("deploy/compose/fleet/local.yaml"));
        String shared = DeployFiles.read(root.resolve("deploy/compose/fleet/shared.yaml"));
        ProxyConfig fleet = ConfigReader.read(local, "local.yaml", shared, "shared.yaml");
        assertThat(fleet.configSource().orElseThrow().etcd().endpoints().get(0).toString())
                .isEqualTo("http://etcd:2379");
        assertThat(fleet.server().listen().port()).isEqualTo(defaults.listen().port());
        Map<String, Object> services = map(at(DeployFiles.documents(root.resolve("deploy/compose.yaml")).get(0),
                "services"));
        assertThat(list(map(services.get("fleet-push")).get("command"))).containsExactly("config", "push", "-c",
                "/etc/proxy/local.yaml", "/etc/proxy/shared.yaml");
        for (String replica : List.of("fleet-push", "fleet-1", "fleet-2")) {
            Map<String, Object> service = map(services.get(replica));
            assertThat(list(service.get("profiles"))).as(replica).containsExactly("fleet");
            assertThat(list(service.get("volumes"))).as(replica).containsExactly("./compose/fleet:/etc/proxy:ro");
        }
        assertThat(list(map(services.get("fleet-1")).get("command"))).containsExactly("--config",
                "/etc/proxy/local.yaml");

        // Kubernetes: the extra ConfigMap is a local file that names the fleet's key and listens where the probes look
        Map<String, Object> configMap = map(DeployFiles.documents(
                root.resolve("deploy/kubernetes/extras/fleet-configmap.yaml")).get(0));
        assertThat(map(configMap.get("metadata")).get("name")).isEqualTo("proxy-config");
        String podFile = (String) map(configMap.get("data")).get("proxy.yaml");
        ProxyConfig pod = ConfigReader.read(podFile, "fleet-configmap", shared, "shared.yaml");
        assertThat(pod.configSource().orElseThrow().key()).isEqualTo("/proxy/fleet/config");
        assertThat(pod.server().adminListen().port()).isEqualTo(defaults.adminListen().port());
        assertThat(pod.configSource().orElseThrow().etcd().snapshotFile().orElseThrow().toString()).startsWith("/tmp/");
    }

    private Map<String, Object> container() {
        return map(at(manifest(root, "Deployment", "proxy"), "spec", "template", "spec", "containers", 0));
    }

    private Map<String, Object> volumeMount(String name) {
        return list(container().get("volumeMounts")).stream().map(DeployFiles::map)
                .filter(m -> name.equals(m.get("name"))).findFirst().orElseThrow();
    }

    private Map<String, Object> volume(String name) {
        return list(at(manifest(root, "Deployment", "proxy"), "spec", "template", "spec", "volumes")).stream()
                .map(DeployFiles::map).filter(m -> name.equals(m.get("name"))).findFirst().orElseThrow();
    }

    /** A probe's path and the container port number it targets (the port is given by name). */
    private List<Object> probe(String kind) {
        Map<String, Object> get = map(at(container(), kind, "httpGet"));
        return List.of(get.get("path"), containerPort(get.get("port")));
    }

    private int containerPort(Object port) {
        if (port instanceof Integer i) {
            return i;
        }
        for (Object p : list(container().get("ports"))) {
            if (port.equals(at(p, "name"))) {
                return (Integer) at(p, "containerPort");
            }
        }
        throw new AssertionError("no container port named " + port);
    }

    /** The Service's single port and the container port its targetPort names. */
    private static List<Integer> servicePort(Map<String, Object> service, Map<String, Integer> containerPorts) {
        List<Object> ports = list(at(service, "spec", "ports"));
        assertThat(ports).hasSize(1);
        Object target = at(ports.get(0), "targetPort");
        int targetPort = target instanceof Integer i ? i : containerPorts.get((String) target);
        return List.of((Integer) at(ports.get(0), "port"), targetPort);
    }

    private static Map<String, String> stringMap(Object o) {
        Map<String, String> result = new LinkedHashMap<>();
        map(o).forEach((k, v) -> result.put(k, String.valueOf(v)));
        return result;
    }
}
