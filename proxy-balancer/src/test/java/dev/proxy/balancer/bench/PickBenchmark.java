package dev.proxy.balancer.bench;

import dev.proxy.balancer.Balancers;
import dev.proxy.core.balancer.EndpointLoad;
import dev.proxy.core.balancer.LoadBalancer;
import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
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
 * Cost of one {@link LoadBalancer#pick} per policy as the cluster grows. Endpoints have mixed weights 1-4 (so the
 * weighted schedule, ring and Maglev table have real work to do); requests carry the usual browser headers plus an
 * {@code x-session-id} (a UUID, as a session key would be), the same UUID in a {@code session} cookie, and a path with
 * a query; by default the hashing policies hash the header ({@code -p hashOn=cookie|client_ip|path} for the others).
 * Each operation picks for the next of 1,024 such requests, from one of 64 client addresses, so caches and branch
 * predictors see varied keys. least_request reads a fixed, uneven in-flight table.
 *
 * <p>Not a test: surefire skips it by name. Run it with {@code deploy/bench/jmh.sh proxy-balancer PickBenchmark}; add
 * {@code -prof gc} for bytes allocated per pick.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PickBenchmark {
    private static final int REQUESTS = 1024;

    @Param({"round_robin", "weighted_round_robin", "least_request", "random", "ring_hash", "maglev"})
    public String policy;

    @Param({"10", "100", "1000"})
    public int endpoints;

    /** What the hashing policies hash: header, cookie, client_ip or path (the others ignore it). */
    @Param({"header"})
    public String hashOn;

    private LoadBalancer balancer;
    private HttpRequest[] requests;
    private SocketAddress[] clients;
    private int next;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        List<Endpoint> list = new ArrayList<>();
        int[] inFlight = new int[endpoints];
        for (int i = 0; i < endpoints; i++) {
            list.add(new Endpoint(new HostPort("10.1." + (i >> 8) + "." + (i & 0xff), 8080), 1 + i % 4));
            inFlight[i] = random.nextInt(20);
        }
        BalancerPolicy p = BalancerPolicy.valueOf(policy.toUpperCase(Locale.ROOT));
        BalancerConfig config = new BalancerConfig(p,
                p.isHashing() ? Optional.of(hashKey()) : Optional.empty(),
                BalancerConfig.DEFAULT_VIRTUAL_NODES, BalancerConfig.DEFAULT_TABLE_SIZE);
        EndpointLoad load = index -> inFlight[index];
        balancer = Balancers.factory().create(config, list, load);

        requests = new HttpRequest[REQUESTS];
        clients = new SocketAddress[REQUESTS];
        for (int r = 0; r < REQUESTS; r++) {
            HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
            headers.add("host", "shop.example.com");
            headers.add("user-agent", "Mozilla/5.0 (X11; Linux x86_64)");
            headers.add("accept", "application/json");
            headers.add("accept-encoding", "gzip, deflate");
            String session = new UUID(random.nextLong(), random.nextLong()).toString();
            headers.add("x-session-id", session);
            headers.add("cookie", "theme=dark; session=" + session + "; lang=en-GB");
            requests[r] = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/orders/" + r + "?page=2",
                    headers);
            clients[r] = new InetSocketAddress("192.0.2." + (r & 63), 40_000 + r);
        }
        for (int r = 0; r < REQUESTS; r++) {
            if (balancer.pick(requests[r], clients[r]).isEmpty()) {
                throw new IllegalStateException(policy + " picked nothing");
            }
        }
    }

    private HashKey hashKey() {
        switch (hashOn) {
            case "header":
                return new HashKey(HashKey.Source.HEADER, "x-session-id");
            case "cookie":
                return new HashKey(HashKey.Source.COOKIE, "session");
            case "client_ip":
                return new HashKey(HashKey.Source.CLIENT_IP, "");
            case "path":
                return new HashKey(HashKey.Source.PATH, "");
            default:
                throw new IllegalArgumentException("hashOn " + hashOn);
        }
    }

    @Benchmark
    public Optional<Endpoint> pick() {
        int r = next++ & (REQUESTS - 1);
        return balancer.pick(requests[r], clients[r]);
    }
}
