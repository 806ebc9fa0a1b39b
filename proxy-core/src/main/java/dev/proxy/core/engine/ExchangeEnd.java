package dev.proxy.core.engine;

import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;

/**
 * Tells everyone who heard of an exchange that it ended: its admission stage (each filter that passed it, so that a
 * concurrency permit comes back), the exchange's observer (metrics, access log, trace) and the route's (or the
 * snapshot's, for a request that matched no route). One that throws must not stop the others, nor the exchange's end.
 */
final class ExchangeEnd {
    private ExchangeEnd() {
    }

    /** @param admission the request's admission stage, or null when it was answered before it */
    static void tell(ExchangeFacts facts, Admission admission, ConfigSnapshot snapshot) {
        if (admission != null) {
            admission.end(facts, facts.status(), facts.error(), facts.durationNanos());
        }
        try {
            facts.observer().ended(facts);
        } catch (RuntimeException e) {
            ExchangeLog.partFailed("an observer", e);
        }
        try {
            RouteTarget target = facts.target();
            (target != null ? target.observer() : snapshot.unrouted()).ended(facts);
        } catch (RuntimeException e) {
            ExchangeLog.partFailed("a route observer", e);
        }
    }
}
