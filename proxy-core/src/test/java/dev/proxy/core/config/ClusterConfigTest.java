package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link ClusterConfig.Builder}: its defaults, and the checks of the constructor. That the defaults are the config
 * file's is {@code ConfigReaderTest.readsAMinimalFileWithDefaults}.
 */
class ClusterConfigTest {
    private static final List<EndpointConfig> ONE = List.of(new EndpointConfig(new HostPort("10.0.0.1", 8080), 1));

    @Test
    void builderDefaultsAreNoneOfTheOptionalParts() {
        ClusterConfig c = ClusterConfig.builder("app", ONE).build();

        assertThat(c.balancer()).isEqualTo(BalancerConfig.ROUND_ROBIN);
        assertThat(c.pool()).isEqualTo(PoolConfig.DEFAULTS);
        assertThat(c.timeouts()).isEqualTo(ClusterTimeouts.DEFAULTS);
        assertThat(c.outlierDetection()).isEqualTo(OutlierDetectionConfig.DISABLED);
        assertThat(c.healthCheck()).isEmpty();
        assertThat(c.circuitBreaker()).isEmpty();
        assertThat(c.etcdPrefix()).isEmpty();
        assertThat(c.dns()).isEmpty();
        assertThat(c.discovered()).isFalse();
        assertThat(c.tls()).isEmpty();
        assertThat(c.protocol()).isEqualTo(UpstreamProtocol.HTTP1);
        assertThat(c.locality()).isEqualTo(LocalityConfig.DISABLED);
        assertThat(c.headers()).isEqualTo(HeadersConfig.NONE);
    }

    @Test
    void defaultHttp2WindowsFollowThePoolsStreamsPerConnection() {
        PoolConfig pool = new PoolConfig(8, 8, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO, 0, 7);

        ClusterConfig c = ClusterConfig.builder("app", ONE).pool(pool).protocol(UpstreamProtocol.H2).build();

        assertThat(c.http2()).isEqualTo(UpstreamHttp2Config.defaults(7));
    }

    @Test
    void anExplicitHttp2WindowWins() {
        UpstreamHttp2Config windows = UpstreamHttp2Config.withStreamWindow(UpstreamHttp2Config.MIN_WINDOW, 100);

        assertThat(ClusterConfig.builder("app", ONE).http2(windows).build().http2()).isEqualTo(windows);
    }

    @Test
    void discoveryByEtcdAndDnsAtOnceIsRefused() {
        ClusterConfig.Builder both = ClusterConfig.builder("app", List.of()).etcdPrefix("/services/app")
                .dns(new DnsDiscoveryConfig("app.internal", 80, DnsDiscoveryConfig.DEFAULT_MIN_REFRESH,
                        DnsDiscoveryConfig.DEFAULT_MAX_REFRESH, List.of()));

        assertThatThrownBy(both::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not both");
    }

    @Test
    void anEtcdClusterIsDiscovered() {
        ClusterConfig c = ClusterConfig.builder("app", List.of()).etcdPrefix("/services/app").build();

        assertThat(c.discovered()).isTrue();
        assertThat(c.etcdPrefix()).isEqualTo(Optional.of("/services/app"));
    }
}
