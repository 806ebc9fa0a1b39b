package dev.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.proxy.balancer.Balancers;
import dev.proxy.core.config.AccessLogConfig;
import dev.proxy.core.testing.Closer;
import dev.proxy.core.testing.RawHttp;
import dev.proxy.core.testing.TestBackend;
import dev.proxy.core.testing.TestProxy;
import dev.proxy.observability.accesslog.AccessLog;
import dev.proxy.resilience.ResilienceFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The client a PROXY protocol header or a trusted proxy's {@code X-Forwarded-For} names is the one the whole proxy
 * uses: per-client rate limits ({@code key: client_ip}) count it, the access log writes it, the upstream's
 * {@code X-Forwarded-For} carries it. The proxy as the server assembles it, over raw sockets.
 */
class ClientAddressIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Closer closer = new Closer();
    private final Logger accessLogger = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(AccessLog.LOGGER);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Level level;
    private TestBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        level = accessLogger.getLevel();
        accessLogger.setLevel(Level.INFO);
        lines.start();
        accessLogger.addAppender(lines);
        backend = closer.keep(TestBackend.http(TestBackend.ok("ok")));
        // 1 permit per client every 100 s: no bucket refills during the test
        proxy = closer.keep(TestProxy.start("""
                server:
                  trustedProxies: [192.0.2.100/32]
                  proxyProtocol: { mode: required }
                clusters:
                  - name: app
                    endpoints: [ { address: %s } ]
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                    rateLimit: { requestsPerSecond: 0.01, burst: 1, key: client_ip }
                """.formatted(backend.address()), Balancers.factory(), new ResilienceFactory(),
                new AccessLog(AccessLogConfig.DEFAULTS)));
    }

    @AfterEach
    void stop() {
        accessLogger.detachAppender(lines);
        accessLogger.setLevel(level);
    }

    /** One request on a new connection whose PROXY header declares {@code source}; the status it got. */
    private int send(String source, String headers) throws Exception {
        return send(proxy, source, headers);
    }

    private static int send(TestProxy proxy, String source, String headers) throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(("PROXY TCP4 " + source + " 10.0.0.1 40000 80\r\nGET /x HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return c.readResponse().status();
        }
    }

    private List<String> loggedClients(int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> lines.list.size() >= count);
        assertThat(lines.list).hasSize(count);
        return lines.list.stream().map(e -> {
            try {
                return JSON.readTree(e.getFormattedMessage()).get("client").asText();
            } catch (Exception ex) {
                throw new AssertionError("not JSON: " + e.getFormattedMessage(), ex);
            }
        }).toList();
    }

    @Test
    void twoClientsDeclaredByProxyHeadersGetTheirOwnBucketsAndLogLines() throws Exception {
        assertThat(send("198.51.100.1", "")).isEqualTo(200);
        assertThat(backend.lastRequest().headers().get("x-forwarded-for")).isEqualTo("198.51.100.1");
        assertThat(send("198.51.100.1", "")).as("the first client's bucket is empty").isEqualTo(429);
        // the same TCP peer (loopback), another declared client: its own bucket
        assertThat(send("198.51.100.2", "")).isEqualTo(200);
        assertThat(backend.lastRequest().headers().get("x-forwarded-for")).isEqualTo("198.51.100.2");

        // in any order: a line may be written just after its response has reached the client
        assertThat(loggedClients(3)).containsExactlyInAnyOrder("198.51.100.1", "198.51.100.1", "198.51.100.2");
        assertThat(backend.requestCount()).isEqualTo(2);
    }

    @Test
    void behindATrustedProxyTheClientItNamesIsCountedAndAForgedOneIsNot() throws Exception {
        // 192.0.2.100 is a trusted proxy: the client is the rightmost untrusted hop of its X-Forwarded-For
        assertThat(send("192.0.2.100", "X-Forwarded-For: 6.6.6.6, 203.0.113.5\r\n")).isEqualTo(200);
        assertThat(send("192.0.2.100", "X-Forwarded-For: 7.7.7.7, 203.0.113.5\r\n")).isEqualTo(429);
        assertThat(send("192.0.2.100", "X-Forwarded-For: 203.0.113.6\r\n")).isEqualTo(200);
        assertThat(backend.lastRequest().headers().get("x-forwarded-for")).isEqualTo("203.0.113.6, 192.0.2.100");
        // an untrusted client cannot take a fresh bucket by naming someone else
        assertThat(send("198.51.100.3", "")).isEqualTo(200);
        assertThat(send("198.51.100.3", "X-Forwarded-For: 203.0.113.99\r\n")).isEqualTo(429);

        assertThat(loggedClients(5)).containsExactlyInAnyOrder("203.0.113.5", "203.0.113.5", "203.0.113.6", "198.51.100.3",
                "198.51.100.3");
    }

    @Test
    void clientIpHashingSpreadsDeclaredClientsAndKeepsEachOnItsEndpoint() throws Exception {
        TestBackend a = closer.keep(TestBackend.http(TestBackend.ok("a")));
        TestBackend b = closer.keep(TestBackend.http(TestBackend.ok("b")));
        TestProxy hashing = closer.keep(TestProxy.start("""
                server:
                  proxyProtocol: { mode: required }
                clusters:
                  - name: app
                    endpoints: [ { address: %s }, { address: %s } ]
                    balancer: { policy: ring_hash, hashOn: { clientIp: true } }
                routes:
                  - name: all
                    match: { pathPrefix: / }
                    cluster: app
                """.formatted(a.address(), b.address()), Balancers.factory(), new ResilienceFactory()));
        // every connection comes from loopback: only the declared clients can spread over the two endpoints
        for (int i = 1; i <= 16; i++) {
            int before = a.requestCount();
            assertThat(send(hashing, "198.51.100." + i, "")).isEqualTo(200);
            boolean onA = a.requestCount() > before;
            assertThat(send(hashing, "198.51.100." + i, "")).isEqualTo(200);
            assertThat(a.requestCount() > before + (onA ? 1 : 0)).as("client %d again on the same endpoint", i)
                    .isEqualTo(onA);
        }
        assertThat(a.requestCount()).isPositive();
        assertThat(b.requestCount()).isPositive();
        assertThat(a.requestCount() + b.requestCount()).isEqualTo(32);
    }
}
