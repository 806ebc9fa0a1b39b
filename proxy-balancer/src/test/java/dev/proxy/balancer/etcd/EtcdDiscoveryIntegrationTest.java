package dev.proxy.balancer.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.balancer.Balancers;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.Endpoint;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** etcd discovery through the running proxy, against real etcd members and real backends. */
class EtcdDiscoveryIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    @RegisterExtension
    final Closer closer = new Closer();

    @TempDir
    Path temp;

    private static String config(List<URI> etcd, String extra) {
        return """
                discovery:
                  etcd:
                    endpoints: [%s]
                    requestTimeout: 1s
                %s
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: users
                """.formatted(etcd.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(", ")), extra);
    }

    /** A proxy following etcd at {@code etcd}; the source is closed before the proxy. */
    private Running proxy(List<URI> etcd, String extra) throws Exception {
        TestProxy proxy = closer.keep(TestProxy.start(config(etcd, extra), Balancers.factory()));
        EtcdEndpointSource source = closer.keep(EtcdEndpointSource.of(proxy.server().snapshot().config()).orElseThrow());
        source.start(proxy.server());
        return new Running(proxy, source);
    }

    private record Running(TestProxy proxy, EtcdEndpointSource source) {
        Set<String> endpoints() {
            return proxy.server().snapshot().clusters().get("users").endpoints().stream()
                    .map(Endpoint::toString).collect(Collectors.toSet());
        }

        /** Who answers {@code n} requests in a row; every one must succeed. */
        Set<String> served(int n) throws Exception {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < n; i++) {
                HttpResponse<String> r = proxy.get("/");
                assertThat(r.statusCode()).as("request %d: %s", i, r.headers().map()).isEqualTo(200);
                names.add(r.body());
            }
            return names;
        }

        void awaitEndpoints(String... addresses) {
            await().atMost(BOUND).untilAsserted(() -> assertThat(endpoints()).containsExactlyInAnyOrder(addresses));
        }
    }

    private TestBackend backend(String name) throws InterruptedException {
        return closer.keep(TestBackend.http(TestBackend.ok(name)));
    }

    private static String value(TestBackend b) {
        return "{\"address\":\"" + b.address() + "\",\"weight\":1,\"zone\":\"a\",\"metadata\":{\"v\":\"1\"}}";
    }

    @Test
    void aRegistrationReceivesTrafficAndLeaseExpiryOrRevokeRemovesIt() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        Running running = proxy(etcd.clientUrls(), "");
        // no endpoints yet: a clear 503, not a hang
        await().atMost(BOUND).until(() -> running.source().status().synced());
        assertThat(running.proxy().get("/").statusCode()).isEqualTo(503);

        etcd.putWithLease("/services/users/" + a.address(), value(a), 60);
        long bLease = etcd.putWithLease("/services/users/" + b.address(), value(b), 60);
        running.awaitEndpoints(a.address(), b.address());
        assertThat(running.served(6)).containsExactlyInAnyOrder("a", "b");

        // a lease that is never kept alive: the registration of a process that died
        etcd.putWithLease("/services/users/" + c.address(), value(c), 3);
        await().atMost(BOUND).until(() -> running.endpoints().contains(c.address()));
        running.awaitEndpoints(a.address(), b.address());
        etcd.revoke(bLease);
        running.awaitEndpoints(a.address());
        assertThat(running.served(4)).containsExactly("a");
        DiscoveryStatus status = running.source().status();
        assertThat(status.connected()).isTrue();
        assertThat(status.stale()).isFalse();
        assertThat(status.endpoints()).containsEntry("users", 1);
        assertThat(status.updatesApplied()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void theGoNamingFormatIsReadAndUndecodableValuesAreSkipped() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend go = backend("go");
        TestBackend ours = backend("ours");
        // what go.etcd.io/etcd/client/v3/naming/endpoints' AddEndpoint writes under <prefix>/<addr>
        etcd.put("/services/users/" + go.address(), "{\"Op\":0,\"Addr\":\"" + go.address()
                + "\",\"Metadata\":{\"weight\":3}}");
        etcd.put("/services/users/garbage", "not json at all");
        etcd.put("/services/users/no-address", "{\"weight\":2}");
        Running running = proxy(etcd.clientUrls(), "");
        running.awaitEndpoints(go.address());
        assertThat(running.proxy().server().snapshot().clusters().get("users").endpoints().get(0).weight())
                .isEqualTo(3);
        assertThat(running.source().status().decodeErrors()).isEqualTo(2);

        etcd.put("/services/users/ours", value(ours));
        running.awaitEndpoints(go.address(), ours.address());
        assertThat(running.served(6)).containsExactlyInAnyOrder("go", "ours");
        // a registration overwritten with garbage no longer stands for its old endpoint
        etcd.put("/services/users/ours", "{\"address\":\"nohost\"}");
        running.awaitEndpoints(go.address());
        assertThat(running.source().status().decodeErrors()).isEqualTo(3);
    }

    /** etcd reached through a path the test can cut; a and b are registered and served, c is not yet. */
    private record Behind(EtcdCluster etcd, TcpRelay path, Running running, TestBackend a, TestBackend b,
                          TestBackend c) {
    }

    private Behind behindRelay() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TcpRelay path = closer.keep(new TcpRelay(etcd.clientUrls().get(0)));
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        TestBackend c = backend("c");
        etcd.put("/services/users/a", value(a));
        etcd.put("/services/users/b", value(b));
        Running running = proxy(List.of(path.uri()), "");
        running.awaitEndpoints(a.address(), b.address());
        return new Behind(etcd, path, running, a, b, c);
    }

    @Test
    void etcdGoneKeepsTheKnownEndpointsServingAndEveryChangeMadeMeanwhileIsAppliedOnReconnect() throws Exception {
        Behind r = behindRelay();

        r.etcd().killAll();
        await().atMost(BOUND).until(() -> r.running().source().status().stale());
        assertThat(r.running().served(10)).containsExactlyInAnyOrder("a", "b");

        // etcd comes back with its data, but the proxy cannot reach it yet: the changes happen behind its back
        r.path().cut();
        r.etcd().startAll();
        r.etcd().delete("/services/users/a");
        r.etcd().put("/services/users/c", value(r.c()));
        r.etcd().put("/services/users/b", "{\"address\":\"" + r.b().address() + "\",\"weight\":5}");
        assertThat(r.running().served(4)).containsExactlyInAnyOrder("a", "b");

        r.path().restore();
        r.running().awaitEndpoints(r.b().address(), r.c().address());
        await().atMost(BOUND).until(() -> r.running().source().status().connected());
        assertThat(r.running().proxy().server().snapshot().clusters().get("users").endpoints())
                .extracting(Endpoint::weight).containsExactlyInAnyOrder(5, 1);
        assertThat(r.running().served(12)).containsExactlyInAnyOrder("b", "c");
    }

    @Test
    void compactionPastTheProxysRevisionWhileItIsAwayEndsInAFreshListing() throws Exception {
        Behind r = behindRelay();

        r.path().cut();
        await().atMost(BOUND).until(() -> r.running().source().status().stale());
        r.etcd().delete("/services/users/b");
        r.etcd().put("/services/users/c", value(r.c()));
        r.etcd().put("/services/users/d", "{\"address\":\"127.0.0.1:1\"}");
        r.etcd().delete("/services/users/d");
        r.etcd().put("/unrelated/key", "x");
        r.etcd().compact();

        r.path().restore();
        r.running().awaitEndpoints(r.a().address(), r.c().address());
        assertThat(r.running().served(8)).containsExactlyInAnyOrder("a", "c");
    }

    @Test
    void killingOneMemberOfThreeInterruptsNeitherTrafficNorDiscovery() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.three());
        TestBackend a = backend("a");
        etcd.put("/services/users/a", value(a));
        Running running = proxy(etcd.clientUrls(), "");
        running.awaitEndpoints(a.address());
        Set<String> expected = new HashSet<>(Set.of(a.address()));
        // whichever member the proxy's watch is on, one of these kills hits it
        for (int member = 0; member < 3; member++) {
            etcd.kill(member);
            TestBackend next = backend("n" + member);
            etcd.put("/services/users/n" + member, value(next));
            expected.add(next.address());
            running.awaitEndpoints(expected.toArray(String[]::new));
            assertThat(running.served(6)).hasSize(Math.min(6, expected.size()));
            etcd.start(member);
        }
        assertThat(running.source().status().connected()).isTrue();
    }

    @Test
    void aProxyStartedWhileEtcdIsDownServesTheEndpointsOfItsSnapshotFile() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend a = backend("a");
        etcd.put("/services/users/a", value(a));
        Path snapshot = temp.resolve("state/endpoints.json");
        String extra = "    snapshotFile: " + snapshot;
        Running first = proxy(etcd.clientUrls(), extra);
        first.awaitEndpoints(a.address());
        await().atMost(BOUND).until(() -> Files.exists(snapshot) && Files.readString(snapshot).contains(a.address()));
        first.source().close();
        first.proxy().close();

        etcd.killAll();
        Running second = proxy(etcd.clientUrls(), extra);
        second.awaitEndpoints(a.address());
        assertThat(second.served(3)).containsExactly("a");
        assertThat(second.source().status().synced()).isTrue();
        assertThat(second.source().status().stale()).isTrue();
    }

    @Test
    void aThousandEndpointsRegisteredAndChurnedEndInTheExactMembership() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend real = backend("real");
        etcd.put("/services/users/real", value(real));
        Running running = proxy(etcd.clientUrls(), "");
        running.awaitEndpoints(real.address());

        Set<String> expected = new HashSet<>(Set.of(real.address()));
        long started = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            // addresses in a private range no test sends to: membership is what is checked here
            String address = "10.1." + (i / 250) + "." + (i % 250 + 1) + ":8080";
            etcd.put("/services/users/e" + i, "{\"address\":\"" + address + "\"}");
            expected.add(address);
        }
        for (int i = 0; i < 1000; i += 2) {
            etcd.delete("/services/users/e" + i);
            expected.remove("10.1." + (i / 250) + "." + (i % 250 + 1) + ":8080");
        }
        for (int i = 1; i < 1000; i += 10) {
            String address = "10.2.0." + (i / 10 + 1) + ":9090";
            etcd.put("/services/users/e" + i, "{\"address\":\"" + address + "\",\"weight\":2}");
            expected.remove("10.1." + (i / 250) + "." + (i % 250 + 1) + ":8080");
            expected.add(address);
        }
        running.awaitEndpoints(expected.toArray(String[]::new));
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(expected).hasSize(501);
        DiscoveryStatus status = running.source().status();
        // recorded, not asserted: the update cost on this machine (2 shared cores)
        System.out.printf("1000 registered, 500 removed, 100 moved: converged in %d ms with %d endpoint-set updates%n",
                tookMillis, status.updatesApplied());
        assertThat(status.endpoints()).containsEntry("users", 501);
    }

    @Test
    void anEndpointThatStaysKeepsItsPoolWhenOthersComeAndGo() throws Exception {
        EtcdCluster etcd = closer.keep(EtcdCluster.single());
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        etcd.put("/services/users/a", value(a));
        Running running = proxy(etcd.clientUrls(), "");
        running.awaitEndpoints(a.address());
        assertThat(running.served(3)).containsExactly("a");
        var poolBefore = running.proxy().server().snapshot().clusters().get("users")
                .pool(new Endpoint(HostPort.parse(a.address()), 1));
        etcd.put("/services/users/b", value(b));
        running.awaitEndpoints(a.address(), b.address());
        assertThat(running.served(4)).containsExactlyInAnyOrder("a", "b");
        var poolAfter = running.proxy().server().snapshot().clusters().get("users")
                .pool(new Endpoint(HostPort.parse(a.address()), 1));
        assertThat(poolAfter).isSameAs(poolBefore);
        // the keep-alive connection to a was reused, not opened again
        assertThat(a.acceptedConnections()).isEqualTo(1);
    }
}
