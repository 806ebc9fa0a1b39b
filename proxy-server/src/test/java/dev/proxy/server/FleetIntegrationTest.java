package dev.proxy.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.balancer.etcd.EtcdCluster;
import dev.proxy.balancer.etcd.TcpRelay;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.server.fleet.ConfigCommand;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A fleet on one config in etcd: real etcd members (Debian's etcd), replicas as in-process {@link ProxyApp}s started
 * from their local files as {@code Main} starts them ({@link LoadedConfig}), and the real {@code proxy config}
 * command line ({@link ConfigCommand}) in-process. A push reaches every replica with no failed request; an invalid
 * value put behind the command line's back is refused by every replica; a replica cut off from etcd while the
 * history is compacted lists again and converges; one started with etcd down serves its cache; and one replica in a
 * JVM of its own ({@link ChildJvm}, the real {@code Main}) starts from etcd and follows a push.
 */
class FleetIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final String KEY = "/proxy/fleet/config";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A replica's local file: listeners on free ports, the fleet's etcd, its own cache file. */
    private Path local(String name, List<URI> etcd) throws IOException {
        String endpoints = etcd.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", ", "[", "]"));
        return Files.writeString(dir.resolve(name + ".yaml"), """
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                observability:
                  accessLog: { enabled: false }
                configSource:
                  etcd:
                    endpoints: %s
                    prefix: /proxy/fleet
                    requestTimeout: 1s
                    snapshotFile: %s
                """.formatted(endpoints, dir.resolve(name + "-cache.yaml")), UTF_8);
    }

    /** The shared document: every request to the cluster of {@code backend}. */
    private Path document(String name, TestBackend backend) throws IOException {
        return Files.writeString(dir.resolve(name + ".yaml"), """
                clusters:
                  - name: app
                    endpoints: [ { address: "%s" } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(backend.address()), UTF_8);
    }

    private static int cli(String... args) {
        return new CommandLine(new ConfigCommand()).execute(args);
    }

    private ProxyApp replica(Path local) throws Exception {
        return closer.keep(ProxyApp.start(LoadedConfig.read(local), false));
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String served(ProxyApp app) throws IOException, InterruptedException {
        return get(app.proxy().address().getPort(), "/").body();
    }

    private JsonNode config(ProxyApp app) throws IOException, InterruptedException {
        return JSON.readTree(get(app.admin().address().getPort(), "/config").body());
    }

    private String admin(ProxyApp app, String path) throws IOException, InterruptedException {
        return get(app.admin().address().getPort(), path).body();
    }

    /** The key's revision; asked again while a member the client tried first is gone. */
    private static long revision(EtcdCluster etcd) {
        for (int attempt = 1; ; attempt++) {
            try {
                List<KeyValue> kvs = etcd.client().getKVClient().get(ByteSequence.from(KEY, UTF_8))
                        .orTimeout(10, TimeUnit.SECONDS).join().getKvs();
                return kvs.isEmpty() ? 0 : kvs.get(0).getModRevision();
            } catch (RuntimeException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** etcd, two backends answering {@code one} and {@code two}, and the fleet's document pushed: all to {@code one}. */
    private record Fleet(EtcdCluster etcd, TestBackend one, TestBackend two, Path operator) {
    }

    private Fleet fleet(EtcdCluster etcd) throws Exception {
        closer.keep(etcd);
        TestBackend one = closer.keep(TestBackend.http(TestBackend.ok("one")));
        TestBackend two = closer.keep(TestBackend.http(TestBackend.ok("two")));
        Path operator = local("operator", etcd.clientUrls());
        // the first push of all: the key must still be empty
        assertThat(cli("push", "--config", operator.toString(), "--expect-revision", "0",
                document("v1", one).toString())).isZero();
        return new Fleet(etcd, one, two, operator);
    }

    @Test
    void pushesReachEveryReplicaWithNoFailedRequestEvenWithTheLeaderKilledAndAStaleRevisionIsRefused()
            throws Exception {
        Fleet f = fleet(EtcdCluster.three());
        EtcdCluster etcd = f.etcd();
        TestBackend one = f.one();
        TestBackend two = f.two();
        Path operator = f.operator();
        List<ProxyApp> replicas = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replicas.add(replica(local("replica-" + i, etcd.clientUrls())));
        }
        for (ProxyApp r : replicas) {
            assertThat(served(r)).isEqualTo("one");
        }

        LoadGenerator load = LoadGenerator.start(6, i -> URI.create("http://127.0.0.1:"
                + replicas.get(i % replicas.size()).proxy().address().getPort() + "/x"));
        long pushed;
        try (load) {
            load.awaitMore(100);
            long v1 = revision(etcd);
            assertThat(cli("push", "--config", operator.toString(), "--expect-revision", Long.toString(v1),
                    document("v2", two).toString())).isZero();
            pushed = revision(etcd);
            for (ProxyApp r : replicas) {
                await().atMost(BOUND).until(() -> served(r).equals("two"));
            }
            load.awaitMore(100);

            // a second operator still at v1's revision: refused, nothing written
            assertThat(cli("push", "--config", operator.toString(), "--expect-revision", Long.toString(v1),
                    document("v3", one).toString())).isEqualTo(3);
            assertThat(revision(etcd)).isEqualTo(pushed);

            // the Raft leader dies just before the next push: a new one is elected, the replicas' watches on the dead
            // member resume on another, and the push lands (an operator runs it again if it met the election)
            etcd.kill(etcd.leader());
            int code = 1;
            for (int attempt = 0; attempt < 5 && code == 1; attempt++) {
                code = cli("push", "--config", operator.toString(), document("v3", one).toString());
            }
            assertThat(code).isZero();
            pushed = revision(etcd);
            for (ProxyApp r : replicas) {
                await().atMost(BOUND).until(() -> served(r).equals("one"));
            }
            load.awaitMore(100);
        }
        assertThat(load.failures()).isEmpty();

        List<String> hashes = new ArrayList<>();
        for (ProxyApp r : replicas) {
            JsonNode c = config(r);
            assertThat(c.at("/configSource/appliedRevision").asLong()).isEqualTo(pushed);
            assertThat(c.at("/lastReload/trigger").asText()).isEqualTo("etcd");
            hashes.add(c.get("hash").asText());
            assertThat(admin(r, "/metrics")).contains("proxy_config_info{hash=\"" + c.get("hash").asText() + "\"} 1",
                    "proxy_config_source_revision " + pushed + ".0", "proxy_config_source_stale 0.0");
        }
        assertThat(hashes).hasSize(3).containsOnly(hashes.get(0)).allSatisfy(h -> assertThat(h).hasSize(12));
        assertThat(served(replicas.get(0))).isEqualTo("one");
    }

    @Test
    void anInvalidValuePutDirectlyIsRefusedByEveryReplicaWhichKeepsServingAndSaysSo() throws Exception {
        Fleet f = fleet(EtcdCluster.single());
        EtcdCluster etcd = f.etcd();
        TestBackend one = f.one();
        TestBackend two = f.two();
        Path operator = f.operator();
        List<ProxyApp> replicas = List.of(replica(local("a", etcd.clientUrls())), replica(local("b", etcd.clientUrls())));
        String goodHash = config(replicas.get(0)).get("hash").asText();

        // the command line refuses it, so it is put behind its back
        Path bad = Files.writeString(dir.resolve("bad.yaml"), """
                clusters:
                  - name: app
                    endpoints: [ { address: "%s" } ]
                routes:
                  - name: all
                    cluster: nowhere
                    retry: { attempts: 0 }
                """.formatted(two.address()), UTF_8);
        assertThat(cli("push", "--config", operator.toString(), bad.toString())).isEqualTo(2);
        etcd.put(KEY, Files.readString(bad, UTF_8));
        long badRevision = revision(etcd);

        for (ProxyApp r : replicas) {
            await().atMost(BOUND).until(() -> config(r).at("/configSource/rejectedRevision").asLong() == badRevision);
            JsonNode c = config(r);
            assertThat(c.at("/lastReload/outcome").asText()).isEqualTo("rejected");
            assertThat(c.at("/lastReload/problems")).hasSize(2);
            assertThat(c.get("hash").asText()).isEqualTo(goodHash);
            assertThat(served(r)).isEqualTo("one");
            assertThat(admin(r, "/metrics")).contains("proxy_config_source_rejected 1.0",
                    "proxy_config_reloads_total{result=\"failure\"} 1.0");
        }

        // a replica restarted now finds the invalid version in etcd: it serves its cache and says why
        replicas.get(1).stop(Duration.ZERO);
        ProxyApp restarted = replica(local("b", etcd.clientUrls()));
        assertThat(served(restarted)).isEqualTo("one");
        assertThat(config(restarted).at("/configSource/origin").asText()).isEqualTo("cache");
        assertThat(config(restarted).at("/configSource/rejectedRevision").asLong()).isEqualTo(badRevision);
        assertThat(admin(restarted, "/readyz")).contains("degraded: config source serving the cached revision",
                "(revision " + badRevision + " in etcd is rejected)");

        assertThat(cli("push", "--config", operator.toString(), document("v2", two).toString())).isZero();
        for (ProxyApp r : List.of(replicas.get(0), restarted)) {
            await().atMost(BOUND).until(() -> served(r).equals("two"));
            assertThat(config(r).at("/configSource/rejectedRevision").isNull()).isTrue();
        }
        assertThat(admin(restarted, "/readyz")).isEqualTo("ready\n");
    }

    @Test
    void aReplicaCutOffWhileTheHistoryIsCompactedConvergesAndOneStartedWithEtcdDownServesItsCache()
            throws Exception {
        Fleet f = fleet(EtcdCluster.single());
        EtcdCluster etcd = f.etcd();
        TestBackend two = f.two();
        Path operator = f.operator();
        TcpRelay path = closer.keep(new TcpRelay(etcd.clientUrls().get(0)));
        TestBackend three = closer.keep(TestBackend.http(TestBackend.ok("three")));
        Path replicaFile = local("replica", List.of(path.uri()));
        ProxyApp replica = replica(replicaFile);
        assertThat(served(replica)).isEqualTo("one");

        path.cut();
        await().atMost(BOUND).until(() -> admin(replica, "/readyz").contains("degraded: config source stale"));
        assertThat(cli("push", "--config", operator.toString(), document("v2", two).toString())).isZero();
        assertThat(cli("push", "--config", operator.toString(), document("v3", three).toString())).isZero();
        etcd.compact();
        assertThat(served(replica)).isEqualTo("one");

        path.restore();
        await().atMost(BOUND).until(() -> served(replica).equals("three"));
        await().atMost(BOUND).until(() -> admin(replica, "/readyz").equals("ready\n"));
        assertThat(config(replica).at("/configSource/appliedRevision").asLong()).isEqualTo(revision(etcd));

        // the history now starts after the compaction: only v3 is left
        assertThat(cli("rollback", "--config", operator.toString(), "2")).isEqualTo(1);

        replica.stop(Duration.ZERO);
        etcd.killAll();
        ProxyApp restarted = replica(replicaFile);
        assertThat(served(restarted)).isEqualTo("three");
        assertThat(admin(restarted, "/readyz")).startsWith("ready, degraded: config source stale");
        assertThat(config(restarted).at("/configSource/origin").asText()).isEqualTo("cache");

        etcd.startAll();
        await().atMost(BOUND).until(() -> admin(restarted, "/readyz").equals("ready\n"));
        assertThat(config(restarted).at("/configSource/origin").asText()).isEqualTo("etcd");
    }

    @Test
    void aReplicaInAProcessOfItsOwnStartsFromEtcdAndFollowsPushes() throws Exception {
        Fleet f = fleet(EtcdCluster.single());
        EtcdCluster etcd = f.etcd();
        TestBackend one = f.one();
        TestBackend two = f.two();
        Path operator = f.operator();
        int[] ports = Loopback.freePorts(2);
        Path local = Files.writeString(dir.resolve("process.yaml"), Files.readString(local("tmp", etcd.clientUrls()))
                .replace("listen: 127.0.0.1:0\n", "listen: 127.0.0.1:" + ports[0] + "\n")
                .replace("admin: { listen: 127.0.0.1:0 }", "admin: { listen: 127.0.0.1:" + ports[1] + " }"), UTF_8);
        ChildJvm replica = closer.keep(ChildJvm.start(dir, List.of("-Xmx256m"), "--config", local.toString()));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            assertThat(replica.isAlive()).as("replica exited early\n%s", replica.output()).isTrue();
            assertThat(Loopback.status(ports[1], "/readyz")).hasValue(200);
        });
        assertThat(get(ports[0], "/").body()).isEqualTo("one");

        assertThat(cli("push", "--config", operator.toString(), document("v2", two).toString())).isZero();
        await().atMost(BOUND).until(() -> get(ports[0], "/").body().equals("two"));
        JsonNode config = JSON.readTree(get(ports[1], "/config").body());
        assertThat(config.at("/configSource/appliedRevision").asLong()).isEqualTo(revision(etcd));
        assertThat(config.at("/lastReload/trigger").asText()).isEqualTo("etcd");
    }
}
