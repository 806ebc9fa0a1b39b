package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's own log lines as a real process writes them: text by default, JSON when the file asks. */
class LogFormatIntegrationTest {
    /** A quick JIT, and the jar's own logback.xml, not the logback-test.xml the test class path also holds. */
    private static final List<String> QUICK_START = List.of("-XX:TieredStopAtLevel=1",
            "-Dlogback.configurationFile=logback.xml");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private ChildJvm child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.close();
        }
    }

    private void start(String observability) throws Exception {
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, """
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                %s
                clusters:
                  - name: b
                    endpoints: [ { address: 127.0.0.1:9 } ]
                routes:
                  - name: all
                    cluster: b
                """.formatted(observability), StandardCharsets.UTF_8);
        child = ChildJvm.start(dir, QUICK_START, "--config", config.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> child.stdout().contains("admin listening")
                || !child.isAlive());
        assertThat(child.isAlive()).as(child.output()).isTrue();
    }

    @Test
    void jsonWhenTheFileAsks() throws Exception {
        start("observability: { logFormat: json }");

        List<JsonNode> lines = new ArrayList<>();
        for (String line : child.stdout().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        assertThat(lines).anySatisfy(l -> {
            assertThat(l.get("level").asText()).isEqualTo("INFO");
            assertThat(l.get("loggerName").asText()).isEqualTo(ProxyApp.class.getName());
            assertThat(l.get("message").asText()).startsWith("admin listening on");
        });
    }

    @Test
    void textByDefault() throws Exception {
        start("");

        assertThat(child.stdout()).containsPattern("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main] "
                + "d\\.proxy\\.server\\.ProxyApp - admin listening on");
        assertThat(child.output()).as("Logback prints its own status only when its configuration has a problem")
                .doesNotContain("in ch.qos.logback");
        assertThat(child.output()).as("a clean start warns of nothing").doesNotContain(" WARN ");
    }
}
