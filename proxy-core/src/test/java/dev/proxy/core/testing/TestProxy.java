package dev.proxy.core.testing;

import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.ConfigReader;
import dev.proxy.core.config.ProxyConfig;
import dev.proxy.core.engine.ProxyServer;
import dev.proxy.core.filter.Resilience;
import dev.proxy.core.observe.ProxyObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A real {@link ProxyServer} on a loopback ephemeral port, started from YAML, for tests. The YAML needs no
 * {@code server.listen}: one on 127.0.0.1:0 is put in front of whatever server section it has.
 */
public final class TestProxy implements AutoCloseable {
    private final ProxyServer server;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestProxy(ProxyServer server) {
        this.server = server;
    }

    /** The smallest routes file: cluster {@code b} of the endpoints {@code addresses}, and route {@code all} to it. */
    public static String oneRoute(String addresses) {
        return """
                clusters:
                  - name: b
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: b
                """.formatted(addresses);
    }

    /** Starts a proxy; {@code yaml} holds clusters and routes, and optionally a server section without listen. */
    public static TestProxy start(String yaml) throws InterruptedException {
        return start(yaml, LoadBalancer.Factory.roundRobinOnly());
    }

    public static TestProxy start(String yaml, LoadBalancer.Factory balancers) throws InterruptedException {
        return start(yaml, balancers, Resilience.NONE);
    }

    /** Starts a proxy with these balancers and resilience filters. */
    public static TestProxy start(String yaml, LoadBalancer.Factory balancers, Resilience resilience)
            throws InterruptedException {
        return start(yaml, balancers, resilience, ProxyObserver.NONE);
    }

    /** Starts a proxy with these balancers, resilience filters and observer (metrics, tracing, access log). */
    public static TestProxy start(String yaml, LoadBalancer.Factory balancers, Resilience resilience,
                                  ProxyObserver observer) throws InterruptedException {
        ProxyConfig config = ConfigReader.read(onLoopbackPorts(yaml), "test.yaml");
        TestProxy proxy = new TestProxy(ProxyServer.start(config, balancers, resilience, observer));
        if (!proxy.server.address().getAddress().isLoopbackAddress()) {
            proxy.close();
            throw new IllegalStateException("a test proxy must listen on loopback, not " + proxy.server.address());
        }
        return proxy;
    }

    /**
     * {@code yaml} with the traffic and admin ports on free loopback ports, whether its server section is a block
     * ({@code server:} then indented keys) or a flow mapping ({@code server: { eventLoops: 1 }}). A section in any
     * other shape fails the test: left alone, it would listen on the default 0.0.0.0:8080, where two tests (or
     * anything else on the machine) collide.
     */
    static String onLoopbackPorts(String yaml) {
        String ports = "listen: 127.0.0.1:0\n  admin: { listen: 127.0.0.1:0 }";
        if (!yaml.contains("server:")) {
            return "server:\n  " + ports + "\n" + yaml;
        }
        if (yaml.matches("(?s).*server:[ \\t]*\\n.*")) {
            return yaml.replaceFirst("server:[ \\t]*\\n", "server:\n  " + ports + "\n");
        }
        if (yaml.matches("(?s).*server:[ \\t]*\\{.*")) {
            return yaml.replaceFirst("server:[ \\t]*\\{", "server: { listen: 127.0.0.1:0, admin: { listen: 127.0.0.1:0 },");
        }
        throw new IllegalArgumentException("cannot put the test's ports into this server section: " + yaml);
    }

    public ProxyServer server() {
        return server;
    }

    public int port() {
        return server.address().getPort();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** A GET through the proxy with the JDK client (keep-alive, HTTP/1.1), body as a string. */
    public HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpClient client() {
        return client;
    }

    @Override
    public void close() {
        server.shutdown(Duration.ZERO);
    }
}
