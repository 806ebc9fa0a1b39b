package dev.proxy.core.engine;

import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.routing.Route;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Answers "where would this request go, and why": the route that takes it (by the same normalisation and table the
 * request path uses), why each route before it and after it does or does not match, and, for each of the route's
 * clusters, the endpoint the balancer would pick now. For the admin API; never on the request path.
 */
public final class RouteExplainer {
    /** One route of the table, in file order, and whether it takes the request. */
    public record Candidate(int index, String route, boolean matches, String reason) {
    }

    /**
     * One cluster of the chosen route.
     *
     * @param picked the endpoint the balancer picks for this request now, empty when none is available
     * @param pickedZone the zone of that endpoint, when it has one
     * @param zones how zone-aware balancing splits the cluster's requests over zones now; empty when it is off
     * @param subset for a route with an {@code endpointSelector}, which endpoints it selects, in words (then
     *     {@code endpoints} and {@code available} count those)
     */
    public record ClusterChoice(String cluster, int weight, int endpoints, int available, Optional<String> picked,
                                Optional<String> pickedZone, Optional<ZoneSplit> zones, Optional<String> subset) {
        /** A choice in a cluster that does not balance by zone, of an endpoint without a zone, without a selector. */
        public ClusterChoice(String cluster, int weight, int endpoints, int available, Optional<String> picked) {
            this(cluster, weight, endpoints, available, picked, Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /**
     * @param route the route that takes the request; empty when none does, or the request is invalid
     * @param problem why the request cannot be routed at all (an invalid target), or empty
     */
    public record Explanation(String host, String path, String method, Optional<String> route,
                              List<Candidate> routes, List<ClusterChoice> clusters, Optional<String> problem) {
    }

    private RouteExplainer() {
    }

    /**
     * Explains {@code method uri} with {@code headers} (a {@code Host} among them, or none) coming from
     * {@code client}, against {@code snapshot}. Picking an endpoint is a real pick: a round-robin balancer moves on by
     * one, as it would for the request.
     */
    public static Explanation explain(ConfigSnapshot snapshot, String method, String uri, HttpHeaders headers,
                                      InetSocketAddress client) {
        RequestTarget target = RequestTarget.parse(uri, headers.get(HttpHeaderNames.HOST));
        if (target == null) {
            return new Explanation(headers.get(HttpHeaderNames.HOST, ""), uri, method, Optional.empty(), List.of(),
                    List.of(), Optional.of("not a request target the proxy accepts: use /path or http://host/path"));
        }
        List<Candidate> candidates = new ArrayList<>();
        for (Route r : snapshot.routes().routes()) {
            Optional<String> why = r.mismatch(target.host(), target.path(), method, headers);
            candidates.add(new Candidate(r.index(), r.name(), why.isEmpty(), why.orElse("matches")));
        }
        Optional<RouteTarget> chosen = snapshot.match(target.host(), target.path(), method, headers);
        List<ClusterChoice> clusters = new ArrayList<>();
        chosen.ifPresent(t -> {
            HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri);
            request.headers().set(headers);
            List<Cluster> cs = t.clusters();
            for (int i = 0; i < cs.size(); i++) {
                Cluster c = cs.get(i);
                Optional<Endpoint> picked = c.balancer().pick(request, client);
                clusters.add(new ClusterChoice(c.name(), t.weight(i), c.endpoints().size(), c.availableCount(),
                        picked.map(Endpoint::toString), picked.flatMap(Endpoint::zone), c.balancer().zoneSplit(),
                        c.subsetDecision()));
            }
        });
        return new Explanation(target.host(), target.path(), method, chosen.map(t -> t.route().name()),
                candidates, clusters, Optional.empty());
    }
}
