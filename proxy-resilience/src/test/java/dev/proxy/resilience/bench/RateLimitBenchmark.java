package dev.proxy.resilience.bench;

import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import dev.proxy.resilience.ratelimit.RateLimitFilter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
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
 * Cost of one admission by a {@link RateLimitFilter} that every benchmark thread shares, as every event loop shares a
 * route's limit: run it with {@code -t 1}, {@code -t 2} and {@code -t 4} to see what contention on one limit costs.
 * {@code limit=route} is one limit for all; {@code limit=client_ip} keys it by client address, with all threads
 * sending as the same client (the worst case: one key's limiter contended). The limit is set so high that nearly
 * every request is admitted, as on a route that is rarely over its limit. One operation is one decided request.
 *
 * <p>Not a test: surefire skips it by name. Run it with
 * {@code deploy/bench/jmh.sh proxy-resilience RateLimitBenchmark -t 4}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RateLimitBenchmark {
    @Param({"route", "client_ip"})
    public String limit;

    private RateLimitFilter filter;
    private RequestInfo request;

    @Setup
    public void setUp() {
        boolean byIp = limit.equals("client_ip");
        filter = new RateLimitFilter(new RateLimitConfig(1e9, 1_000_000_000, byIp, Optional.empty(), 100_000,
                Duration.ofMinutes(10)), System::nanoTime);
        HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        InetSocketAddress client = new InetSocketAddress("192.0.2.1", 40000);
        request = new RequestInfo() {
            @Override
            public HttpRequest request() {
                return head;
            }

            @Override
            public InetSocketAddress client() {
                return client;
            }

            @Override
            public String routeName() {
                return "r";
            }
        };
    }

    /**
     * One decided request: a request that the filter asks to ask again (another thread held the limiter) is asked
     * again after {@link Thread#yield}, as the proxy asks on the next turn of its event loop, after other work.
     */
    @Benchmark
    public Verdict admit() {
        Verdict v = filter.onRequest(request);
        while (v.asksAgain()) {
            Thread.yield();
            v = filter.onRequest(request);
        }
        return v;
    }
}
