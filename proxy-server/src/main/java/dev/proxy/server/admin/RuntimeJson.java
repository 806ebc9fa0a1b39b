package dev.proxy.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.balancer.ZoneSplit;
import dev.proxy.core.config.PathMatch;
import dev.proxy.core.config.RouteMatch;
import dev.proxy.core.engine.RouteExplainer;
import dev.proxy.core.filter.UpstreamGuard;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.upstream.ConnectionPool;
import dev.proxy.core.Endpoint;
import dev.proxy.core.upstream.PoolStats;
import java.util.List;
import java.util.TreeSet;

/** The running proxy as JSON for the admin API: clusters with their endpoints, routes, and route explanations. */
public final class RuntimeJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RuntimeJson() {
    }

    /**
     * Every cluster in file order: balancer, breakers by state, pool totals, and each endpoint's weight, health, breaker state,
     * requests in flight and pool counts. Read without locks, so counts may be a few operations apart.
     */
    public static ArrayNode clusters(ConfigSnapshot snapshot) {
        ArrayNode clusters = NODES.arrayNode();
        for (var cc : snapshot.config().clusters()) {
            Cluster c = snapshot.clusters().get(cc.name());
            ObjectNode cluster = clusters.addObject();
            cluster.put("name", c.name());
            cluster.put("balancer", c.config().balancer().policy().configName());
            cluster.put("discovered", c.config().discovered());
            // which name a DNS-discovered cluster follows: its endpoints are that name's addresses
            c.config().dns().ifPresent(d -> cluster.put("dnsName", d.name()));
            cluster.put("maxConnectionsPerEndpoint", c.config().pool().maxConnectionsPerEndpoint());
            ObjectNode breakers = cluster.putObject("breakers");
            for (String state : UpstreamGuard.STATES) {
                breakers.put(state, c.guard().breakers(state));
            }
            pool(cluster.putObject("pool"), c.poolStats());
            cluster.put("poolUtilization", c.poolUtilization());
            cluster.put("endpointsAvailable", c.availableCount());
            // zone-aware balancing: the proxy's zone and how requests are split over zones now, and why
            if (c.config().locality().enabled()) {
                ObjectNode locality = cluster.putObject("locality");
                locality.put("minLocalHealthyPercent", c.config().locality().minLocalHealthyPercent());
                c.balancer().zoneSplit().ifPresentOrElse(split -> zoneSplit(locality, split),
                        () -> locality.put("reason", "off: the proxy does not know its zone (server.zone)"));
            }
            ArrayNode endpoints = cluster.putArray("endpoints");
            for (Endpoint e : c.endpoints()) {
                ConnectionPool p = c.pool(e);
                PoolStats stats = p.stats();
                String health = c.healthOf(e);
                ObjectNode endpoint = endpoints.addObject();
                endpoint.put("address", e.toString());
                endpoint.put("weight", e.weight());
                endpoint.put("zone", e.zone().orElse(null));
                if (!e.labels().isEmpty()) {
                    ObjectNode labels = endpoint.putObject("labels");
                    e.labels().forEach(labels::put);
                }
                endpoint.put("health", health);
                endpoint.put("breaker", c.guard().state(e));
                endpoint.put("inFlight", stats.leased());
                pool(endpoint.putObject("pool"), stats);
                // null until the endpoint is seen closing an idle connection; seconds, as a decimal
                endpoint.put("learnedIdleTimeoutSeconds", p.learnedIdleTimeout().map(d -> d.toNanos() / 1e9)
                        .orElse(null));
            }
        }
        return clusters;
    }

    private static void zoneSplit(ObjectNode node, ZoneSplit split) {
        node.put("localZone", split.localZone());
        node.put("localHealthyPercent", split.localHealthyPercent());
        ObjectNode percent = node.putObject("percentByZone");
        split.percentByZone().forEach(percent::put);
        node.put("reason", split.reason());
    }

    private static void pool(ObjectNode node, PoolStats stats) {
        node.put("open", stats.open());
        node.put("active", stats.leased());
        node.put("idle", stats.idle());
        node.put("pending", stats.pending());
    }

    /** Every route in file order: its match in words and its clusters with weights. */
    public static ArrayNode routes(ConfigSnapshot snapshot) {
        ArrayNode routes = NODES.arrayNode();
        for (var route : snapshot.routes().routes()) {
            ObjectNode r = routes.addObject();
            r.put("name", route.name());
            r.put("match", describe(route.config().match()));
            // a route that answers itself has no clusters: say what it answers
            route.config().redirect().ifPresent(rd -> r.put("redirect", rd.status()));
            route.config().directResponse().ifPresent(d -> r.put("directResponse", d.status()));
            route.config().endpointSelector().ifPresent(sel -> {
                ObjectNode selector = r.putObject("endpointSelector");
                sel.labels().forEach(selector::put);
                r.put("subsetFallback", sel.fallback().configName());
            });
            ArrayNode clusters = r.putArray("clusters");
            RouteTarget target = snapshot.target(route.name()).orElseThrow();
            List<Cluster> cs = target.clusters();
            for (int i = 0; i < cs.size(); i++) {
                ObjectNode c = clusters.addObject();
                c.put("cluster", cs.get(i).name());
                c.put("weight", target.weight(i));
                // which endpoints the selector leaves the route, decided when the endpoint set last changed
                cs.get(i).subsetDecision().ifPresent(d -> c.put("subset", d));
            }
        }
        return routes;
    }

    /** A route's conditions in one line, e.g. {@code host api.example.com, path prefix /users/, GET HEAD}. */
    static String describe(RouteMatch m) {
        StringBuilder b = new StringBuilder();
        m.host().ifPresent(h -> b.append("host ").append(h));
        PathMatch p = m.path();
        if (p.kind() != PathMatch.Kind.ANY) {
            sep(b).append(switch (p.kind()) {
                case EXACT -> "path ";
                case PREFIX -> "path prefix ";
                default -> "path regex ";
            }).append(p.value());
        }
        if (!m.methods().isEmpty()) {
            sep(b).append(String.join(" ", new TreeSet<>(m.methods())));
        }
        m.headers().forEach((k, v) -> sep(b).append(k).append(": ").append(v));
        return b.length() == 0 ? "any request" : b.toString();
    }

    private static StringBuilder sep(StringBuilder b) {
        return b.length() == 0 ? b : b.append(", ");
    }

    public static JsonNode explanation(RouteExplainer.Explanation e) {
        ObjectNode node = NODES.objectNode();
        ObjectNode request = node.putObject("request");
        request.put("method", e.method());
        request.put("host", e.host());
        request.put("path", e.path());
        e.problem().ifPresent(p -> node.put("problem", p));
        node.put("route", e.route().orElse(null));
        ArrayNode clusters = node.putArray("clusters");
        for (RouteExplainer.ClusterChoice c : e.clusters()) {
            ObjectNode cluster = clusters.addObject();
            cluster.put("cluster", c.cluster());
            cluster.put("weight", c.weight());
            cluster.put("endpoints", c.endpoints());
            cluster.put("available", c.available());
            cluster.put("endpoint", c.picked().orElse(null));
            c.pickedZone().ifPresent(z -> cluster.put("zone", z));
            c.subset().ifPresent(d -> cluster.put("subset", d));
            c.zones().ifPresent(split -> zoneSplit(cluster.putObject("locality"), split));
        }
        ArrayNode routes = node.putArray("routes");
        boolean chosen = false;
        for (RouteExplainer.Candidate c : e.routes()) {
            ObjectNode route = routes.addObject();
            route.put("index", c.index());
            route.put("route", c.route());
            route.put("matches", c.matches());
            // the routes after the chosen one may match too; the first in file order wins
            route.put("verdict", !c.matches() ? c.reason() : chosen ? "matches, but an earlier route wins"
                    : "chosen: the first route in file order that matches");
            chosen |= c.matches();
        }
        return node;
    }
}
