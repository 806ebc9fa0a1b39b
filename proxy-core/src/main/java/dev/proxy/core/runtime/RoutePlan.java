package dev.proxy.core.runtime;

import dev.proxy.core.config.MirrorConfig;
import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import java.util.Optional;

/**
 * What a request on one route needs of its configuration, compiled once per snapshot so that the request path reads
 * plain fields instead of walking config records and converting durations: the deadline and per-try time in
 * nanoseconds, the body limit, the deadline header, the prefix the path rewrite replaces, and the mirror's sample.
 * Immutable; read from every event loop.
 *
 * @param timeoutNanos the route's {@code timeout}; {@link #NO_TIMEOUT} for none
 * @param perTryNanos the route's {@code perTryTimeout}; {@link #NO_TIMEOUT} for none
 * @param maxBodySize the request body limit
 * @param deadlineHeader the header that tells the upstream the milliseconds left, if any
 * @param rewrittenPrefix the matched prefix that {@code rewrite.pathPrefix} replaces, if the route rewrites it
 * @param newPrefix what replaces it
 * @param mirrorPercent the share of requests copied to the mirror, 0 without one
 * @param mirrorMaxBodySize the largest body a copy carries
 */
public record RoutePlan(long timeoutNanos, long perTryNanos, long maxBodySize, Optional<String> deadlineHeader,
                        Optional<String> rewrittenPrefix, String newPrefix, double mirrorPercent,
                        long mirrorMaxBodySize) {
    /**
     * A time limit that is not set: the config's {@code Duration.ZERO} in nanoseconds. A constant rather than an
     * {@code OptionalLong}, as every request reads the plan and a present one is not free to carry.
     */
    public static final long NO_TIMEOUT = 0;

    /** Whether the route has a {@code timeout}. */
    public boolean hasTimeout() {
        return timeoutNanos != NO_TIMEOUT;
    }

    /** The plan of {@code route}; built by the snapshot, once. */
    public static RoutePlan of(RouteConfig route) {
        Optional<String> newPrefix = route.rewrite().pathPrefix();
        boolean rewrites = newPrefix.isPresent() && matchesByPrefix(route);
        Optional<MirrorConfig> mirror = route.policies().mirror();
        return new RoutePlan(route.timeout().toNanos(), route.policies().perTryTimeout().toNanos(),
                route.maxBodySize(), route.policies().deadlineHeader(),
                rewrites ? Optional.of(route.match().path().value()) : Optional.empty(), newPrefix.orElse(""),
                mirror.map(MirrorConfig::percent).orElse(0.0), mirror.map(MirrorConfig::maxBodySize).orElse(0L));
    }

    /**
     * The path sent upstream: the prefix the route matched replaced by {@code rewrite.pathPrefix}, one slash where
     * both meet with one, {@code /} for nothing at all; unchanged when the route does not rewrite.
     */
    public String upstreamPath(String path) {
        return rewrittenPrefix.isEmpty() ? path : replacePrefix(rewrittenPrefix.get(), newPrefix, path);
    }

    /**
     * {@code path} with the prefix {@code route} matched replaced by {@code prefix} (see {@link #replacePrefix}); a
     * route that does not match by prefix leaves it alone. A redirect's {@code prefixRewrite}.
     */
    public static String replaceMatchedPrefix(RouteConfig route, String prefix, String path) {
        return matchesByPrefix(route) ? replacePrefix(route.match().path().value(), prefix, path) : path;
    }

    private static boolean matchesByPrefix(RouteConfig route) {
        return route.match().path().kind() == PathMatch.Kind.PREFIX;
    }

    /**
     * {@code path} with {@code matched} (the prefix it starts with) replaced by {@code prefix}: one slash where the
     * new prefix ends and the rest starts with one, {@code /} for nothing at all. Shared by {@code rewrite.pathPrefix}
     * and a redirect's {@code prefixRewrite}.
     */
    public static String replacePrefix(String matched, String prefix, String path) {
        String rest = path.substring(matched.length());
        if (prefix.endsWith("/") && rest.startsWith("/")) {
            return prefix + rest.substring(1);
        }
        String result = prefix + rest;
        return result.isEmpty() ? "/" : result;
    }
}
