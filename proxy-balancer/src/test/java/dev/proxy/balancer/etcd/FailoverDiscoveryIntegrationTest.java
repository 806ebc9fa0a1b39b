package dev.proxy.balancer.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.balancer.Balancers;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.core.Endpoint;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Discovery from a primary etcd with a fallback, against two real etcd processes: the primary's sets while it
 * answers, the fallback's once it has been away for failoverAfter, the primary's again (and only its) once it is back.
 */
class FailoverDiscoveryIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @RegisterExtension
    final Closer closer = new Closer();

    private static String value(TestBackend b) {
        return "{\"address\":\"" + b.address() + "\"}";
    }

    @Test
    void servesTheFallbackWhileThePrimaryIsAwayAndReconcilesWhenItReturns() throws Exception {
        EtcdCluster primary = closer.keep(EtcdCluster.single());
        EtcdCluster secondary = closer.keep(EtcdCluster.single());
        TestBackend onBoth = closer.keep(TestBackend.http(TestBackend.ok("both")));
        TestBackend onPrimary = closer.keep(TestBackend.http(TestBackend.ok("primary")));
        TestBackend onFallback = closer.keep(TestBackend.http(TestBackend.ok("fallback")));
        TestBackend lateOnFallback = closer.keep(TestBackend.http(TestBackend.ok("late")));
        primary.put("/services/users/both", value(onBoth));
        primary.put("/services/users/p", value(onPrimary));
        secondary.put("/services/users/both", value(onBoth));
        secondary.put("/services/users/f", value(onFallback));

        TestProxy proxy = closer.keep(TestProxy.start("""
                discovery:
                  etcd:
                    endpoints: %s
                    requestTimeout: 1s
                    fallback:
                      endpoints: %s
                      requestTimeout: 1s
                      failoverAfter: 1s
                      failbackAfter: 1s
                clusters:
                  - name: users
                    discovery: { etcd: { prefix: /services/users/ } }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: users
                """.formatted(primary.yamlEndpoints(), secondary.yamlEndpoints()), Balancers.factory()));
        EndpointSource source = closer.keep(FailoverEndpointSource.of(proxy.server().snapshot().config())
                .orElseThrow());
        assertThat(source).isInstanceOf(FailoverEndpointSource.class);
        source.start(proxy.server());
        await().atMost(BOUND).until(() -> endpoints(proxy).equals(Set.of(onBoth.address(), onPrimary.address())));
        assertThat(source.status().onFallback()).isFalse();

        primary.killAll();
        await().atMost(BOUND).until(() -> endpoints(proxy).equals(Set.of(onBoth.address(), onFallback.address())));
        assertThat(source.status().onFallback()).isTrue();
        assertThat(source.status().connected()).isTrue();
        assertThat(proxy.get("/").statusCode()).isEqualTo(200);

        // while it serves, the fallback's changes apply
        secondary.put("/services/users/late", value(lateOnFallback));
        await().atMost(BOUND).until(() -> endpoints(proxy).contains(lateOnFallback.address()));

        // the primary returns: its set alone is served again, and what only the fallback had leaves
        primary.startAll();
        await().atMost(BOUND).until(() -> endpoints(proxy).equals(Set.of(onBoth.address(), onPrimary.address())));
        assertThat(source.status().onFallback()).isFalse();
        assertThat(((FailoverEndpointSource) source).switches()).isGreaterThanOrEqualTo(2);
    }

    private static Set<String> endpoints(TestProxy proxy) {
        return proxy.server().snapshot().clusters().get("users").endpoints().stream().map(Endpoint::toString)
                .collect(Collectors.toSet());
    }
}
