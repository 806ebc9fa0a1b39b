package dev.proxy.resilience.fault;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.FaultConfig;
import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Injects faults into a share of a route's requests, for resilience drills: an abort answers the request with the
 * configured status ({@code fault_injected}) without reaching the upstream; a delay holds it back before it goes on.
 * A request is aborted with probability {@code abort.percent / 100}; one that is not is delayed with probability
 * {@code delay.percent / 100}. With {@code onlyWithHeader}, requests without that header are never touched.
 *
 * <p>Thread-safe, lock-free and allocation-free: both verdicts are built once; the random source is injected so that
 * tests decide the draws.
 */
public final class FaultFilter implements RequestFilter {
    /** The production random source; {@link ThreadLocalRandom}, so event loops share no state. */
    public static final DoubleSupplier THREAD_LOCAL_RANDOM = () -> ThreadLocalRandom.current().nextDouble();

    private final double abortShare;
    private final Verdict abort;
    private final double delayShare;
    private final Verdict delay;
    private final String onlyWithHeader;
    private final DoubleSupplier random;

    /**
     * @param random returns a uniformly random double in {@code [0, 1)}; called from every event loop at once
     */
    public FaultFilter(FaultConfig config, DoubleSupplier random) {
        requireNonNull(config, "config");
        this.random = requireNonNull(random, "random");
        this.abortShare = config.abort().map(a -> a.percent() / 100).orElse(0.0);
        this.abort = config.abort()
                .map(a -> Verdict.reject(ProxyError.FAULT_INJECTED, HttpResponseStatus.valueOf(a.status()), null))
                .orElse(null);
        // a zero duration is no delay (and Verdict.delay wants a positive one)
        long delayNanos = config.delay().map(d -> d.duration().toNanos()).orElse(0L);
        this.delayShare = delayNanos > 0 ? config.delay().get().percent() / 100 : 0.0;
        this.delay = delayNanos > 0 ? Verdict.delay(delayNanos) : null;
        this.onlyWithHeader = config.onlyWithHeader().orElse(null);
    }

    /** A filter drawing from {@link #THREAD_LOCAL_RANDOM}. */
    public FaultFilter(FaultConfig config) {
        this(config, THREAD_LOCAL_RANDOM);
    }

    @Override
    public Verdict onRequest(RequestInfo request) {
        if (onlyWithHeader != null && !request.request().headers().contains(onlyWithHeader)) {
            return Verdict.PASS;
        }
        if (abortShare > 0 && random.getAsDouble() < abortShare) {
            return abort;
        }
        if (delayShare > 0 && random.getAsDouble() < delayShare) {
            return delay;
        }
        return Verdict.PASS;
    }

    @Override
    public String toString() {
        return "FaultFilter[abort " + abortShare * 100 + "% " + abort + ", delay " + delayShare * 100 + "% " + delay
                + (onlyWithHeader == null ? "" : ", only with " + onlyWithHeader) + "]";
    }
}
