package dev.proxy.core.engine;

/**
 * The life of one {@link ProxyExchange}, in order. Each state may move only forward, to the states its
 * {@link #canMoveTo} allows; the request ({@link RequestBody.Received}, {@link RequestBody.Sent}), the response
 * ({@link ResponseRelay.State}) and the attempt ({@link AttemptLoop.State}) each have their own.
 *
 * <pre>
 *  ROUTING ──▶ ADMITTING ──▶ ATTEMPTING ──▶ RESPONDING ──▶ DONE
 *     │            │  ▲ delay      │ ▲ retry      ▲           ▲
 *     │            │  └──┘         │ └─┘          │           │
 *     └────────────┴───────────────┴──────────────┘           │
 *        refused / rejected / failed: the proxy's own answer   │
 *              (any state but DONE)  ──────────────────────────┘ cut, or the client left
 * </pre>
 */
enum ExchangeState {
    /** The head is checked and routed; a route may answer by itself (redirect, direct response). */
    ROUTING,
    /** The route's admission filters run (concurrency limit, rate limit, fault); one may delay the request. */
    ADMITTING,
    /** Attempts at the cluster: breaker, balancer, pool, the request sent, the response head awaited; retries. */
    ATTEMPTING,
    /** A response, the upstream's or the proxy's own, is going to the client. */
    RESPONDING,
    /** Ended: connection returned or closed, filters and observers told, the client side told. Final. */
    DONE;

    /** Whether the exchange may move from this state to {@code next}. */
    boolean canMoveTo(ExchangeState next) {
        return switch (this) {
            case ROUTING -> next == ADMITTING || next == RESPONDING || next == DONE;
            case ADMITTING -> next == ATTEMPTING || next == RESPONDING || next == DONE;
            case ATTEMPTING -> next == RESPONDING || next == DONE;
            case RESPONDING -> next == DONE;
            case DONE -> false;
        };
    }
}
