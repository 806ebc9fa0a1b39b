package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a request must look like to take a route. Every present condition must hold.
 *
 * @param host an exact host ({@code api.example.com}) or a wildcard suffix ({@code *.example.com}); lower case
 * @param methods upper-case method names; empty means any
 * @param headers header name (lower case) to exact value
 */
public record RouteMatch(Optional<String> host, PathMatch path, Set<String> methods, Map<String, String> headers) {
    public RouteMatch {
        requireNonNull(host, "host");
        requireNonNull(path, "path");
        methods = Set.copyOf(methods);
        headers = Map.copyOf(headers);
    }
}
