package dev.proxy.core.routing;

import dev.proxy.core.config.PathMatch;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes of one host bucket, indexed by path: exact paths in a hash map, prefixes in a character trie, and the
 * rest (regex) in a list. Finds the lowest-indexed route that matches, so file order decides. Immutable.
 */
final class PathIndex {
    private final Map<String, Route[]> exact;
    private final TrieNode prefixes;
    private final Route[] scanned;

    PathIndex(List<Route> routes) {
        Map<String, List<Route>> exactLists = new HashMap<>();
        TrieBuilder trie = new TrieBuilder();
        List<Route> scan = new ArrayList<>();
        for (Route r : routes) {
            PathMatch p = r.config().match().path();
            switch (p.kind()) {
                case EXACT -> exactLists.computeIfAbsent(p.value(), k -> new ArrayList<>()).add(r);
                case PREFIX -> trie.add(p.value(), r);
                case ANY -> trie.add("", r);
                default -> scan.add(r);
            }
        }
        this.exact = new HashMap<>();
        exactLists.forEach((k, v) -> exact.put(k, v.toArray(new Route[0])));
        this.prefixes = trie.build();
        this.scanned = scan.toArray(new Route[0]);
    }

    /** The first matching route with an index below {@code bound}, or null. */
    Route first(String host, String path, String method, HttpHeaders headers, Route bound) {
        Route best = bound;
        best = firstOf(exact.get(path), host, path, method, headers, best);
        TrieNode node = prefixes;
        int i = 0;
        while (node != null) {
            best = firstOf(node.routes, host, path, method, headers, best);
            if (i == path.length()) {
                break;
            }
            node = node.child(path.charAt(i++));
        }
        return firstOf(scanned, host, path, method, headers, best);
    }

    private static Route firstOf(Route[] candidates, String host, String path, String method, HttpHeaders headers,
                                 Route best) {
        if (candidates == null) {
            return best;
        }
        for (Route r : candidates) {
            if (best != null && r.index() >= best.index()) {
                return best;
            }
            if (r.matches(host, path, method, headers)) {
                return r;
            }
        }
        return best;
    }

    /** A trie node: children by character, and the routes whose prefix ends here, in file order. */
    private static final class TrieNode {
        final char[] keys;
        final TrieNode[] children;
        final Route[] routes;

        TrieNode(char[] keys, TrieNode[] children, Route[] routes) {
            this.keys = keys;
            this.children = children;
            this.routes = routes;
        }

        TrieNode child(char c) {
            char[] k = keys;
            for (int i = 0; i < k.length; i++) {
                if (k[i] == c) {
                    return children[i];
                }
            }
            return null;
        }
    }

    private static final class TrieBuilder {
        final Map<Character, TrieBuilder> children = new HashMap<>();
        final List<Route> routes = new ArrayList<>();

        void add(String prefix, Route route) {
            TrieBuilder node = this;
            for (int i = 0; i < prefix.length(); i++) {
                node = node.children.computeIfAbsent(prefix.charAt(i), c -> new TrieBuilder());
            }
            node.routes.add(route);
        }

        TrieNode build() {
            char[] keys = new char[children.size()];
            TrieNode[] kids = new TrieNode[children.size()];
            int i = 0;
            for (Map.Entry<Character, TrieBuilder> e : children.entrySet()) {
                keys[i] = e.getKey();
                kids[i++] = e.getValue().build();
            }
            return new TrieNode(keys, kids, routes.isEmpty() ? null : routes.toArray(new Route[0]));
        }
    }
}
