package dev.proxy.resilience.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.ProxyError;
import dev.proxy.core.config.FaultConfig;
import dev.proxy.core.filter.Verdict;
import dev.proxy.resilience.TestRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.PrimitiveIterator;
import java.util.function.DoubleSupplier;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

class FaultFilterTest {
    private static final Optional<FaultConfig.Abort> ABORT_10 = Optional.of(new FaultConfig.Abort(10, 418));
    private static final Optional<FaultConfig.Delay> DELAY_50 =
            Optional.of(new FaultConfig.Delay(50, Duration.ofMillis(200)));

    /** Draws these numbers in turn, then fails the test if asked for more. */
    private static DoubleSupplier draws(double... values) {
        PrimitiveIterator.OfDouble it = DoubleStream.of(values).iterator();
        return it::nextDouble;
    }

    @Test
    void abortsWithTheConfiguredStatusWhenTheDrawFallsInsideThePercentage() {
        FaultFilter filter = new FaultFilter(new FaultConfig(Optional.empty(), ABORT_10, Optional.empty()),
                draws(0.05, 0.0999, 0.10, 0.7));

        Verdict first = filter.onRequest(TestRequest.get());
        assertThat(first.error()).isEqualTo(ProxyError.FAULT_INJECTED);
        assertThat(first.status()).isEqualTo(HttpResponseStatus.valueOf(418));
        assertThat(first.headers()).isNull();
        assertThat(filter.onRequest(TestRequest.get())).as("preallocated").isSameAs(first);
        assertThat(filter.onRequest(TestRequest.get())).isSameAs(Verdict.PASS);
        assertThat(filter.onRequest(TestRequest.get())).isSameAs(Verdict.PASS);
    }

    @Test
    void delaysWhenTheDrawFallsInsideTheDelayPercentage() {
        FaultFilter filter = new FaultFilter(new FaultConfig(DELAY_50, Optional.empty(), Optional.empty()),
                draws(0.3, 0.6));

        Verdict delayed = filter.onRequest(TestRequest.get());
        assertThat(delayed.delayNanos()).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(delayed.rejects()).isFalse();
        assertThat(filter.onRequest(TestRequest.get())).isSameAs(Verdict.PASS);
    }

    @Test
    void aRequestNotAbortedMayStillBeDelayed() {
        FaultFilter filter = new FaultFilter(new FaultConfig(DELAY_50, ABORT_10, Optional.empty()),
                draws(0.05, 0.5, 0.2, 0.5, 0.9));

        assertThat(filter.onRequest(TestRequest.get()).rejects()).isTrue();
        assertThat(filter.onRequest(TestRequest.get()).delayNanos()).isPositive();
        assertThat(filter.onRequest(TestRequest.get())).isSameAs(Verdict.PASS);
    }

    @Test
    void onlyTouchesRequestsCarryingTheHeaderWhenOneIsNamed() {
        FaultFilter filter = new FaultFilter(new FaultConfig(Optional.empty(), ABORT_10, Optional.of("x-chaos")),
                draws(0.0));

        assertThat(filter.onRequest(TestRequest.get())).as("no draw made").isSameAs(Verdict.PASS);
        assertThat(filter.onRequest(TestRequest.get().with("X-Chaos", "1")).rejects()).isTrue();
    }

    @Test
    void zeroAndHundredPercentAreNeverAndAlways() {
        FaultFilter never = new FaultFilter(new FaultConfig(Optional.empty(),
                Optional.of(new FaultConfig.Abort(0, 503)), Optional.empty()), () -> 0.0);
        FaultFilter always = new FaultFilter(new FaultConfig(Optional.empty(),
                Optional.of(new FaultConfig.Abort(100, 503)), Optional.empty()), () -> 0.9999999);

        assertThat(never.onRequest(TestRequest.get())).isSameAs(Verdict.PASS);
        assertThat(always.onRequest(TestRequest.get()).rejects()).isTrue();
    }

    @Test
    void abortsAboutThePercentageWithRealRandomness() {
        FaultFilter filter = new FaultFilter(new FaultConfig(Optional.empty(), ABORT_10, Optional.empty()));
        TestRequest request = TestRequest.get();
        int aborted = 0;
        for (int i = 0; i < 100_000; i++) {
            aborted += filter.onRequest(request).rejects() ? 1 : 0;
        }
        assertThat(aborted).isBetween(9_000, 11_000); // about ten standard deviations either side
    }
}
