package dev.proxy.core.observe;

/**
 * Hears the requests of one route, or of those that matched none ({@link ProxyObserver#unrouted}), as each ends.
 * Asked for once per route name and kept on the route's runtime target, so the engine hands it each request without
 * looking anything up. Shared by every event loop: thread-safe, non-blocking.
 */
@FunctionalInterface
public interface RouteObserver {
    /** Observes nothing. */
    RouteObserver NONE = record -> {
    };

    /**
     * A request of this route has ended; {@code record} is valid only during this call. Called on the request's
     * event loop, right after {@link ExchangeObserver#ended}.
     */
    void ended(ExchangeRecord record);
}
