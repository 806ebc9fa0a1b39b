package dev.proxy.resilience.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.RateLimitConfig;
import dev.proxy.core.config.RedisConfig;
import dev.proxy.core.filter.Verdict;
import dev.proxy.resilience.TestRequest;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Global rate limits against a real redis-server on a free loopback port: several replicas (each its own Redis
 * connection and limiter, as separate proxy processes would have) sharing one limit, and Redis killed and restarted
 * under load.
 */
class GlobalRateLimitIntegrationTest {
    private RedisProcess redis;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        assumeTrue(RedisProcess.installed(), "redis-server is not installed");
        redis = RedisProcess.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private RedisTokenSource source(Duration timeout) {
        RedisTokenSource source = RedisTokenSource.create(new RedisConfig(URI.create(redis.url()), Optional.empty(),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(2), timeout));
        closeables.add(source);
        return source;
    }

    private static RateLimitConfig global(double perSecond, int burst, boolean failOpen) {
        return new RateLimitConfig(perSecond, burst, false, Optional.empty(), 100, Duration.ofMinutes(10),
                Duration.ZERO, true, failOpen);
    }

    /** Asks until the filter decides, as the exchange would (a millisecond between asks); counts the asks. */
    private static Verdict decide(GlobalRateLimitFilter filter, AtomicLong asks) {
        TestRequest request = TestRequest.get();
        for (;;) {
            asks.incrementAndGet();
            Verdict v = filter.onRequest(request);
            if (!v.asksAgain()) {
                return v;
            }
            LockSupport.parkNanos(v.delayNanos());
        }
    }

    @Test
    void threeReplicasSharingA300PerSecondLimitAdmitWithinTheStatedTolerance() throws Exception {
        int replicas = 3;
        // 300/s in periods of 100 ms (burst 30); a generous timeout, so that a slow machine never falls back
        RateLimitConfig config = global(300, 30, true);
        List<GlobalRateLimitFilter> filters = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            filters.add(new GlobalRateLimitFilter("shared", config, source(Duration.ofSeconds(5)),
                    new GlobalLimitHealth(System::nanoTime), System::nanoTime));
        }
        AtomicLong admitted = new AtomicLong();
        AtomicLong offered = new AtomicLong();
        AtomicLong asks = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> load = new ArrayList<>();
        for (GlobalRateLimitFilter filter : filters) {
            // about 333 requests a second per replica, 1,000 in all
            Thread t = new Thread(() -> {
                while (running.get()) {
                    Verdict v = decide(filter, asks);
                    offered.incrementAndGet();
                    if (v.passes()) {
                        admitted.incrementAndGet();
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
            });
            load.add(t);
        }
        long start = System.nanoTime();
        load.forEach(Thread::start);
        Thread.sleep(6000);
        running.set(false);
        for (Thread t : load) {
            t.join(30_000);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        for (GlobalRateLimitFilter f : filters) {
            System.out.printf("replica: calls %d, errors %d, fallbacks %d, latency %d ms in all%n", f.health().calls(),
                    f.health().errors(), f.health().fallbacks(), f.health().latencyNanos() / 1_000_000);
        }
        System.out.printf("offered %d, admitted %d, asks %d%n", offered.get(), admitted.get(), asks.get());

        // the stated accuracy: at most requestsPerSecond x span + 2 x burst, here within 10 % over 6 s
        assertThat(admitted.get()).isLessThanOrEqualTo((long) (300 * seconds * 1.10));
        assertThat(admitted.get()).isLessThanOrEqualTo((long) (300 * seconds + 2 * 30 + 300 * 0.3));
        // the limit did bind, and it did let requests through
        assertThat(offered.get()).isGreaterThan(admitted.get());
        assertThat(admitted.get()).isGreaterThanOrEqualTo(Math.min(offered.get(), 300) / 2);
        for (GlobalRateLimitFilter f : filters) {
            assertThat(f.health().fallbacks()).isZero();
            assertThat(f.health().errors()).isZero();
        }
        System.out.printf("global limit 300/s, 3 replicas: offered %d, admitted %d in %.2f s = %.1f/s (%.2f%% of"
                + " the limit)%n", offered.get(), admitted.get(), seconds, admitted.get() / seconds,
                admitted.get() / seconds / 300 * 100);
    }

    @Test
    void redisKilledMidLoadFallsBackPerLimitWithoutHangingAndRecoversWhenItReturns() throws Exception {
        RedisTokenSource source = source(Duration.ofMillis(500));
        GlobalLimitHealth health = new GlobalLimitHealth(System::nanoTime);
        GlobalRateLimitFilter open = new GlobalRateLimitFilter("open", global(1000, 1000, true), source, health,
                System::nanoTime);
        GlobalRateLimitFilter closed = new GlobalRateLimitFilter("closed", global(1000, 1000, false), source, health,
                System::nanoTime);
        AtomicLong asks = new AtomicLong();
        assertThat(decide(open, asks).passes()).isTrue();
        assertThat(decide(closed, asks).passes()).isTrue();
        assertThat(health.degraded()).isFalse();

        redis.kill();
        // every request is decided, none hangs: fail-open admits, fail-closed answers 503 with its own reason
        poll(() -> {
            decide(open, asks);
            return decide(closed, asks).rejects();
        });
        Verdict refused = decide(closed, asks);
        assertThat(refused.error()).isEqualTo(ProxyError.RATE_LIMIT_UNAVAILABLE);
        assertThat(refused.status().code()).isEqualTo(503);
        assertThat(decide(open, asks).passes()).isTrue();
        assertThat(health.degraded()).isTrue();
        assertThat(health.errors()).isPositive();
        assertThat(health.fallbacks()).isPositive();

        redis.restart();
        // back: the fail-closed limit admits again from Redis, and readiness is no longer degraded
        poll(() -> decide(closed, asks).passes() && !health.degraded());
        assertThat(decide(open, asks).passes()).isTrue();
    }

    /** Polls for up to 60 s, every 20 ms. */
    private static void poll(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
