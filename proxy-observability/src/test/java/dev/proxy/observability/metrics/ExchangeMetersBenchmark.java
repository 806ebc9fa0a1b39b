package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.RouteObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one proxied request's meters as the engine records them: its attempt into the cluster's meters
 * ({@link ClusterObserver#attemptEnded}) and its end into the route's ({@link RouteObserver#ended}), with the
 * observers already resolved, as the snapshot holds them. Each operation takes the next of 1,024 requests spread
 * over 16 routes and 4 clusters, mostly GET 2xx with some POST, 4xx, 5xx and upstream resets, into a Prometheus
 * registry (fixed-bucket histograms) whose meters all exist after the warm-up.
 *
 * <p>Not a test: surefire skips it by name. Run it with
 * {@code deploy/bench/jmh.sh proxy-observability ExchangeMetersBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ExchangeMetersBenchmark {
    private static final int REQUESTS = 1024;

    private PrometheusMeterRegistry registry;
    private Request[] requests;
    private int next;

    /** One request: the observers its route and cluster hold, and how its attempt and the request went. */
    private record Request(RouteObserver route, ClusterObserver cluster, int attemptStatus, long attemptNanos,
                           FinishedExchange end) {
    }

    @Setup
    public void setUp() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyMeters meters = new ProxyMeters(registry);
        Random random = new Random(42);
        requests = new Request[REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            int n = random.nextInt(100);
            HttpMethod method = n < 80 ? HttpMethod.GET : n < 95 ? HttpMethod.POST : HttpMethod.DELETE;
            ProxyError error = n >= 98 ? ProxyError.UPSTREAM_RESET : null;
            int status = error != null ? 502 : n < 90 ? 200 : n < 96 ? 404 : 503;
            int route = random.nextInt(16);
            long nanos = 100_000 + random.nextInt(5_000_000);
            FinishedExchange end = new FinishedExchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/"),
                    "route-" + route, status, error, nanos + 50_000, 120, 4096);
            requests[i] = new Request(meters.route("route-" + route), meters.cluster("cluster-" + route % 4),
                    error == null ? status : 0, nanos, end);
        }
    }

    @TearDown
    public void tearDown() {
        registry.close();
    }

    @Benchmark
    public void recordOneExchange() {
        Request r = requests[next++ & (REQUESTS - 1)];
        r.cluster().attemptEnded(r.attemptStatus(), r.end().error(), r.attemptNanos());
        r.route().ended(r.end());
    }
}
