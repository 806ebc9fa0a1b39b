package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin API over HTTP on a running proxy: /config, /routes, /clusters, and what it refuses. */
class AdminApiIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private TestBackend backend;
    private ProxyApp app;

    @BeforeEach
    void start() throws Exception {
        backend = closer.keep(TestBackend.http(TestBackend.ok("fine")));
        app = ProxyApp.start(ConfigReader.read("""
                server:
                  listen: 127.0.0.1:0
                  admin: { listen: 127.0.0.1:0 }
                  trustedProxies: [10.0.0.0/8]
                observability:
                  accessLog: { enabled: false }
                discovery:
                  etcd:
                    endpoints: ["http://127.0.0.1:1"]
                    auth: { username: proxy, password: s3cr3t-value }
                clusters:
                  - name: users
                    endpoints: [ { address: %s, weight: 2 } ]
                    timeouts: { connect: 750ms, responseHeader: 2m }
                  - name: orders
                    discovery: { etcd: { prefix: /services/orders/ } }
                routes:
                  - name: users
                    match: { host: api.example.com, pathPrefix: /users/, methods: [GET] }
                    cluster: users
                  - name: orders
                    match: { pathPrefix: /orders/ }
                    cluster: orders
                """.formatted(backend.address()), "admin.yaml"), false);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop(Duration.ZERO);
        }
    }

    private HttpResponse<String> admin(String method, String pathAndQuery) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.admin().address().getPort()
                + pathAndQuery)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String pathAndQuery) throws Exception {
        HttpResponse<String> r = admin("GET", pathAndQuery);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    @Test
    void statusNamesTheBuild() throws Exception {
        JsonNode build = json("/status").get("build");

        assertThat(build.get("version").asText()).isEqualTo(BuildInfo.current().version()).isNotEqualTo("unknown");
        assertThat(build.get("commit").asText()).isEqualTo(BuildInfo.current().commit());
        assertThat(build.get("java").asText()).isEqualTo(System.getProperty("java.version"));
    }

    @Test
    void configShowsTheEffectiveConfigInTheFilesTermsWithSecretsRedacted() throws Exception {
        HttpResponse<String> raw = admin("GET", "/config");
        assertThat(raw.body()).doesNotContain("s3cr3t-value");

        JsonNode config = JSON.readTree(raw.body());
        assertThat(config.get("generation").asLong()).isEqualTo(1);
        assertThat(config.get("source").isNull()).as("started without a file").isTrue();
        JsonNode c = config.get("config");
                assertThat(c.at("/etcd/password").asText()).isEqualTo("<redacted>");
        assertThat(c.at("/etcd/username").asText()).isEqualTo("proxy");
        assertThat(c.at("/server/listen").asText()).isEqualTo("127.0.0.1:0");
        assertThat(c.at("/clusters/0/timeouts/connect").asText()).isEqualTo("750ms");
        assertThat(c.at("/clusters/0/timeouts/responseHeader").asText()).isEqualTo("2m");
        assertThat(c.at("/clusters/0/endpoints/0/weight").asInt()).isEqualTo(2);
        assertThat(c.at("/clusters/1/etcdPrefix").asText()).isEqualTo("/services/orders/");
        assertThat(c.at("/routes/0/match/methods/0").asText()).isEqualTo("GET");
        assertThat(c.at("/server/clientAddress/trustedProxies/0").asText()).isEqualTo("10.0.0.0/8");
    }

    @Test
    void routesNamesTheClientAsTrafficWouldResolveIt() throws Exception {
        String request = "/routes?host=api.example.com&path=/users/7&header=x-forwarded-for:6.6.6.6,203.0.113.9";
        // from a trusted load balancer: the rightmost untrusted hop of its header
        assertThat(json(request + "&client=10.0.0.5").get("client").asText()).isEqualTo("203.0.113.9");
        // from anyone else: the header is not believed
        assertThat(json(request + "&client=198.51.100.1").get("client").asText()).isEqualTo("198.51.100.1");
        assertThat(json(request).get("client").asText()).as("the admin caller itself").isEqualTo("127.0.0.1");
    }

    @Test
    void routesExplainsARequestGivenAsQueryParameters() throws Exception {
        JsonNode e = json("/routes?host=API.example.com:8443&path=" + URLEncoder.encode("/users/../users/7",
                StandardCharsets.UTF_8) + "&method=get&header=x-debug:1");

        assertThat(e.at("/request/host").asText()).isEqualTo("api.example.com");
        assertThat(e.at("/request/path").asText()).isEqualTo("/users/7");
        assertThat(e.at("/request/method").asText()).isEqualTo("GET");
        assertThat(e.get("route").asText()).isEqualTo("users");
        assertThat(e.at("/clusters/0/cluster").asText()).isEqualTo("users");
        assertThat(e.at("/clusters/0/endpoint").asText()).isEqualTo(backend.address());
        assertThat(e.at("/routes/0/verdict").asText()).startsWith("chosen");
        assertThat(e.at("/routes/1/verdict").asText()).isEqualTo("path '/users/7' does not start with /orders/");

        JsonNode none = json("/debug/route?path=/orders/1&method=POST");
        assertThat(none.get("route").asText()).isEqualTo("orders");
        assertThat(none.at("/clusters/0/available").asInt()).as("nothing discovered").isZero();
        assertThat(none.at("/clusters/0/endpoint").isNull()).isTrue();
        assertThat(none.at("/routes/0/verdict").asText()).isEqualTo("host '' is not api.example.com");

        assertThat(admin("GET", "/routes?path=/x&header=nocolon").statusCode()).isEqualTo(400);
    }

    @Test
    void routesWithoutAPathListsTheTable() throws Exception {
        JsonNode table = json("/routes").get("routes");
        assertThat(table).hasSize(2);
        assertThat(table.at("/0/name").asText()).isEqualTo("users");
        assertThat(table.at("/0/match").asText()).isEqualTo("host api.example.com, path prefix /users/, GET");
        assertThat(table.at("/1/clusters/0/cluster").asText()).isEqualTo("orders");
    }

    @Test
    void clustersShowEndpointsWithHealthAndPools() throws Exception {
        try (RawHttp c = new RawHttp(app.proxy().address().getPort())) {
            assertThat(c.send("GET /users/1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n").readResponse().status())
                    .isEqualTo(200);
        }

        JsonNode clusters = json("/clusters").get("clusters");
        JsonNode users = clusters.get(0);
        assertThat(users.get("name").asText()).isEqualTo("users");
        assertThat(users.get("balancer").asText()).isEqualTo("round_robin");
        assertThat(users.get("endpointsAvailable").asInt()).isEqualTo(1);
        assertThat(users.at("/endpoints/0/address").asText()).isEqualTo(backend.address());
        assertThat(users.at("/endpoints/0/health").asText()).isEqualTo("available");
        assertThat(users.at("/endpoints/0/breaker").isNull()).as("no breaker configured").isTrue();
        assertThat(users.at("/pool/idle").asInt()).as("the kept-alive connection").isEqualTo(1);
        assertThat(users.at("/endpoints/0/learnedIdleTimeoutSeconds").isNull())
                .as("the backend has closed no idle connection yet").isTrue();
        assertThat(clusters.get(1).get("discovered").asBoolean()).isTrue();
    }

    @Test
    void refusesWhatItDoesNotServe() throws Exception {
        assertThat(admin("DELETE", "/config").statusCode()).isEqualTo(405);
        assertThat(admin("GET", "/nothing").statusCode()).isEqualTo(404);
        assertThat(admin("POST", "/config/reload").statusCode()).as("writes are off by default").isEqualTo(403);
        assertThat(admin("HEAD", "/clusters").statusCode()).isEqualTo(200);
        assertThat(admin("GET", "/").body()).contains("<title>proxy status</title>").doesNotContain("http://",
                "https://");
    }
}
