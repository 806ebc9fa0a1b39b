package dev.proxy.server.reload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ProxyConfig;
import org.junit.jupiter.api.Test;

/** What a reload reports as needing a restart: the listener's settings, HTTP/2's among them. */
class ConfigDiffTest {
    private static ProxyConfig config(String server) {
        return ConfigReader.read("""
                server:
                  %s
                clusters:
                  - name: app
                    endpoints: [ { address: 10.0.0.1:80 } ]
                routes:
                  - name: r
                    cluster: app
                """.formatted(server), "test.yaml");
    }

    @Test
    void theRedisOfTheGlobalRateLimitsAppliesAtTheNextStart() {
        // "%s" is followed by a top-level key: the server lines end where the redis block begins
        ProxyConfig without = config("eventLoops: 1");
        ProxyConfig with = config("eventLoops: 1\nredis: { url: redis://10.0.0.9:6379 }");
        assertThat(ConfigDiff.between(without, with).needRestart()).containsExactly("redis");
        assertThat(ConfigDiff.between(with, with).needRestart()).isEmpty();
    }

    @Test
    void http2SettingsApplyAtTheNextStart() {
        ConfigDiff diff = ConfigDiff.between(config("http2: { maxConcurrentStreams: 100 }"),
                config("http2: { maxConcurrentStreams: 50 }"));

        assertThat(diff.needRestart()).containsExactly("server");
    }

    @Test
    void anUnchangedServerNeedsNoRestart() {
        ConfigDiff diff = ConfigDiff.between(config("http2: { enabled: true }"), config("http2: { enabled: true }"));

        assertThat(diff.needRestart()).isEmpty();
    }

    @Test
    void tlsAndAdminWriteSettingsApplyAtTheNextStart() {
        String tls = "tls: { certificates: [ { certificate: /a.crt, key: /a.key } ] }";
        assertThat(ConfigDiff.between(config("admin: { listen: 0.0.0.0:9901 }"), config(tls)).needRestart())
                .containsExactly("server");
        assertThat(ConfigDiff.between(config(tls), config(tls.replace("/a.crt", "/b.crt"))).needRestart())
                .containsExactly("server");
        assertThat(ConfigDiff.between(config("admin: { allowWrites: false }"), config("admin: { allowWrites: true }"))
                .needRestart()).containsExactly("server");
        assertThat(ConfigDiff.between(config(tls), config(tls)).needRestart()).isEmpty();
    }

    @Test
    void theMaxInFlightCapAndTheDefaultBodySizeApplyAtOnce() {
        ConfigDiff diff = ConfigDiff.between(config("limits: { maxInFlightRequests: 10, maxBodySize: 1MiB }"),
                config("limits: { maxInFlightRequests: 20, maxBodySize: 2MiB }"));
        assertThat(diff.needRestart()).isEmpty();
        assertThat(diff.routesChanged()).as("the routes' resolved body limit").containsExactly("r");
    }
}
