package dev.proxy.core.engine;

import dev.proxy.core.filter.RequestFilter;
import dev.proxy.core.filter.RequestInfo;
import dev.proxy.core.filter.Verdict;
import dev.proxy.core.runtime.RouteTarget;

/**
 * The admission stage of one request: the route's filters in chain order, as the snapshot composed them once for
 * the route (the proxy-wide concurrency limit, then the route's concurrency limit, rate limit and fault), each
 * passing, delaying or rejecting the request; at the end, each filter that passed it is told how it ended, so that
 * what it holds (a concurrency permit) comes back. Confined to the client's event loop.
 */
final class Admission {

    /** Where the request stands after {@link #run}. */
    enum Step {
        /** Every filter passed it: the attempts may start. */
        PASSED,
        /** A filter delays it ({@link #verdict} says how long); {@link #run} is called again after. */
        DELAYED,
        /** A filter rejected it with {@link #verdict}'s error, status and headers. */
        REJECTED
    }

    private final RouteTarget target;
    private int passed;
    private Verdict verdict;

    Admission(RouteTarget target) {
        this.target = target;
    }

    /**
     * Runs the filters not passed yet. A filter that throws is the proxy's fault: the exception goes to the caller,
     * and the filters that passed the request before it are still told of its end.
     */
    Step run(RequestInfo request) {
        for (int i = passed; i < target.filterCount(); i++) {
            Verdict v = target.filter(i).onRequest(request);
            verdict = v;
            if (v.rejects()) {
                return Step.REJECTED;
            }
            // a filter that asks to be asked again has not passed the request yet
            passed = v.asksAgain() ? i : i + 1;
            if (!v.passes()) {
                return Step.DELAYED;
            }
        }
        return Step.PASSED;
    }

    /** The verdict of the filter that delayed or rejected the request, or of the last one run. */
    Verdict verdict() {
        return verdict;
    }

    /** Tells each filter that passed the request how it ended; one that throws must not stop the others. */
    void end(RequestInfo request, int status, dev.proxy.core.ProxyError error, long durationNanos) {
        for (int i = 0; i < passed; i++) {
            RequestFilter filter = target.filter(i);
            try {
                filter.onEnd(request, status, error, durationNanos);
            } catch (RuntimeException e) {
                ExchangeLog.partFailed("filter " + i + " of route " + target.route().config().name(), e);
            }
        }
    }
}
