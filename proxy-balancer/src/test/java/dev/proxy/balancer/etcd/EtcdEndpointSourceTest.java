package dev.proxy.balancer.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.proxy.core.config.EtcdConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the source says and does before it ever reaches etcd. */
class EtcdEndpointSourceTest {
    @Test
    void anUnreadablePasswordFileFailsTheStartWithItsPath() {
        EtcdConfig config = new EtcdConfig(List.of(URI.create("http://127.0.0.1:1")), Optional.of("proxy"),
                Optional.empty(), Optional.of(Path.of("/nonexistent/etcd-password")), Optional.empty(),
                Optional.empty(), Optional.empty(), EtcdConfig.DEFAULT_CONNECT_TIMEOUT,
                EtcdConfig.DEFAULT_REQUEST_TIMEOUT, Optional.empty());
        try (EtcdEndpointSource source = new EtcdEndpointSource(config, Map.of("users", "/services/users/"))) {
            assertThatThrownBy(() -> source.start((cluster, endpoints) -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("/nonexistent/etcd-password");
            assertThat(source.status().synced()).isFalse();
        }
    }

    @Test
    void isNotSyncedAndHasNoEndpointsBeforeItsFirstListing() {
        try (EtcdEndpointSource source = new EtcdEndpointSource(
                EtcdConfig.plain(List.of(URI.create("http://127.0.0.1:1"))), Map.of("users", "/services/users/"))) {
            assertThat(source.status().synced()).isFalse();
            assertThat(source.status().endpoints()).isEmpty();
            assertThat(source.status().updatesApplied()).isZero();
        }
    }
}
