package dev.proxy.core.bench;

import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.RouteMatch;
import dev.proxy.core.config.WeightedCluster;
import dev.proxy.core.routing.Route;
import dev.proxy.core.routing.RouteTable;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of {@link RouteTable#match} as the table grows. The table mixes what a real file holds: about ten prefix
 * routes per exact host, wildcard tenant hosts, exact health paths, any-host static prefixes, header-conditioned
 * canaries, one regex route in a hundred and a catch-all last. Each operation matches the next of 1,024 requests
 * that hit those routes (one in ten falls through to the catch-all), so branch prediction cannot learn one path.
 *
 * <p>Not a test: surefire skips it by name. Run it with {@code deploy/bench/jmh.sh proxy-core RouteTableBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteTableBenchmark {
    private static final int REQUESTS = 1024;

    @Param({"10", "100", "1000", "10000"})
    public int routes;

    private RouteTable table;
    private Request[] requests;
    private int next;

    /** One request as the engine hands it to the table: lower-case host, normalised path. */
    private record Request(String host, String path, String method, HttpHeaders headers) {
    }

    @Setup
    public void setUp() {
        Random random = new Random(1);
        List<RouteConfig> configs = new ArrayList<>();
        List<Request> hits = new ArrayList<>();
        int hosts = Math.max(1, routes / 10);
        for (int i = 0; i < routes - 1; i++) {
            int k = i % hosts;
            String svc = "svc" + k + ".example.com";
            if (i % 100 == 99) {
                configs.add(route(i, svc, new PathMatch(PathMatch.Kind.REGEX, "/r" + i + "/items/[0-9]+"), Map.of()));
                hits.add(new Request(svc, "/r" + i + "/items/" + random.nextInt(1000), "GET", headers(false)));
            } else if (i % 10 == 1) {
                String host = "*.tenant" + k + ".example.net";
                configs.add(route(i, host, prefix("/t" + i + "/"), Map.of()));
                hits.add(new Request("app.tenant" + k + ".example.net", "/t" + i + "/dashboard", "GET",
                        headers(false)));
            } else if (i % 10 == 2) {
                configs.add(route(i, svc, new PathMatch(PathMatch.Kind.EXACT, "/healthz/" + i), Map.of()));
                hits.add(new Request(svc, "/healthz/" + i, "GET", headers(false)));
            } else if (i % 20 == 3) {
                configs.add(route(i, null, prefix("/static/" + i + "/"), Map.of()));
                hits.add(new Request(svc, "/static/" + i + "/app.js", "GET", headers(false)));
            } else if (i % 20 == 13) {
                configs.add(route(i, svc, prefix("/api/v2/r" + i + "/"), Map.of("x-canary", "1")));
                hits.add(new Request(svc, "/api/v2/r" + i + "/users/7", "POST", headers(true)));
            } else {
                configs.add(route(i, svc, prefix("/api/v1/r" + i + "/"), Map.of()));
                hits.add(new Request(svc, "/api/v1/r" + i + "/orders/" + random.nextInt(1000), "GET",
                        headers(false)));
            }
        }
        configs.add(route(routes - 1, null, PathMatch.ANY, Map.of()));
        table = RouteTable.of(configs);

        requests = new Request[REQUESTS];
        for (int r = 0; r < REQUESTS; r++) {
            requests[r] = r % 10 == 9 || hits.isEmpty()
                    ? new Request("unknown" + r + ".example.org", "/index.html", "GET", headers(false))
                    : hits.get(random.nextInt(hits.size()));
        }
        for (Request r : requests) {
            if (table.match(r.host(), r.path(), r.method(), r.headers()).isEmpty()) {
                throw new IllegalStateException("the catch-all route should match " + r);
            }
        }
    }

    @Benchmark
    public Optional<Route> match() {
        Request r = requests[next++ & (REQUESTS - 1)];
        return table.match(r.host(), r.path(), r.method(), r.headers());
    }

    private static PathMatch prefix(String prefix) {
        return new PathMatch(PathMatch.Kind.PREFIX, prefix);
    }

    private static RouteConfig route(int i, String host, PathMatch path, Map<String, String> headers) {
        RouteMatch match = new RouteMatch(Optional.ofNullable(host), path, Set.of(), headers);
        return RouteConfig.builder("r" + i, match, List.of(new WeightedCluster("c" + i % 7, 1))).build();
    }

    private static HttpHeaders headers(boolean canary) {
        HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        h.add("user-agent", "Mozilla/5.0 (X11; Linux x86_64)");
        h.add("accept", "application/json");
        h.add("accept-encoding", "gzip, deflate");
        if (canary) {
            h.add("x-canary", "1");
        }
        return h;
    }
}
