package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The exchange's life only moves forward, and DONE is final. */
class ExchangeStateTest {

    @Test
    void everyStateButDoneMayEndOrAnswer() {
        for (ExchangeState s : EnumSet.range(ExchangeState.ROUTING, ExchangeState.ATTEMPTING)) {
            assertThat(s.canMoveTo(ExchangeState.RESPONDING)).as(s.name()).isTrue();
            assertThat(s.canMoveTo(ExchangeState.DONE)).as(s.name()).isTrue();
        }
        assertThat(ExchangeState.RESPONDING.canMoveTo(ExchangeState.DONE)).isTrue();
    }

    @Test
    void noStateMovesBackNorStaysNorSkipsAdmission() {
        for (ExchangeState from : ExchangeState.values()) {
            for (ExchangeState to : ExchangeState.values()) {
                if (to.ordinal() <= from.ordinal()) {
                    assertThat(from.canMoveTo(to)).as(from + " -> " + to).isFalse();
                }
            }
        }
        // the attempts start only after the admission filters passed the request
        assertThat(ExchangeState.ROUTING.canMoveTo(ExchangeState.ATTEMPTING)).isFalse();
    }

    @Test
    void doneIsFinal() {
        Set<ExchangeState> next = EnumSet.allOf(ExchangeState.class).stream()
                .filter(ExchangeState.DONE::canMoveTo).collect(Collectors.toSet());
        assertThat(next).isEmpty();
    }
}
