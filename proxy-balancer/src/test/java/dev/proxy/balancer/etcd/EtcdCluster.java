package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real etcd members (the {@code etcd} binary of Debian's {@code etcd-server}) on free loopback ports, each with a
 * data directory under one temp dir: one member, or three for failover. Members are stopped and started by process,
 * and a restarted member keeps its data. Close it (e.g. with {@code Closer}) to kill every member and delete the
 * data. Not thread-safe.
 */
public final class EtcdCluster implements AutoCloseable {
    private static final String BINARY = findBinary();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final int[] clientPorts;
    private final int[] peerPorts;
    private final Process[] processes;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private Client client;

    private EtcdCluster(int members) throws IOException {
        if (BINARY == null) {
            throw new IllegalStateException("no etcd binary: install Debian's etcd-server (.ci/run does) or set "
                    + "ETCD_BINARY");
        }
        this.dir = Files.createTempDirectory("etcd-test");
        this.clientPorts = new int[members];
        this.peerPorts = new int[members];
        this.processes = new Process[members];
        this.token = "t" + Long.toHexString(System.nanoTime());
        for (int i = 0; i < members; i++) {
            clientPorts[i] = freePort();
            peerPorts[i] = freePort();
        }
    }

    /** One member, started and healthy. */
    public static EtcdCluster single() throws Exception {
        EtcdCluster c = new EtcdCluster(1);
        c.startAll();
        return c;
    }

    /** Three members, started and healthy. */
    public static EtcdCluster three() throws Exception {
        EtcdCluster c = new EtcdCluster(3);
        c.startAll();
        return c;
    }

    private static String findBinary() {
        String configured = System.getenv("ETCD_BINARY");
        if (configured != null && Files.isExecutable(Path.of(configured))) {
            return configured;
        }
        for (String candidate : List.of("/usr/bin/etcd", "/usr/local/bin/etcd")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts every member that is not running and waits until each reports healthy. */
    public void startAll() throws Exception {
        for (int i = 0; i < processes.length; i++) {
            if (processes[i] == null || !processes[i].isAlive()) {
                launch(i);
            }
        }
        for (int i = 0; i < processes.length; i++) {
            awaitHealthy(i);
        }
    }

    /** Starts member {@code i} again (with its data) and waits until it is healthy. */
    public void start(int i) throws Exception {
        launch(i);
        awaitHealthy(i);
    }

    private void launch(int i) throws IOException {
        String name = "m" + i;
        String initialCluster = java.util.stream.IntStream.range(0, processes.length)
                .mapToObj(j -> "m" + j + "=http://127.0.0.1:" + peerPorts[j])
                .collect(Collectors.joining(","));
        Path data = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of(BINARY,
                "--name", name,
                "--data-dir", data.toString(),
                "--listen-client-urls", "http://127.0.0.1:" + clientPorts[i],
                "--advertise-client-urls", "http://127.0.0.1:" + clientPorts[i],
                "--listen-peer-urls", "http://127.0.0.1:" + peerPorts[i],
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPorts[i],
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", token,
                "--initial-cluster-state", "new",
                "--heartbeat-interval", "10",
                "--election-timeout", "100",
                "--logger", "zap",
                "--log-outputs", dir.resolve(name + ".log").toString()));
        processes[i] = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".out").toFile()))
                .start();
    }

    private void awaitHealthy(int i) throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + clientPorts[i] + "/health"))
                .timeout(Duration.ofSeconds(1)).build();
        while (System.nanoTime() < deadline) {
            if (!processes[i].isAlive()) {
                throw new IllegalStateException("etcd member m" + i + " exited with " + processes[i].exitValue()
                        + ": " + tail(i));
            }
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("etcd member m" + i + " not healthy within " + READY_TIMEOUT + ": "
                + tail(i));
    }

    private String tail(int i) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("m" + i + ".log"), UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops member {@code i} the hard way ({@code kill -9}) and waits for it to be gone. */
    public void kill(int i) throws InterruptedException {
        Process p = processes[i];
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Stops every member ({@code kill -9}); their data stays for {@link #startAll}. */
    public void killAll() throws InterruptedException {
        for (int i = 0; i < processes.length; i++) {
            kill(i);
        }
    }

    /** The index of the member that is the Raft leader now, as the members themselves report it. */
    public int leader() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < processes.length; i++) {
                if (processes[i] == null || !processes[i].isAlive()) {
                    continue;
                }
                try {
                    var status = client().getMaintenanceClient().statusMember("http://127.0.0.1:" + clientPorts[i])
                            .orTimeout(5, TimeUnit.SECONDS).join();
                    if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
                        return i;
                    }
                } catch (RuntimeException e) {
                    // that member does not answer: ask the next
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no etcd member reports itself the leader within " + READY_TIMEOUT);
    }

    /** The client URL of each member. */
    public List<URI> clientUrls() {
        List<URI> urls = new ArrayList<>();
        for (int port : clientPorts) {
            urls.add(URI.create("http://127.0.0.1:" + port));
        }
        return urls;
    }

    /** The client URLs as the YAML list of {@code discovery.etcd.endpoints}. */
    public String yamlEndpoints() {
        return clientUrls().stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    /** A jetcd client for the test's own writes, created on first use and closed with the cluster. */
    public Client client() {
        if (client == null) {
            client = Client.builder().endpoints(clientUrls()).build();
        }
        return client;
    }

    public void put(String key, String value) {
        retrying(() -> client().getKVClient().put(bytes(key), bytes(value)).orTimeout(5, TimeUnit.SECONDS).join());
    }

    /**
     * Runs an idempotent call again when it fails: a call to a member that was just killed can hang until its
     * timeout while the others already have a new leader.
     */
    private static void retrying(Runnable call) {
        for (int attempt = 1; ; attempt++) {
            try {
                call.run();
                return;
            } catch (RuntimeException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** Puts {@code value} under a new lease of {@code ttlSeconds}; returns the lease. */
    public long putWithLease(String key, String value, long ttlSeconds) {
        long lease = client().getLeaseClient().grant(ttlSeconds).orTimeout(10, TimeUnit.SECONDS).join().getID();
        client().getKVClient().put(bytes(key), bytes(value), PutOption.builder().withLeaseId(lease).build())
                .orTimeout(10, TimeUnit.SECONDS).join();
        return lease;
    }

    public void revoke(long lease) {
        client().getLeaseClient().revoke(lease).orTimeout(10, TimeUnit.SECONDS).join();
    }

    public void delete(String key) {
        retrying(() -> client().getKVClient().delete(bytes(key)).orTimeout(5, TimeUnit.SECONDS).join());
    }

    /** Compacts the store up to its current revision: every older revision is gone for watchers. */
    public long compact() {
        long revision = client().getKVClient().get(bytes("/")).orTimeout(10, TimeUnit.SECONDS).join()
                .getHeader().getRevision();
        client().getKVClient().compact(revision).orTimeout(10, TimeUnit.SECONDS).join();
        return revision;
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        killAll();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
