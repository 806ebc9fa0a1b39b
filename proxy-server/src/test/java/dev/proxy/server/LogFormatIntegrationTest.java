package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's own log lines as a real process writes them, with the logging of the shipped jar (not the
 * logback-test.xml the test class path also holds): text by default, JSON when the file or the variable asks, and an
 * operator's own XML file (the example in config/examples) when one is named.
 */
class LogFormatIntegrationTest {
    /** A short-lived run needs no optimising JIT; C1 only starts faster. */
    private static final String QUICK_START = "-XX:TieredStopAtLevel=1";
    private static final Pattern PROXY_PORT = Pattern.compile("proxy listening on /127\\.0\\.0\\.1:(\\d+)");
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

    private void start(String observability, String... jvmOptions) throws Exception {
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
        List<String> options = Stream.concat(Stream.of(QUICK_START), Stream.of(jvmOptions)).toList();
        child = ChildJvm.startWithShippedLogging(dir, options, "--config", config.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> child.stdout().contains("admin listening")
                || !child.isAlive());
        assertThat(child.isAlive()).as(child.output()).isTrue();
    }

    private List<JsonNode> jsonLines() throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : child.stdout().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private void assertStartedInJson() throws Exception {
        assertThat(jsonLines()).anySatisfy(l -> {
            assertThat(l.get("level").asText()).isEqualTo("INFO");
            assertThat(l.get("loggerName").asText()).isEqualTo(ProxyApp.class.getName());
            assertThat(l.get("message").asText()).startsWith("admin listening on");
        });
    }

    @Test
    void jsonWhenTheFileAsks() throws Exception {
        start("observability: { logFormat: json }");

        assertStartedInJson();
    }

    @Test
    void jsonWhenTheVariableAsksAndTheVariableWinsOverTheFile() throws Exception {
        start("observability: { logFormat: text }", "-DPROXY_LOG_FORMAT=json");

        assertStartedInJson();
    }

    @Test
    void textByDefaultAndTheAccessLogItsOwnJsonLines() throws Exception {
        start("");

        assertThat(child.stdout()).containsPattern("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main] "
                + "d\\.proxy\\.server\\.ProxyApp - admin listening on");
        assertThat(child.output()).as("Logback prints its own status only when its configuration has a problem")
                .doesNotContain("ch.qos.logback");
        assertThat(child.output()).as("a clean start warns of nothing").doesNotContain(" WARN ");

        Matcher port = PROXY_PORT.matcher(child.stdout());
        assertThat(port.find()).as(child.output()).isTrue();
        HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port.group(1) + "/logged")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).as("nothing listens on the endpoint").isEqualTo(502);
        await().atMost(Duration.ofSeconds(10)).until(() -> child.stdout().contains("\"path\":\"/logged\""));
        String accessLine = child.stdout().lines().filter(l -> l.contains("\"path\":\"/logged\"")).findFirst()
                .orElseThrow();
        assertThat(JSON.readTree(accessLine).get("status").asInt()).as("the line is the JSON alone").isEqualTo(502);
    }

    @Test
    void anXmlFileOfTheOperatorsOwnIsReadAndKeptWhateverTheRoutesFileSays() throws Exception {
        Path example = Loopback.repoRoot().resolve("config/examples/logback.xml");

        start("observability: { logFormat: json }", "-Dlogback.configurationFile=" + example);

        assertThat(child.stdout()).as("the example's text, not the file's JSON").containsPattern(
                "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main] d\\.proxy\\.server\\.ProxyApp - admin listening on");
        assertThat(child.output()).as("the example loads without a warning").doesNotContain("ch.qos.logback")
                .doesNotContain(" WARN ");
    }
}
