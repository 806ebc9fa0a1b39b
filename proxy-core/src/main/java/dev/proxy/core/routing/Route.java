package dev.proxy.core.routing;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteConfig;
import dev.proxy.core.config.RouteMatch;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** A route compiled for matching. Immutable and shared by all event loops. */
public final class Route {
    private final int index;
    private final RouteConfig config;
    private final Pattern pathRegex;
    private final String[] headerNames;
    private final String[] headerValues;

    Route(int index, RouteConfig config) {
        this.index = index;
        this.config = requireNonNull(config, "config");
        PathMatch path = config.match().path();
        this.pathRegex = path.kind() == PathMatch.Kind.REGEX ? Pattern.compile(path.value()) : null;
        Map<String, String> headers = config.match().headers();
        this.headerNames = headers.keySet().toArray(new String[0]);
        this.headerValues = new String[headerNames.length];
        for (int i = 0; i < headerNames.length; i++) {
            headerValues[i] = headers.get(headerNames[i]);
        }
    }

    /** Position in the file; the lowest matching index wins. */
    public int index() {
        return index;
    }

    public String name() {
        return config.name();
    }

    public RouteConfig config() {
        return config;
    }

    /** Checks every condition; the index only narrows the candidates. {@code host} is lower case without port. */
    boolean matches(String host, String path, String method, HttpHeaders headers) {
        return hostMatches(host) && pathMatches(path) && methodMatches(method) && headersMatch(headers);
    }

    /**
     * Why this route does not take the request: the first condition that fails, in words; empty when it matches.
     * For explaining a routing decision, not for the request path.
     */
    public Optional<String> mismatch(String host, String path, String method, HttpHeaders headers) {
        RouteMatch m = config.match();
        if (!hostMatches(host)) {
            return Optional.of("host '" + host + "' is not " + m.host().get());
        }
        if (!pathMatches(path)) {
            PathMatch p = m.path();
            String how = switch (p.kind()) {
                case EXACT -> "is not";
                case PREFIX -> "does not start with";
                case REGEX -> "does not match the regex";
                default -> "does not match";
            };
            return Optional.of("path '" + path + "' " + how + " " + p.value());
        }
        if (!methodMatches(method)) {
            return Optional.of("method " + method + " is not one of " + new TreeSet<>(m.methods()));
        }
        for (int i = 0; i < headerNames.length; i++) {
            if (!headers.contains(headerNames[i], headerValues[i], false)) {
                String got = headers.get(headerNames[i]);
                return Optional.of("header " + headerNames[i] + (got == null ? " is missing" : " is not '"
                        + headerValues[i] + "'"));
            }
        }
        return Optional.empty();
    }

    boolean hostMatches(String host) {
        if (config.match().host().isEmpty()) {
            return true;
        }
        String h = config.match().host().get();
        if (h.startsWith("*.")) {
            return host.length() > h.length() - 1 && host.endsWith(h.substring(1));
        }
        return h.equals(host);
    }

    boolean pathMatches(String path) {
        PathMatch p = config.match().path();
        switch (p.kind()) {
            case EXACT: return p.value().equals(path);
            case PREFIX: return path.startsWith(p.value());
            case REGEX: return pathRegex.matcher(path).matches();
            default: return true;
        }
    }

    boolean methodMatches(String method) {
        return config.match().methods().isEmpty() || config.match().methods().contains(method);
    }

    boolean headersMatch(HttpHeaders headers) {
        for (int i = 0; i < headerNames.length; i++) {
            // contains compares each value whole; containsValue would split values at commas
            if (!headers.contains(headerNames[i], headerValues[i], false)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "Route[" + index + " " + config.name() + "]";
    }
}
