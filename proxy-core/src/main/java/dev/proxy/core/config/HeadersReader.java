package dev.proxy.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a route's {@code headers} block. Refuses, with the key's path, the names no edit may touch: the hop-by-hop
 * and framing headers the proxy itself manages for each hop, {@code Host} (use {@code rewrite.host}), and the
 * forwarding headers the proxy writes after the edits ({@code X-Forwarded-Proto}, {@code X-Forwarded-Host},
 * {@code X-Forwarded-For} and {@code Via} may be removed from a request, not set or added). Stateless.
 */
final class HeadersReader {
    /** Connection-specific or framing headers (RFC 9110 §7.6.1, RFC 9112 §6), and Host. */
    private static final Set<String> NEVER = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "host");
    /** Written by the proxy after the request edits; removing the client's value is allowed. */
    private static final Set<String> WRITTEN_BY_PROXY = Set.of("x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "via");

    private HeadersReader() {
    }

    static HeadersConfig read(ConfigNode n) {
        HeaderEditConfig request = direction(n.object("request"), true);
        HeaderEditConfig response = direction(n.object("response"), false);
        n.finish();
        return new HeadersConfig(request, response);
    }

    private static HeaderEditConfig direction(ConfigNode n, boolean request) {
        Map<String, HeaderValue> set = values(n, "set", request);
        Map<String, HeaderValue> add = values(n, "add", request);
        List<String> remove = new ArrayList<>();
        for (String name : n.strings("remove")) {
            String lower = name.toLowerCase(Locale.ROOT);
            refusal(lower, request, false).ifPresentOrElse(why -> n.problem("remove", "'" + name + "' " + why),
                    () -> remove.add(lower));
        }
        n.finish();
        return new HeaderEditConfig(set, add, remove);
    }

    private static Map<String, HeaderValue> values(ConfigNode n, String key, boolean request) {
        Map<String, HeaderValue> result = new LinkedHashMap<>();
        n.stringMap(key).forEach((name, text) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            Optional<String> refused = refusal(lower, request, true);
            if (refused.isPresent()) {
                n.problem(key + "." + name, refused.get());
                return;
            }
            if (text.isEmpty()) {
                n.problem(key + "." + name, "needs a value; to drop the header, list it under remove");
                return;
            }
            try {
                result.put(lower, HeaderValue.parse(text));
            } catch (IllegalArgumentException e) {
                n.problem(key + "." + name, e.getMessage());
            }
        });
        return result;
    }

    /** Why {@code name} may not be edited this way, or empty when it may. */
    private static Optional<String> refusal(String name, boolean request, boolean writes) {
        if (!ConfigNode.TOKEN.matcher(name).matches()) {
            return Optional.of("is not a header name");
        }
        if (NEVER.contains(name) || name.startsWith("proxy-")) {
            return Optional.of(name.equals("host")
                    ? "is the proxy's to write: change it with the route's rewrite.host"
                    : "is a hop-by-hop or framing header, which the proxy manages for each connection");
        }
        if (writes && WRITTEN_BY_PROXY.contains(name)) {
            return Optional.of("is written by the proxy after the edits"
                    + (request ? "; it may only be removed (the client's value)" : ""));
        }
        return Optional.empty();
    }
}
