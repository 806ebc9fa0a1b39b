package dev.proxy.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.proxy.core.discovery.DiscoveryStatus;
import dev.proxy.core.discovery.EndpointSource;
import dev.proxy.core.engine.RouteExplainer;
import dev.proxy.core.runtime.ConfigSnapshot;
import dev.proxy.observability.metrics.ProxyMetrics;
import dev.proxy.server.admin.AdminApi;
import dev.proxy.server.admin.ConfigJson;
import dev.proxy.server.admin.Readiness;
import dev.proxy.server.admin.RuntimeJson;
import dev.proxy.server.reload.ConfigReloader;
import dev.proxy.server.reload.ReloadResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** The admin API over the running {@link ProxyApp}: what the admin port shows, read from the live objects. */
final class AdminModel implements AdminApi {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ProxyApp app;
    private final Readiness readiness;
    private final boolean writable;
    private final Instant started = Instant.now();

    AdminModel(ProxyApp app) {
        this.app = app;
        this.readiness = new ProxyReadiness(app.proxy(), app::discovery, app.watchdog(),
                app::globalLimitsDegraded, () -> app.fleet().flatMap(f -> f.status().degradation()));
        // a server setting: it applies at the next start, like the admin address itself
        this.writable = app.config().server().adminAllowWrites();
    }

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public ProxyMetrics.Scrape scrape(String accept) {
        return app.metrics().scrape(accept);
    }

    @Override
    public JsonNode config() {
        ConfigSnapshot snapshot = app.proxy().snapshot();
        ObjectNode node = loadState(snapshot);
        node.put("started", started.toString());
        node.set("config", ConfigJson.of(snapshot.config()));
        return node;
    }

    /** What was loaded and how: the generation serving, the file it came from and the last reload's result. */
    private ObjectNode loadState(ConfigSnapshot snapshot) {
        ObjectNode node = NODES.objectNode();
        node.put("generation", snapshot.generation());
        node.put("source", app.reloader().map(ConfigReloader::source).orElse(null));
        node.put("hash", app.hash());
        node.set("configSource", app.fleet().map(f -> ConfigJson.of(f.status())).orElse(NODES.nullNode()));
        node.set("lastReload", app.reloader().map(r -> reloadJson(r.last())).orElse(NODES.nullNode()));
        return node;
    }

    static JsonNode reloadJson(ReloadResult r) {
        ObjectNode node = NODES.objectNode();
        node.put("at", r.at().toString());
        node.put("trigger", r.trigger());
        node.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        node.put("generation", r.generation());
        ArrayNode problems = node.putArray("problems");
        r.problems().forEach(problems::add);
        r.diff().ifPresent(d -> {
            node.put("summary", d.summary());
            node.set("changes", ConfigJson.of(d));
        });
        return node;
    }

    @Override
    public JsonNode clusters() {
        ConfigSnapshot snapshot = app.proxy().snapshot();
        ObjectNode node = NODES.objectNode();
        node.put("generation", snapshot.generation());
        node.set("clusters", RuntimeJson.clusters(snapshot));
        return node;
    }

    @Override
    public JsonNode routes() {
        ConfigSnapshot snapshot = app.proxy().snapshot();
        ObjectNode node = NODES.objectNode();
        node.put("generation", snapshot.generation());
        node.set("routes", RuntimeJson.routes(snapshot));
        return node;
    }

    @Override
    public JsonNode explain(String method, String uri, HttpHeaders headers, InetSocketAddress client) {
        ConfigSnapshot snapshot = app.proxy().snapshot();
        // client is the connection address: a trusted proxy's header among headers names the client, as for traffic
        InetSocketAddress resolved = app.proxy().clientAddresses().resolve(client, headers);
        ObjectNode node = (ObjectNode) RuntimeJson.explanation(RouteExplainer.explain(snapshot, method, uri,
                headers, resolved));
        node.put("client", resolved.getAddress() == null ? resolved.getHostString()
                : resolved.getAddress().getHostAddress());
        node.put("generation", snapshot.generation());
        return node;
    }

    /**
     * The status page's data: readiness, discovery, the last reload, each route with its request and error totals
     * (the page turns two readings into rates), and the clusters as {@link #clusters}.
     */
    @Override
    public JsonNode status() {
        ConfigSnapshot snapshot = app.proxy().snapshot();
        ObjectNode node = loadState(snapshot);
        node.put("time", Instant.now().toString());
        BuildInfo build = BuildInfo.current();
        ObjectNode b = node.putObject("build");
        b.put("version", build.version());
        b.put("commit", build.commit());
        b.put("java", build.java());
        var reasons = readiness.notReadyReasons();
        node.put("ready", reasons.isEmpty());
        ArrayNode notes = node.putArray("readiness");
        reasons.forEach(notes::add);
        readiness.degradations().forEach(notes::add);
        node.put("connections", app.proxy().connectionCount());
        Optional<? extends EndpointSource> discovery = app.discovery();
        if (discovery.isPresent()) {
            DiscoveryStatus s = discovery.get().status();
            ObjectNode d = node.putObject("discovery");
            d.put("synced", s.synced());
            d.put("connected", s.connected());
            d.put("stale", s.stale());
            d.put("updates", s.updatesApplied());
            d.put("failures", s.failures());
            d.put("fallback", s.onFallback());
        } else {
            node.putNull("discovery");
        }
        ArrayNode routes = RuntimeJson.routes(snapshot);
        for (JsonNode r : routes) {
            String name = r.get("name").asText();
            ((ObjectNode) r).put("requests", count(Search.in(app.metrics().registry()).name("proxy.requests")
                    .tag("route", name)));
            ((ObjectNode) r).put("errors", count(Search.in(app.metrics().registry()).name("proxy.requests")
                    .tag("route", name).tag("status_class", "5xx")));
        }
        node.set("routes", routes);
        node.set("clusters", RuntimeJson.clusters(snapshot));
        return node;
    }

    private static long count(Search search) {
        return (long) search.counters().stream().mapToDouble(Counter::count).sum();
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public JsonNode reload() {
        return app.reload("admin").map(AdminModel::reloadJson).orElseGet(() -> {
            ObjectNode node = NODES.objectNode();
            node.put("outcome", "rejected");
            node.putArray("problems").add("the proxy was not started from a file: there is nothing to reload");
            return node;
        });
    }
}
