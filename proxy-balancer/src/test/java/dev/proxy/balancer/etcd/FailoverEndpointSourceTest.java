package dev.proxy.balancer.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSink;
import dev.proxy.core.discovery.EndpointSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The failover rule on a fake clock, with sources the test drives: when to switch, and which set is served. */
class FailoverEndpointSourceTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Fake primary = new Fake();
    private final Fake fallback = new Fake();
    private final Map<String, List<EndpointConfig>> served = new HashMap<>();
    private final List<String> applied = new ArrayList<>();
    private final FailoverEndpointSource source = new FailoverEndpointSource(primary, fallback, Duration.ofSeconds(30),
            Duration.ofSeconds(10), now::get);

    /** A source whose sets and reachability the test sets. */
    private static final class Fake implements EndpointSource {
        EndpointSink sink;
        volatile boolean connected = true;

        @Override
        public void start(EndpointSink s) {
            sink = s;
        }

        @Override
        public Set<String> clusters() {
            return Set.of("users", "orders");
        }

        @Override
        public DiscoveryStatus status() {
            return new DiscoveryStatus(true, connected, Optional.empty(), 0, 1, Map.of());
        }

        @Override
        public void close() {
        }
    }

    private static List<EndpointConfig> set(String... addresses) {
        return Arrays.stream(addresses).map(a -> new EndpointConfig(HostPort.parse(a), 1)).toList();
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
        source.check();
    }

    private void start() {
        source.start((cluster, endpoints) -> {
            served.put(cluster, endpoints);
            applied.add(cluster);
        });
        source.check();
    }

    @Test
    void servesThePrimaryAndOnlyThePrimaryWhileItAnswers() {
        start();
        primary.sink.updateEndpoints("users", set("10.0.0.1:80"));
        fallback.sink.updateEndpoints("users", set("10.0.1.1:80"));
        advance(Duration.ofMinutes(5));
        assertThat(served).containsExactly(Map.entry("users", set("10.0.0.1:80")));
        assertThat(source.status().onFallback()).isFalse();
        source.close();
    }

    @Test
    void turnsToTheFallbackAfterFailoverAfterAndBackAfterFailbackAfter() {
        start();
        primary.sink.updateEndpoints("users", set("10.0.0.1:80", "10.0.0.2:80"));
        primary.sink.updateEndpoints("orders", set("10.0.0.9:80"));
        fallback.sink.updateEndpoints("users", set("10.0.1.1:80"));

        primary.connected = false;
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(28));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.PRIMARY);
        assertThat(served.get("users")).isEqualTo(set("10.0.0.1:80", "10.0.0.2:80"));
        advance(Duration.ofSeconds(2));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.FALLBACK);
        // the fallback's whole set replaces the primary's; a cluster it has no set for keeps the one it had
        assertThat(served).containsEntry("users", set("10.0.1.1:80")).containsEntry("orders", set("10.0.0.9:80"));
        assertThat(source.status().onFallback()).isTrue();

        // on the fallback, its changes are served and the stale primary's are not
        fallback.sink.updateEndpoints("users", set("10.0.1.1:80", "10.0.1.2:80"));
        primary.sink.updateEndpoints("users", set("10.0.0.3:80"));
        assertThat(served.get("users")).isEqualTo(set("10.0.1.1:80", "10.0.1.2:80"));

        // the primary back, but not for long enough: still the fallback
        primary.connected = true;
        advance(Duration.ofSeconds(9));
        primary.connected = false;
        advance(Duration.ofSeconds(1));
        primary.connected = true;
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(9));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.FALLBACK);
        advance(Duration.ofSeconds(1));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.PRIMARY);
        // the primary's latest set wins: the endpoints only the fallback had leave
        assertThat(served).containsEntry("users", set("10.0.0.3:80")).containsEntry("orders", set("10.0.0.9:80"));
        assertThat(source.switches()).isEqualTo(2);
        assertThat(source.status().decodeErrors()).isEqualTo(2);
        source.close();
    }

    @Test
    void staysOnThePrimaryWhenTheFallbackDoesNotAnswerEither() {
        start();
        primary.sink.updateEndpoints("users", set("10.0.0.1:80"));
        primary.connected = false;
        fallback.connected = false;
        advance(Duration.ofSeconds(1));
        advance(Duration.ofMinutes(2));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.PRIMARY);
        assertThat(source.status().stale()).isTrue();
        assertThat(served.get("users")).isEqualTo(set("10.0.0.1:80"));

        fallback.connected = true;
        advance(Duration.ofSeconds(1));
        assertThat(source.serving()).isEqualTo(FailoverEndpointSource.Serving.FALLBACK);
        source.close();
    }
}
