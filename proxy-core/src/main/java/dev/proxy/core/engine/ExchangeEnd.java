package dev.proxy.core.engine;

import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;

/**
 * Tells everyone who heard of an exchange that it ended: each admission filter that passed it (in chain order, so
 * that a concurrency permit comes back), the exchange's observer (metrics, access log, trace) and the route's (or the
 * snapshot's, for a request that matched no route). One that throws must not stop the others, nor the exchange's end.
 */
final class ExchangeEnd {
    private ExchangeEnd() {
    }

    static void tell(ExchangeFacts facts, int filtersPassed, ConfigSnapshot snapshot) {
        RouteTarget target = facts.target();
        long took = facts.durationNanos();
        for (int i = 0; i < filtersPassed; i++) {
            try {
                target.filter(i).onEnd(facts, facts.status(), facts.error(), took);
            } catch (RuntimeException e) {
                ExchangeLog.partFailed("filter " + i + " of route " + facts.routeName(), e);
            }
        }
        try {
            facts.observer().ended(facts);
        } catch (RuntimeException e) {
            ExchangeLog.partFailed("an observer", e);
        }
        try {
            (target != null ? target.observer() : snapshot.unrouted()).ended(facts);
        } catch (RuntimeException e) {
            ExchangeLog.partFailed("a route observer", e);
        }
    }
}
