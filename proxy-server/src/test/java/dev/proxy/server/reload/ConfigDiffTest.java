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
}
