package dev.proxy.core.config;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads a route's {@code redirect} and {@code directResponse}: the answers the proxy gives itself. Stateless. */
final class AnswerReader {
    static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 303, 307, 308);
    private static final Pattern HOST = Pattern.compile(
            "[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    /** What a path may hold as it is put into a Location header: no spaces, controls, '?' or '#'. */
    private static final Pattern PATH = Pattern.compile("/[!$&'()*+,;=:@%/A-Za-z0-9._~-]*");

    private AnswerReader() {
    }

    /** @param prefixMatch whether the route matches a path prefix, which {@code prefixRewrite} needs */
    static RedirectConfig redirect(ConfigNode n, boolean prefixMatch) {
        Optional<String> scheme = n.string("scheme").map(s -> s.toLowerCase(Locale.ROOT));
        if (scheme.isPresent() && !scheme.get().equals("http") && !scheme.get().equals("https")) {
            n.problem("scheme", "'" + scheme.get() + "' is not http or https");
        }
        Optional<String> host = n.string("host").map(h -> h.toLowerCase(Locale.ROOT));
        if (host.isPresent() && !HOST.matcher(host.get()).matches()) {
            n.problem("host", "'" + host.get() + "' is not a host name (give a port under port)");
        }
        OptionalInt port = n.has("port") ? OptionalInt.of(n.integer("port", 443, 1, 65_535)) : OptionalInt.empty();
        Optional<String> path = n.string("path");
        Optional<String> prefix = n.string("prefixRewrite");
        path.ifPresent(p -> checkPath(n, "path", p));
        prefix.ifPresent(p -> checkPath(n, "prefixRewrite", p));
        if (path.isPresent() && prefix.isPresent()) {
            n.problem("prefixRewrite", "give either path or prefixRewrite, not both");
        } else if (prefix.isPresent() && !prefixMatch) {
            n.problem("prefixRewrite", "needs match.pathPrefix: only a matched prefix can be rewritten");
        }
        int status = n.integer("status", 301, 100, 599);
        if (!REDIRECT_STATUSES.contains(status)) {
            n.problem("status", status + " is not a redirect status: 301, 302, 303, 307 or 308");
        }
        if (scheme.isEmpty() && host.isEmpty() && port.isEmpty() && path.isEmpty() && prefix.isEmpty()) {
            n.problem(null, "give at least one of scheme, host, port, path and prefixRewrite: a redirect to the"
                    + " same URL would loop");
        }
        n.finish();
        return new RedirectConfig(scheme, host, port, path, prefix, status);
    }

    static DirectResponseConfig directResponse(ConfigNode n) {
        int status = n.integer("status", 200, 200, 599);
        String body = n.string("body", "");
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            n.problem("body", "is longer than 64KiB");
            body = "";
        }
        if ((status == 204 || status == 304) && !body.isEmpty()) {
            n.problem("body", "a " + status + " has no body");
        }
        String contentType = n.string("contentType", "text/plain; charset=utf-8");
        try {
            HeaderValue value = HeaderValue.parse(contentType);
            if (!value.isLiteral() || contentType.isBlank()) {
                n.problem("contentType", "must be a media type such as text/html; charset=utf-8");
            }
        } catch (IllegalArgumentException e) {
            n.problem("contentType", e.getMessage());
        }
        n.finish();
        return new DirectResponseConfig(status, body, contentType);
    }

    /**
     * Reports the route keys that would never run beside {@code answer}: the answer comes before the filters and
     * without an upstream.
     */
    static void refuseForwardingKeys(ConfigNode route, String answer, HeadersConfig headers) {
        String why = "does not apply to a route with " + answer + ", which answers without an upstream";
        for (String key : List.of("rewrite", "perTryTimeout", "deadlineHeader", "retry", "rateLimit",
                "concurrencyLimit", "fault", "mirror")) {
            if (route.has(key)) {
                route.problem(key, why);
            }
        }
        if (!headers.request().isEmpty()) {
            route.problem("headers.request", why);
        }
    }

    private static void checkPath(ConfigNode n, String key, String path) {
        if (!PATH.matcher(path).matches()) {
            n.problem(key, "'" + path + "' must start with / and hold only URL path characters (no spaces, ? or #)");
        }
    }
}
