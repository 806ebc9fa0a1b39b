package dev.proxy.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.RetryOn;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UpstreamOutcomeTest {

    @Test
    void onlyGatewayErrorsAmongStatusesFailTheEndpoint() {
        assertThat(UpstreamOutcome.ofStatus(502)).isEqualTo(UpstreamOutcome.GATEWAY_ERROR);
        assertThat(UpstreamOutcome.ofStatus(503)).isEqualTo(UpstreamOutcome.GATEWAY_ERROR);
        assertThat(UpstreamOutcome.ofStatus(504)).isEqualTo(UpstreamOutcome.GATEWAY_ERROR);
        assertThat(UpstreamOutcome.ofStatus(500)).isEqualTo(UpstreamOutcome.ANSWERED);
        assertThat(UpstreamOutcome.ofStatus(429)).isEqualTo(UpstreamOutcome.ANSWERED);
        assertThat(UpstreamOutcome.ofStatus(200).failsEndpoint()).isFalse();
        assertThat(UpstreamOutcome.GATEWAY_ERROR.failsEndpoint()).isTrue();
    }

    @Test
    void endpointFailuresAreTheUpstreamsDoingAndNothingElse() {
        Set<ProxyError> failing = EnumSet.allOf(ProxyError.class).stream()
                .filter(e -> UpstreamOutcome.of(e).failsEndpoint()).collect(Collectors.toSet());
        assertThat(failing).containsExactlyInAnyOrder(ProxyError.UPSTREAM_CONNECT_FAILURE,
                ProxyError.UPSTREAM_CONNECT_TIMEOUT, ProxyError.UPSTREAM_TLS_FAILURE, ProxyError.UPSTREAM_RESET,
                ProxyError.UPSTREAM_BAD_RESPONSE, ProxyError.UPSTREAM_RESPONSE_TIMEOUT,
                ProxyError.UPSTREAM_PER_TRY_TIMEOUT, ProxyError.UPSTREAM_IDLE_TIMEOUT, ProxyError.ROUTE_TIMEOUT);
    }

    @Test
    void dropsAreTimeoutsAndShedRequests() {
        Set<ProxyError> drops = EnumSet.allOf(ProxyError.class).stream()
                .filter(e -> UpstreamOutcome.of(e).isDrop()).collect(Collectors.toSet());
        assertThat(drops).containsExactlyInAnyOrder(ProxyError.OVERLOADED, ProxyError.ROUTE_TIMEOUT,
                ProxyError.UPSTREAM_CONNECT_TIMEOUT, ProxyError.UPSTREAM_RESPONSE_TIMEOUT,
                ProxyError.UPSTREAM_PER_TRY_TIMEOUT, ProxyError.UPSTREAM_IDLE_TIMEOUT);
    }

    @Test
    void anOpenBreakerAnEmptyClusterAndTheRouteDeadlineAreNeverRetried() {
        assertThat(ProxyError.CIRCUIT_OPEN.retriedAs()).isNull();
        assertThat(ProxyError.NO_ENDPOINT.retriedAs()).isNull();
        assertThat(ProxyError.ROUTE_TIMEOUT.retriedAs()).isNull();
        assertThat(ProxyError.UPSTREAM_TLS_FAILURE.retriedAs()).isNull();
        assertThat(ProxyError.CLIENT_CLOSED.retriedAs()).isNull();
        assertThat(ProxyError.POOL_ACQUIRE_TIMEOUT.retriedAs()).isEqualTo(RetryOn.CONNECT_FAILURE);
        assertThat(ProxyError.UPSTREAM_RESET.retriedAs()).isEqualTo(RetryOn.RESET);
        assertThat(ProxyError.UPSTREAM_IDLE_TIMEOUT.retriedAs()).isEqualTo(RetryOn.TIMEOUT);
    }

    @Test
    void everyRetriedErrorIsAnAttemptThatFailedBeforeAnAnswer() {
        for (ProxyError e : ProxyError.values()) {
            if (e.retriedAs() != null) {
                assertThat(e.status().code()).as(e.name()).isIn(502, 503, 504);
            }
        }
    }
}
