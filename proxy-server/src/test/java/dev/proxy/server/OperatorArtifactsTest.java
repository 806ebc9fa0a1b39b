package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The operator artifacts stay true to the code: every metric the Grafana dashboard ({@code deploy/grafana}) and the
 * Prometheus alert rules ({@code deploy/prometheus}) query is on a running proxy's {@code /metrics}, with the labels
 * they filter and group by; every proxy metric is described in {@code docs/operations.md}, and every alert's runbook
 * link names a section of it; the rules and the dashboard's queries pass {@code promtool}.
 */
class OperatorArtifactsTest {

    /**
     * Names queried but not on this test's scrape, each with the reason. Nothing else may be missing: the traffic
     * below makes every lazily registered proxy meter appear (errors, retries, breaker transitions, rejected
     * connections) and a GC makes {@code jvm_gc_pause_seconds} appear.
     */
    private static final Set<String> NOT_SCRAPED_HERE = Set.of(
            // Prometheus' own series for each target (ProxyDown), not a proxy metric
            "up",
            // registered only when a cluster discovers its endpoints (etcd or DNS); DiscoveryIntegrationTest
            // checks them on a proxy that follows a real etcd
            "proxy_discovery_connected", "proxy_discovery_stale", "proxy_discovery_synced",
            "proxy_discovery_updates_total", "proxy_discovery_decode_errors_total", "proxy_discovery_endpoints",
            "proxy_discovery_failures_total",
            // registered only with server.tls; TlsServerIntegrationTest reads it with its certificate label
            "proxy_tls_certificate_expiry_seconds");

    /** Labels Prometheus attaches to every series at scrape time, or that histogram buckets carry. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job", "le");

    /** Identifiers of PromQL that are not metric names where they stand (functions are told by their "("). */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "inf", "nan");

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{([^}]*)}");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w:])");
    private static final Pattern LABEL_VALUES = Pattern.compile(
            "label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?:\\{[^}]*})?\\s*,\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");

    @RegisterExtension
    final Closer closer = new Closer();
    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsOnMetricsWithItsLabels() throws Exception {
        ProxyApp app = startProxyWithTraffic();
        int admin = app.admin().address().getPort();
        // GC pauses are timed from the JVM's notifications, which arrive asynchronously after a collection
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            System.gc();
            return scrape(admin).has("jvm_gc_pause_seconds_count");
        });
        PrometheusText scrape = scrape(admin);

        List<String> queries = new ArrayList<>(alertExpressions());
        queries.addAll(dashboardExpressions());
        Set<String> missing = new TreeSet<>();
        Set<String> badLabels = new TreeSet<>();
        Set<String> checked = new TreeSet<>();
        for (String query : queries) {
            Set<String> names = metricNames(query);
            assertThat(names).as("metric names in %s", query).isNotEmpty();
            Set<String> labelsOfQuery = new HashSet<>(TARGET_LABELS);
            boolean allScraped = true;
            for (String name : names) {
                if (NOT_SCRAPED_HERE.contains(name)) {
                    allScraped = false;
                    continue;
                }
                checked.add(name);
                if (!scrape.has(name)) {
                    missing.add(name);
                    continue;
                }
                Set<String> labels = labelsOf(scrape, name);
                labelsOfQuery.addAll(labels);
                for (String label : selectorLabels(query, name)) {
                    if (!labels.contains(label) && !TARGET_LABELS.contains(label)) {
                        badLabels.add(name + "{" + label + "} in " + query);
                    }
                }
            }
            if (allScraped) {
                for (String label : groupingLabels(query)) {
                    if (!labelsOfQuery.contains(label)) {
                        badLabels.add("by/on (" + label + ") in " + query);
                    }
                }
            }
        }
        for (String[] metricAndLabel : templateVariables()) {
            checked.add(metricAndLabel[0]);
            if (!scrape.has(metricAndLabel[0])) {
                missing.add(metricAndLabel[0]);
            } else if (!labelsOf(scrape, metricAndLabel[0]).contains(metricAndLabel[1])
                    && !TARGET_LABELS.contains(metricAndLabel[1])) {
                badLabels.add("label_values(" + metricAndLabel[0] + ", " + metricAndLabel[1] + ")");
            }
        }

        // the extraction found the metrics it should (a broken regex would find none and pass)
        assertThat(checked).contains("proxy_requests_total", "proxy_request_duration_seconds_bucket",
                "proxy_errors_total", "proxy_upstream_retries_total", "proxy_circuit_breakers",
                "proxy_circuit_breaker_transitions_total", "proxy_conn_pool_utilization_ratio",
                "proxy_config_reloads_total", "proxy_watchdog_breached", "jvm_gc_pause_seconds_sum",
                "netty_eventexecutor_tasks_pending");

        // and docs/operations.md describes every proxy metric the proxy exposes (histograms by their family name)
        String operations = Files.readString(repoRoot().resolve("docs/operations.md"));
        Set<String> families = new TreeSet<>(NOT_SCRAPED_HERE);
        families.remove("up");
        Matcher type = Pattern.compile("(?m)^# TYPE (proxy_[a-z0-9_]+) ").matcher(scrape.body());
        while (type.find()) {
            if (!type.group(1).endsWith("_max")) {
                families.add(type.group(1));
            }
        }
        Set<String> undocumented = new TreeSet<>();
        for (String family : families) {
            if (!Pattern.compile("(?<![\\w])" + family + "(?![\\w])").matcher(operations).find()) {
                undocumented.add(family);
            }
        }
        // every problem at once, not the first kind only
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(missing).as("queried by the dashboard or the alerts but not on /metrics").isEmpty();
            soft.assertThat(badLabels).as("labels queried that the metric does not have").isEmpty();
            soft.assertThat(undocumented).as("proxy metrics docs/operations.md does not mention").isEmpty();
        });
    }

    @Test
    void theAlertRulesPassPromtoolAndTheirUnitTests() throws Exception {
        Promtool.assumeInstalled();
        Path prometheus = repoRoot().resolve("deploy/prometheus");
        Promtool.assertPasses(prometheus, null, "check", "rules", "proxy-alerts.yaml");
        Promtool.assertPasses(prometheus, null, "test", "rules", "proxy-alerts.test.yaml");
    }

    @Test
    void everyDashboardQueryIsValidPromQl() throws Exception {
        Promtool.assumeInstalled();
        // promtool parses the expressions of a rules file: each query becomes a recording rule, with Grafana's
        // interval variable replaced by a duration (the other variables sit inside label matchers' strings)
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> queries = dashboardExpressions();
        for (int i = 0; i < queries.size(); i++) {
            String expr = queries.get(i).replace("$__rate_interval", "5m");
            rules.append("      - record: dashboard:query_").append(i).append('\n')
                    .append("        expr: '").append(expr.replace("'", "''")).append("'\n");
        }
        Files.writeString(dir.resolve("dashboard-rules.yaml"), rules);
        Promtool.assertPasses(dir, null, "check", "rules", "dashboard-rules.yaml");
    }

    @Test
    void theDashboardIsJsonWithVariablesAndEveryPanelHasATitleAndAQuery() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(repoRoot().resolve("deploy/grafana/proxy-dashboard.json")
                .toFile());
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);

        Map<String, JsonNode> variables = new LinkedHashMap<>();
        for (JsonNode v : dashboard.path("templating").path("list")) {
            variables.put(v.path("name").asText(), v);
        }
        assertThat(variables).containsKeys("datasource", "route", "cluster");
        assertThat(variables.get("datasource").path("type").asText()).isEqualTo("datasource");
        assertThat(variables.get("datasource").path("query").asText()).isEqualTo("prometheus");
        assertThat(variableQuery(variables.get("route"))).startsWith("label_values(").endsWith(", route)");
        assertThat(variableQuery(variables.get("cluster"))).startsWith("label_values(").endsWith(", cluster)");

        Set<Integer> ids = new HashSet<>();
        int panels = 0;
        for (JsonNode panel : panels(dashboard)) {
            String title = panel.path("title").asText();
            assertThat(title).as("a panel's title").isNotBlank();
            assertThat(ids.add(panel.path("id").asInt())).as("panel id %s of %s unique", panel.path("id"), title)
                    .isTrue();
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            panels++;
            assertThat(panel.path("targets").size()).as("queries of panel %s", title).isPositive();
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("expr").asText()).as("a query of panel %s", title).isNotBlank();
            }
            assertThat(panel.path("datasource").path("uid").asText()).as("data source of panel %s", title)
                    .isEqualTo("${datasource}");
        }
        assertThat(panels).isGreaterThan(20);
    }

    @Test
    void everyAlertHasASeverityASummaryAndARunbookSectionInOperationsMd() throws Exception {
        String operations = Files.readString(repoRoot().resolve("docs/operations.md"));
        Set<String> anchors = new HashSet<>();
        Matcher heading = Pattern.compile("(?m)^#{1,6} +(.+?) *$").matcher(operations);
        while (heading.find()) {
            anchors.add(githubAnchor(heading.group(1)));
        }
        List<Map<String, Object>> alerts = alertRules();
        assertThat(alerts).extracting(r -> r.get("alert")).contains("ProxyHigh5xxRatio", "ProxyCircuitBreakerOpen",
                "ProxyPoolSaturated", "ProxyDiscoveryStale", "ProxyConfigReloadFailed", "ProxyWatchdogBreached",
                "ProxyLoadShedding", "ProxyDown", "ProxyTlsCertificateExpiringSoon");
        for (Map<String, Object> rule : alerts) {
            String name = (String) rule.get("alert");
            @SuppressWarnings("unchecked")
            Map<String, Object> labels = (Map<String, Object>) rule.getOrDefault("labels", Map.of());
            @SuppressWarnings("unchecked")
            Map<String, Object> annotations = (Map<String, Object>) rule.getOrDefault("annotations", Map.of());
            assertThat(labels.get("severity")).as("severity of %s", name).isIn("critical", "warning", "info");
            assertThat(annotations).as("annotations of %s", name).containsKeys("summary", "description", "runbook_url");
            String runbook = (String) annotations.get("runbook_url");
            assertThat(runbook).as("runbook of %s", name).isEqualTo("docs/operations.md#"
                    + name.toLowerCase(Locale.ROOT));
            assertThat(anchors).as("a section of docs/operations.md for %s", name)
                    .contains(runbook.substring(runbook.indexOf('#') + 1));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePrometheusRuleHoldsExactlyTheRulesFile() throws Exception {
        Map<String, Object> file = new Yaml().load(Files.readString(
                repoRoot().resolve("deploy/prometheus/proxy-alerts.yaml")));
        Map<String, Object> rule = new Yaml().load(Files.readString(
                repoRoot().resolve("deploy/kubernetes/extras/prometheusrule.yaml")));

        assertThat(rule.get("kind")).isEqualTo("PrometheusRule");
        assertThat(((Map<String, Object>) rule.get("spec")).get("groups")).as("spec.groups, the rules file's groups")
                .isEqualTo(file.get("groups"));
    }

    // ------------------------------------------------------------------------------------------ the running proxy

    /**
     * A proxy on loopback with a route of each kind, and the requests that make the lazily registered meters
     * appear: a 404 (proxy_errors_total), a retried 503 (proxy_upstream_retries_total), a rate-limited request, a
     * breaker opening (proxy_circuit_breaker_transitions_total) and a client too slow to send its request head
     * (proxy_connections_rejected_total).
     */
    private ProxyApp startProxyWithTraffic() throws Exception {
        TestBackend healthy = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        TestBackend unavailable = closer.keep(TestBackend.http((ctx, req) -> {
            FullHttpResponse r = TestBackend.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "busy",
                    HttpUtil.isKeepAlive(req));
            ctx.writeAndFlush(r);
        }));
        ProxyApp app = closer.keep(ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                  limits: { requestHeaderTimeout: 200ms }
                observability:
                  accessLog: { enabled: false }
                clusters:
                  - name: app
                    endpoints: [ { address: %1$s }, { address: %2$s } ]
                    balancer: { policy: round_robin }
                  - name: fragile
                    endpoints: [ { address: %2$s } ]
                    circuitBreaker: { minimumNumberOfCalls: 1, failureRateThreshold: 50, waitInOpen: 1h }
                  - name: quiet
                    endpoints: [ { address: %1$s } ]
                routes:
                  - name: api
                    match: { pathPrefix: /api/ }
                    cluster: app
                    retry: { attempts: 2, on: [503], backoff: { base: 1ms, max: 2ms }, budget: { percent: 100 } }
                  - name: fragile
                    match: { pathPrefix: /fragile/ }
                    cluster: fragile
                  - name: limited
                    match: { pathPrefix: /limited/ }
                    cluster: quiet
                    rateLimit: { requestsPerSecond: 0.01, burst: 1 }
                """.formatted(healthy.address(), unavailable.address()), "operator-artifacts-test.yaml"), false));
        int traffic = app.proxy().address().getPort();
        int admin = app.admin().address().getPort();

        for (int i = 0; i < 4; i++) {
            assertThat(get(traffic, "/api/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(unavailable.requestCount()).as("a 503 was retried").isPositive();
        assertThat(get(traffic, "/nowhere").statusCode()).isEqualTo(404);
        assertThat(get(traffic, "/limited/a").statusCode()).isEqualTo(200);
        assertThat(get(traffic, "/limited/b").statusCode()).isEqualTo(429);
        // the first 503 opens the breaker (one call is enough, all failed); the next is turned away
        assertThat(get(traffic, "/fragile/a").statusCode()).isEqualTo(503);
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape(admin).sum("proxy_circuit_breakers",
                "cluster", "fragile", "state", "open") == 1);
        HttpResponse<String> turnedAway = get(traffic, "/fragile/b");
        assertThat(turnedAway.headers().firstValue("x-proxy-error")).hasValue("circuit_open");
        try (RawHttp slow = new RawHttp(traffic)) {
            slow.send("GET /api/slow HTTP/1.1\r\n");
            assertThat(slow.readResponse().status()).isEqualTo(408);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape(admin).has("proxy_connections_rejected_total"));
        return app;
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText scrape(int admin) throws IOException, InterruptedException {
        HttpResponse<String> r = get(admin, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        return PrometheusText.parse(r.body());
    }

    private static Set<String> labelsOf(PrometheusText scrape, String name) {
        Set<String> labels = new HashSet<>();
        for (PrometheusText.Sample s : scrape.series(name)) {
            labels.addAll(s.labels().keySet());
        }
        return labels;
    }

    // ------------------------------------------------------------------------------------------ the artifacts

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("deploy/prometheus"))) {
            p = p.getParent();
        }
        assertThat(p).as("a parent directory with deploy/prometheus").isNotNull();
        return p;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> alertRules() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(
                repoRoot().resolve("deploy/prometheus/proxy-alerts.yaml")));
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        return rules;
    }

    private static List<String> alertExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> rule : alertRules()) {
            exprs.add(String.valueOf(rule.get("expr")));
        }
        assertThat(exprs).isNotEmpty();
        return exprs;
    }

    private static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(repoRoot().resolve("deploy/grafana/proxy-dashboard.json").toFile());
    }

    /** Every panel, those nested in collapsed rows too. */
    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            all.add(panel);
            panel.path("panels").forEach(all::add);
        }
        return all;
    }

    private static List<String> dashboardExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : panels(dashboard())) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.path("expr").asText());
            }
        }
        assertThat(exprs).isNotEmpty();
        return exprs;
    }

    private static String variableQuery(JsonNode variable) {
        JsonNode query = variable.path("query");
        return query.isTextual() ? query.asText() : query.path("query").asText();
    }

    /** The metric and label of every {@code label_values(metric{...}, label)} variable. */
    private static List<String[]> templateVariables() throws IOException {
        List<String[]> result = new ArrayList<>();
        for (JsonNode v : dashboard().path("templating").path("list")) {
            Matcher m = LABEL_VALUES.matcher(variableQuery(v));
            if (m.find()) {
                result.add(new String[] {m.group(1), m.group(2)});
            }
        }
        assertThat(result).isNotEmpty();
        return result;
    }

    /**
     * The metric names of a PromQL query: identifiers that are not functions (followed by "("), keywords, label
     * names (inside braces or by/on lists), durations (inside brackets), strings or Grafana variables ("$").
     */
    static Set<String> metricNames(String query) {
        String q = STRING.matcher(query).replaceAll("\"\"");
        q = SELECTOR.matcher(q).replaceAll("$1");
        q = GROUPING.matcher(q).replaceAll(" ");
        q = RANGE.matcher(q).replaceAll("");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(q);
        while (m.find()) {
            String id = m.group(1);
            boolean function = q.substring(m.end()).stripLeading().startsWith("(");
            if (!function && !KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
                names.add(id);
            }
        }
        return names;
    }

    /** The label names matched in the selectors of {@code name} in {@code query}. */
    static Set<String> selectorLabels(String query, String name) {
        Set<String> labels = new LinkedHashSet<>();
        Matcher s = SELECTOR.matcher(query);
        while (s.find()) {
            if (name.equals(s.group(1))) {
                Matcher l = MATCHER_LABEL.matcher(STRING.matcher(s.group(2)).replaceAll("\"\""));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        return labels;
    }

    /** The label names of the by/without/on/ignoring/group_* lists of {@code query}. */
    static Set<String> groupingLabels(String query) {
        Set<String> labels = new LinkedHashSet<>();
        Matcher g = GROUPING.matcher(STRING.matcher(query).replaceAll("\"\""));
        while (g.find()) {
            for (String label : g.group(2).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.strip());
                }
            }
        }
        return labels;
    }

    /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
    private static String githubAnchor(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }
}
