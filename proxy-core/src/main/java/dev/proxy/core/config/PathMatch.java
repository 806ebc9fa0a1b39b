package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

/** How a route matches the request path (the part before {@code ?}). */
public record PathMatch(Kind kind, String value) {
    /** The kinds of path condition, in the order the config keys name them. */
    public enum Kind { ANY, EXACT, PREFIX, REGEX }

    public static final PathMatch ANY = new PathMatch(Kind.ANY, "/");

    public PathMatch {
        requireNonNull(kind, "kind");
        requireNonNull(value, "value");
    }
}
