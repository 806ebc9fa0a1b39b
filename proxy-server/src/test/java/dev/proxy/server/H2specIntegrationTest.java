package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.LogCapture;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * h2spec 2.2.0 (see {@link H2spec}), the HTTP/2 conformance suite, against a whole running proxy with an HTTP/1.1
 * backend: over h2c with prior knowledge and over TLS with ALPN. Every one of its 145 cases must pass; each failure
 * is named with its id and h2spec's message. The proxy must log no warning meanwhile: everything h2spec sends that
 * is wrong is the client's fault. Skipped only where the jar has no h2spec binary for the platform.
 */
class H2specIntegrationTest {
    /** The cases of h2spec 2.2.0 without {@code --strict}. */
    private static final int CASES = 145;
    /**
     * h2spec's wait for each expected frame, in seconds. A passing case never waits it out unless it expects
     * silence, and none of the 145 does against a server that answers, so a generous bound costs nothing but keeps
     * a loaded machine from failing a case.
     */
    private static final int CASE_TIMEOUT_SECONDS = 10;

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private ProxyApp app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    @Test
    void passesEveryCaseOverH2cWithPriorKnowledge() throws Exception {
        Path h2spec = binary();
        start("");
        assertPasses(h2spec, List.of());
    }

    @Test
    void passesEveryCaseOverTlsWithAlpn() throws Exception {
        Path h2spec = binary();
        TestCertificates.Issued cert = TestCertificates.ca(dir, "ca").server("proxy", "127.0.0.1");
        start("""
                  tls:
                    certificates:
                      - { certificate: %s, key: %s }
                """.formatted(cert.certificate(), cert.key()));
        assertPasses(h2spec, List.of("-t", "-k"));
    }

    private static Path binary() {
        var binary = H2spec.binary();
        Assumptions.assumeTrue(binary.isPresent(), "h2spec's jar ships no binary for this platform");
        return binary.get();
    }

    private void start(String tls) throws Exception {
        TestBackend backend = closer.keep(TestBackend.http(TestBackend.ok("h2spec")));
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                %s
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    cluster: app
                """.formatted(tls, backend.address()), "h2spec.yaml"), false);
    }

    private void assertPasses(Path h2spec, List<String> flags) throws Exception {
        Path report = dir.resolve("h2spec.xml");
        List<String> command = new ArrayList<>(List.of(h2spec.toString(), "-h", "127.0.0.1",
                "-p", Integer.toString(app.proxy().address().getPort()),
                "-o", Integer.toString(CASE_TIMEOUT_SECONDS), "-j", report.toString()));
        command.addAll(flags);
        Path output = dir.resolve("h2spec.out");
        List<String> warnings;
        try (LogCapture log = LogCapture.open()) {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            // far above a run's few seconds: a hung h2spec fails the test rather than the build's clock
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("h2spec did not finish in 5 minutes:\n" + Files.readString(output));
            }
            warnings = log.warnings();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(report).as("h2spec's JUnit report; its output:\n%s", out).exists();
        List<String> failures = new ArrayList<>();
        // h2spec numbers the cases of each section from 1 in the order it runs (and reports) them: 8.1.2.3/2
        Map<String, Integer> numbers = new HashMap<>();
        int cases = 0;
        NodeList testCases = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile())
                .getElementsByTagName("testcase");
        for (int i = 0; i < testCases.getLength(); i++) {
            Element c = (Element) testCases.item(i);
            cases++;
            String id = c.getAttribute("package") + "/" + numbers.merge(c.getAttribute("package"), 1, Integer::sum);
            for (String problem : List.of("failure", "error", "skipped")) {
                NodeList found = c.getElementsByTagName(problem);
                if (found.getLength() > 0) {
                    failures.add(id + " " + c.getAttribute("classname") + ": " + problem
                            + " " + found.item(0).getTextContent().strip());
                }
            }
        }
        String summary = out.lines().filter(l -> l.contains(" tests, ")).findFirst().orElse("(no summary line)");
        // for the build log: "145 tests, 145 passed, 0 skipped, 0 failed"
        System.out.println("h2spec " + String.join(" ", flags) + ": " + summary);
        assertThat(failures).as("h2spec cases that did not pass (%s); see %s", summary, output).isEmpty();
        assertThat(cases).as("h2spec cases run; its output:\n%s", out).isEqualTo(CASES);
        assertThat(warnings).as("the proxy's warnings while h2spec ran").isEmpty();
        // the suite's malformed frames were counted by the code they were answered with
        PrometheusText metrics = PrometheusText.parse(admin("/metrics"));
        assertThat(metrics.sum("proxy_http2_protocol_errors_total", "scope", "stream")).isPositive();
        assertThat(metrics.sum("proxy_http2_protocol_errors_total", "scope", "connection")).isPositive();
        assertThat(metrics.sum("proxy_http2_protocol_errors_total", "reason", "stream_closed")).isPositive();
        assertThat(metrics.sum("proxy_http2_protocol_errors_total", "reason", "flow_control_error")).isPositive();
    }

    private String admin(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + app.admin().address().getPort() + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
