package dev.proxy.core.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads the YAML routes file into a {@link ProxyConfig}: the entry point of the package. With {@link PolicyReader}
 * (the route policies and the circuit breaker) and {@link DiscoveryReader} (etcd), the only place that knows the
 * file's keys and defaults.
 * Reports every problem at once, each with its path, in a {@link ConfigException}. Stateless and thread-safe.
 */
public final class ConfigReader {
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    private static final Pattern HOST_AND_PORT = Pattern.compile(
            "[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private ConfigReader() {
    }

    public static ProxyConfig read(Path file) throws IOException {
        return read(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Reads {@code yaml}; {@code server.zone} defaults to the process environment's {@code PROXY_ZONE}. */
    public static ProxyConfig read(String yaml, String source) {
        return read(yaml, source, System.getenv());
    }

    /**
     * Reads {@code yaml} with {@code environment} in place of the process environment (the variables that give
     * defaults: {@code PROXY_ZONE}).
     */
    public static ProxyConfig read(String yaml, String source, Map<String, String> environment) {
        Problems problems = new Problems();
        Node root = parse(new StringReader(yaml), source, problems);
        problems.throwIfAny(source);
        return read(root, source, problems, environment);
    }

    /**
     * A replica of a fleet: its local file ({@code server}, {@code observability}, {@code redis},
     * {@code configSource}) with the fleet's shared document from etcd ({@code discovery}, {@code clusters},
     * {@code routes}), validated together exactly as one routes file is. Lines in the problems are those of the
     * document the key is in.
     */
    public static ProxyConfig read(String localYaml, String localSource, String fleetYaml, String fleetSource) {
        String source = localSource + " + " + fleetSource;
        Problems localProblems = new Problems();
        Node local = parse(new StringReader(localYaml), localSource, localProblems);
        localProblems.throwIfAny(localSource);
        Problems fleetProblems = new Problems();
        Node fleet = parse(new StringReader(fleetYaml), fleetSource, fleetProblems);
        fleetProblems.throwIfAny(fleetSource);
        Problems problems = new Problems();
        // a key in the wrong half is a problem like any other: the rest is still read, so every problem is reported
        Node merged = FleetDocument.merge(local, fleet, problems);
        return read(merged, source, problems, System.getenv());
    }

    /** The {@code configSource} of a local file, without reading the rest: empty when the file has none. */
    public static Optional<ConfigSourceConfig> configSource(String localYaml, String source) {
        Problems problems = new Problems();
        Node root = parse(new StringReader(localYaml), source, problems);
        problems.throwIfAny(source);
        Optional<ConfigSourceConfig> result = DiscoveryReader.configSource(
                ConfigNode.of("", root, problems).optionalObject("configSource"));
        problems.throwIfAny(source);
        return result;
    }

    private static ProxyConfig read(Node root, String source, Problems problems, Map<String, String> environment) {
        ConfigNode top = ConfigNode.of("", root, problems);
        Optional<ConfigSourceConfig> configSource = DiscoveryReader.configSource(top.optionalObject("configSource"));
        ServerConfig server = server(top.object("server"), environment);
        Optional<EtcdConfig> etcd = DiscoveryReader.etcd(top.object("discovery"));
        ObservabilityConfig observability = ObservabilityReader.read(top.object("observability"));
        Optional<RedisConfig> redis = RedisReader.read(top.optionalObject("redis"));
        boolean redisGiven = top.has("redis");
        long defaultBody = server.limits().maxBodySize();
        List<ClusterConfig> clusters = new ArrayList<>();
        List<ConfigNode> clusterNodes = new ArrayList<>();
        for (ConfigNode c : top.objects("clusters")) {
            cluster(c).ifPresent(cluster -> {
                clusters.add(cluster);
                clusterNodes.add(c);
            });
        }
        PolicyReader policies = new PolicyReader();
        List<RouteConfig> routes = new ArrayList<>();
        List<ConfigNode> routeNodes = new ArrayList<>();
        for (ConfigNode r : top.objects("routes")) {
            route(r, defaultBody, policies).ifPresent(route -> {
                routes.add(route);
                routeNodes.add(r);
            });
        }
        boolean routesGiven = top.has("routes");
        top.finish();
        crossCheck(clusters, clusterNodes, routes, routeNodes);
        for (int i = 0; i < clusters.size(); i++) {
            if (clusters.get(i).etcdPrefix().isPresent() && etcd.isEmpty()) {
                clusterNodes.get(i).problem("discovery", "needs the etcd connection: add discovery.etcd.endpoints"
                        + " at the top of the file");
            }
        }
        policies.checkMirrorClusters(clusters.stream().map(ClusterConfig::name).collect(Collectors.toSet()));
        for (int i = 0; i < routes.size(); i++) {
            boolean global = routes.get(i).policies().rateLimit().map(RateLimitConfig::global).orElse(false);
            if (global && !redisGiven) {
                routeNodes.get(i).problem("rateLimit", "scope: global needs the Redis connection: add redis.url"
                        + " at the top of the file");
            }
        }
        if (!routesGiven) {
            problems.add("routes", "is required: without routes every request is answered 404");
        }
        problems.throwIfAny(source);
        return new ProxyConfig(server, etcd, clusters, routes, observability, redis, configSource);
    }

    private static Node parse(Reader reader, String source, Problems problems) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        try {
            Node node = new Yaml(new SafeConstructor(options)).compose(reader);
            if (node == null) {
                problems.add("", "the file is empty");
            }
            return node;
        } catch (MarkedYAMLException e) {
            problems.add("", "not valid YAML: " + e.getProblem() + " (line " + (e.getProblemMark().getLine() + 1) + ")");
        } catch (YAMLException e) {
            problems.add("", "not valid YAML: " + e.getMessage());
        }
        return null;
    }

    private static ServerConfig server(ConfigNode n, Map<String, String> environment) {
        HostPort listen = hostPort(n, "listen", "0.0.0.0:8080");
        ConfigNode admin = n.object("admin");
        HostPort adminListen = hostPort(admin, "listen", "0.0.0.0:9901");
        boolean adminWrites = admin.bool("allowWrites", false);
        admin.finish();
        int eventLoops = n.integer("eventLoops", 0, 0, 1024);
        ConfigNode l = n.object("limits");
        ConfigNode rate = l.object("minRequestBodyDataRate");
        LimitsConfig limits = new LimitsConfig(
                l.integer("maxConnections", 10_000, 1, 10_000_000),
                intSize(l, "maxHeaderSize", 64 * 1024, 1024),
                intSize(l, "maxRequestLineSize", 8 * 1024, 256),
                l.size("maxBodySize", LimitsConfig.DEFAULT_MAX_BODY_SIZE),
                l.positiveDuration("requestHeaderTimeout", Duration.ofSeconds(10)),
                l.positiveDuration("idleTimeout", Duration.ofSeconds(60)),
                l.integer("maxInFlightRequests", 0, 0, 10_000_000),
                l.positiveDuration("websocketIdleTimeout", LimitsConfig.DEFAULT_WEBSOCKET_IDLE_TIMEOUT),
                l.positiveDuration("tlsHandshakeTimeout", LimitsConfig.DEFAULT_TLS_HANDSHAKE_TIMEOUT),
                rate.integer("bytesPerSecond", (int) LimitsConfig.DEFAULT_MIN_REQUEST_BODY_BYTES_PER_SECOND, 0,
                        Integer.MAX_VALUE),
                rate.duration("gracePeriod", LimitsConfig.DEFAULT_MIN_REQUEST_BODY_GRACE_PERIOD));
        rate.finish();
        l.finish();
        ConfigNode drain = n.object("drain");
        Duration grace = drain.duration("gracePeriod", Duration.ofSeconds(20));
        drain.finish();
        Optional<TlsConfig> tls = n.optionalObject("tls").map(TlsReader::listener);
        Http2Config http2 = http2(n.object("http2"), limits.maxHeaderSize());
        ConfigNode id = n.object("requestId");
        RequestIdConfig requestId = new RequestIdConfig(id.bool("enabled", RequestIdConfig.DEFAULT.enabled()),
                id.bool("trustClient", RequestIdConfig.DEFAULT.trustClient()));
        id.finish();
        ClientAddressConfig clientAddress = ClientAddressReader.read(n);
        Optional<String> zone = LocalityReader.serverZone(n, environment);
        n.finish();
        return new ServerConfig(listen, adminListen, eventLoops, limits, grace, adminWrites, tls, http2, requestId,
                clientAddress, zone);
    }

    private static Http2Config http2(ConfigNode n, int maxHeaderSize) {
        boolean enabled = n.bool("enabled", true);
        int streams = n.integer("maxConcurrentStreams", Http2Config.DEFAULT_MAX_CONCURRENT_STREAMS, 1, 100_000);
        int headerList = intSize(n, "maxHeaderListSize", maxHeaderSize, 1024);
        long window = n.size("initialWindowSize", Http2Config.DEFAULT_INITIAL_WINDOW_SIZE);
        // HTTP/2's own default is the floor, 2^31-1 its ceiling for a window (RFC 9113 §6.9.1)
        if (window < 65_535 || window > Integer.MAX_VALUE) {
            n.problem("initialWindowSize", "must be between 65535 bytes and 2GiB-1");
            window = Http2Config.DEFAULT_INITIAL_WINDOW_SIZE;
        }
        int resets = n.integer("maxResetsPerWindow", Http2Config.DEFAULT_MAX_RESETS_PER_WINDOW, 1, 1_000_000);
        Duration resetWindow = n.positiveDuration("resetWindow", Http2Config.DEFAULT_RESET_WINDOW);
        if (resetWindow.toMillis() % 1000 != 0) {
            // Netty counts the window in whole seconds
            n.problem("resetWindow", "must be whole seconds");
            resetWindow = Http2Config.DEFAULT_RESET_WINDOW;
        }
        n.finish();
        return new Http2Config(enabled, streams, headerList, (int) window, resets, resetWindow);
    }

    private static int intSize(ConfigNode n, String key, int defaultValue, int min) {
        long v = n.size(key, defaultValue);
        if (v < min || v > 512L * 1024 * 1024) {
            n.problem(key, "must be between " + min + " bytes and 512MiB");
            return defaultValue;
        }
        return (int) v;
    }

    private static HostPort hostPort(ConfigNode n, String key, String defaultValue) {
        return n.parsed(key, HostPort.parse(defaultValue), HostPort::parse);
    }

    private static Optional<ClusterConfig> cluster(ConfigNode n) {
        Optional<String> name = name(n);
        List<ConfigNode> endpointNodes = n.objects("endpoints");
        List<EndpointConfig> endpoints = LocalityReader.endpoints(endpointNodes);
        boolean discovered = n.has("discovery");
        DiscoveryReader.ClusterDiscovery discovery = n.optionalObject("discovery").map(DiscoveryReader::cluster)
                .orElse(new DiscoveryReader.ClusterDiscovery(Optional.empty(), Optional.empty()));
        if (discovered && !endpointNodes.isEmpty()) {
            n.problem("endpoints", "give either endpoints or discovery, not both");
        } else if (!discovered && endpointNodes.isEmpty()) {
            n.problem("endpoints", "is required: list at least one endpoint, or discover them (discovery.etcd.prefix or discovery.dns.name)");
        }
        BalancerConfig balancer = balancer(n.object("balancer"));
        ConfigNode p = n.object("pool");
        PoolConfig d = PoolConfig.DEFAULTS;
        PoolConfig pool = new PoolConfig(
                p.integer("maxConnectionsPerEndpoint", d.maxConnectionsPerEndpoint(), 1, 1_000_000),
                p.integer("maxPendingAcquires", d.maxPendingAcquires(), 0, 1_000_000),
                p.positiveDuration("acquireTimeout", d.acquireTimeout()),
                p.positiveDuration("maxIdleTime", d.maxIdleTime()),
                p.duration("maxLifeTime", d.maxLifeTime()),
                p.integer("maxRequestsPerConnection", d.maxRequestsPerConnection(), 0, Integer.MAX_VALUE),
                p.integer("maxStreamsPerConnection", d.maxStreamsPerConnection(), 1, 1_000_000),
                p.bool("learnIdleTimeout", d.learnIdleTimeout()));
        p.finish();
        ConfigNode t = n.object("timeouts");
        ClusterTimeouts timeouts = new ClusterTimeouts(
                t.positiveDuration("connect", ClusterTimeouts.DEFAULTS.connect()),
                t.positiveDuration("responseHeader", ClusterTimeouts.DEFAULTS.responseHeader()),
                t.positiveDuration("idle", ClusterTimeouts.DEFAULTS.idle()));
        t.finish();
        boolean outliersGiven = n.has("outlierDetection");
        ConfigNode od = n.object("outlierDetection");
        OutlierDetectionConfig outliers = outliersGiven ? outlierDetection(od) : OutlierDetectionConfig.DISABLED;
        boolean checksGiven = n.has("healthCheck");
        ConfigNode hc = n.object("healthCheck");
        Optional<HealthCheckConfig> healthCheck = checksGiven ? Optional.of(healthCheck(hc)) : Optional.empty();
        Optional<CircuitBreakerConfig> breaker = n.optionalObject("circuitBreaker").map(PolicyReader::circuitBreaker);
        Optional<UpstreamTlsConfig> tls = n.optionalObject("tls").map(TlsReader::upstream);
        String protocolName = n.string("protocol", UpstreamProtocol.HTTP1.configName());
        UpstreamProtocol protocol = UpstreamProtocol.HTTP1;
        if (protocolName.equals(UpstreamProtocol.H2.configName())) {
            protocol = UpstreamProtocol.H2;
        } else if (!protocolName.equals(UpstreamProtocol.HTTP1.configName())) {
            n.problem("protocol", "'" + protocolName + "' is not one of http1, h2");
        }
        if (n.has("http2") && protocol != UpstreamProtocol.H2) {
            n.problem("http2", "applies to protocol: h2 only");
        }
        UpstreamHttp2Config http2 = upstreamHttp2(n.object("http2"), pool.maxStreamsPerConnection());
        LocalityConfig locality = LocalityReader.locality(n);
        HeadersConfig headers = HeadersReader.read(n.object("headers"));
        n.finish();
        UpstreamProtocol chosen = protocol;
        return name.map(nm -> new ClusterConfig(nm, endpoints, balancer, pool, timeouts, outliers, healthCheck,
                breaker, discovery.etcdPrefix(), tls, chosen, http2, discovery.dns(), locality, headers));
    }

    private static UpstreamHttp2Config upstreamHttp2(ConfigNode n, int maxStreams) {
        long stream = n.size("initialStreamWindow", UpstreamHttp2Config.DEFAULT_INITIAL_STREAM_WINDOW);
        if (stream < UpstreamHttp2Config.MIN_WINDOW || stream > UpstreamHttp2Config.MAX_STREAM_WINDOW) {
            n.problem("initialStreamWindow", "must be between 65535 bytes and 1GiB");
            stream = UpstreamHttp2Config.DEFAULT_INITIAL_STREAM_WINDOW;
        }
        UpstreamHttp2Config defaults = UpstreamHttp2Config.withStreamWindow((int) stream, maxStreams);
        long connection = n.size("connectionWindow", defaults.connectionWindow());
        if (connection < 2 * stream || connection > Integer.MAX_VALUE) {
            n.problem("connectionWindow", "must be between twice initialStreamWindow (" + 2 * stream
                    + " bytes) and 2GiB-1");
            connection = defaults.connectionWindow();
        }
        n.finish();
        return new UpstreamHttp2Config((int) stream, (int) connection);
    }

    private static HealthCheckConfig healthCheck(ConfigNode h) {
        String path = h.string("path", "/health");
        if (!path.startsWith("/")) {
            h.problem("path", "must start with /");
            path = "/health";
        }
        Duration interval = h.positiveDuration("interval", Duration.ofSeconds(5));
        Duration timeout = h.positiveDuration("timeout", Duration.ofSeconds(1));
        int healthy = h.integer("healthyThreshold", 2, 1, 1000);
        int unhealthy = h.integer("unhealthyThreshold", 3, 1, 1000);
        Set<Integer> expect = h.statuses("expectStatus");
        if (expect.isEmpty()) {
            expect.add(200);
        }
        h.finish();
        return new HealthCheckConfig(path, interval, timeout, healthy, unhealthy, expect);
    }

    private static OutlierDetectionConfig outlierDetection(ConfigNode o) {
        int failures = o.integer("consecutiveGatewayFailures", 5, 1, 1_000_000);
        Duration base = o.positiveDuration("baseEjectionTime", Duration.ofSeconds(30));
        Duration max = o.positiveDuration("maxEjectionTime", Duration.ofSeconds(300));
        if (max.compareTo(base) < 0) {
            o.problem("maxEjectionTime", "must not be shorter than baseEjectionTime (" + base.toMillis() + "ms)");
            max = base;
        }
        int maxPercent = o.integer("maxEjectionPercent", 50, 1, 100);
        int panic = o.integer("panicThreshold", 50, 0, 100);
        o.finish();
        return new OutlierDetectionConfig(failures, base, max, maxPercent, panic);
    }

    private static BalancerConfig balancer(ConfigNode b) {
        String policyName = b.string("policy", BalancerPolicy.ROUND_ROBIN.configName());
        Optional<BalancerPolicy> found = BalancerPolicy.fromConfigName(policyName);
        if (found.isEmpty()) {
            b.problem("policy", "'" + policyName + "' is not a policy; choose one of " + BalancerPolicy.allNames());
        }
        // a bad policy is already reported; going on with round robin spares the routes a false "is not defined"
        BalancerPolicy policy = found.orElse(BalancerPolicy.ROUND_ROBIN);
        Optional<HashKey> hashOn = Optional.empty();
        if (b.has("hashOn")) {
            hashOn = hashKey(b.object("hashOn"));
            if (!policy.isHashing()) {
                b.problem("hashOn", "only the hashing policies (ring_hash, maglev) use it");
            }
        } else if (policy.isHashing()) {
            b.problem("hashOn", "is required by " + policy.configName()
                    + ": { header: NAME }, { cookie: NAME }, { clientIp: true } or { path: true }");
        }
        int virtualNodes = b.integer("virtualNodes", BalancerConfig.DEFAULT_VIRTUAL_NODES, 1, 10_000);
        int tableSize = b.integer("tableSize", BalancerConfig.DEFAULT_TABLE_SIZE, 7, 5_000_011);
        if (!java.math.BigInteger.valueOf(tableSize).isProbablePrime(30)) {
            b.problem("tableSize", tableSize + " is not a prime (maglev needs one, e.g. 65537 or 655373)");
            tableSize = BalancerConfig.DEFAULT_TABLE_SIZE;
        }
        b.finish();
        return new BalancerConfig(policy, hashOn, virtualNodes, tableSize);
    }

    private static Optional<HashKey> hashKey(ConfigNode h) {
        List<HashKey> keys = new ArrayList<>();
        h.string("header").ifPresent(name -> keys.add(new HashKey(HashKey.Source.HEADER, name.toLowerCase(Locale.ROOT))));
        h.string("cookie").ifPresent(name -> keys.add(new HashKey(HashKey.Source.COOKIE, name)));
        if (h.bool("clientIp", false)) {
            keys.add(new HashKey(HashKey.Source.CLIENT_IP, ""));
        }
        if (h.bool("path", false)) {
            keys.add(new HashKey(HashKey.Source.PATH, ""));
        }
        h.finish();
        if (keys.size() != 1) {
            h.problem(null, "give exactly one of header, cookie, clientIp: true and path: true");
            return Optional.empty();
        }
        return Optional.of(keys.get(0));
    }

    private static Optional<RouteConfig> route(ConfigNode n, long defaultBody, PolicyReader policyReader) {
        Optional<String> name = name(n);
        RouteMatch match = match(n.object("match"));
        List<WeightedCluster> clusters = new ArrayList<>();
        boolean single = n.has("cluster");
        boolean weighted = n.has("weightedClusters");
        boolean redirects = n.has("redirect");
        boolean direct = n.has("directResponse");
        if (single && weighted) {
            n.problem("weightedClusters", "give either cluster or weightedClusters, not both");
        } else if ((single || weighted) && (redirects || direct)) {
            n.problem(redirects ? "redirect" : "directResponse", "a route that answers itself has no cluster:"
                    + " give one of cluster, weightedClusters, redirect and directResponse");
        } else if (redirects && direct) {
            n.problem("directResponse", "give either redirect or directResponse, not both");
        } else if (!single && !weighted && !redirects && !direct) {
            n.problem("cluster", "is required (or weightedClusters, redirect or directResponse)");
        }
        n.string("cluster").ifPresent(c -> clusters.add(new WeightedCluster(c, 1)));
        long total = 0;
        for (ConfigNode w : n.objects("weightedClusters")) {
            Optional<String> cluster = w.requiredString("cluster");
            int weight = w.integer("weight", 1, 0, 1_000_000);
            Optional<EndpointSelector> selector = LocalityReader.selector(w);
            w.finish();
            total += weight;
            cluster.ifPresent(c -> clusters.add(new WeightedCluster(c, weight, selector)));
        }
        if (weighted && clusters.isEmpty()) {
            n.problem("weightedClusters", "list at least one cluster");
        } else if (weighted && total == 0) {
            n.problem("weightedClusters", "the weights must not all be 0");
        }
        ConfigNode r = n.object("rewrite");
        Rewrite rewrite = new Rewrite(r.string("pathPrefix"), r.string("host").map(h -> h.toLowerCase(Locale.ROOT)));
        if (rewrite.host().isPresent() && !HOST_AND_PORT.matcher(rewrite.host().get()).matches()) {
            r.problem("host", "'" + rewrite.host().get() + "' is not a host name with an optional :port");
        }
        if (rewrite.pathPrefix().isPresent() && match.path().kind() != PathMatch.Kind.PREFIX) {
            r.problem("pathPrefix", "needs match.pathPrefix: only a matched prefix can be rewritten");
        }
        if (rewrite.pathPrefix().isPresent() && !rewrite.pathPrefix().get().startsWith("/")) {
            r.problem("pathPrefix", "must start with /");
        }
        r.finish();
        Duration timeout = n.duration("timeout", RouteConfig.DEFAULT_TIMEOUT);
        long maxBody = n.size("maxBodySize", defaultBody);
        RoutePolicies policies = policyReader.route(n, timeout);
        HeadersConfig headers = HeadersReader.read(n.object("headers"));
        boolean prefixMatch = match.path().kind() == PathMatch.Kind.PREFIX;
        Optional<RedirectConfig> redirect = n.optionalObject("redirect").map(r2 -> AnswerReader.redirect(r2,
                prefixMatch));
        Optional<DirectResponseConfig> directResponse = n.optionalObject("directResponse")
                .map(AnswerReader::directResponse);
        if (redirect.isPresent() || directResponse.isPresent()) {
            AnswerReader.refuseForwardingKeys(n, redirect.isPresent() ? "redirect" : "directResponse", headers);
        }
        Optional<EndpointSelector> selector = LocalityReader.selector(n);
        if (selector.isPresent() && (redirect.isPresent() || directResponse.isPresent())) {
            n.problem("endpointSelector", "a route that answers itself has no endpoints to select");
        }
        n.finish();
        int answers = (clusters.isEmpty() ? 0 : 1) + (redirect.isPresent() ? 1 : 0)
                + (directResponse.isPresent() ? 1 : 0);
        if (name.isEmpty() || answers != 1) {
            return Optional.empty();
        }
        return Optional.of(new RouteConfig(name.get(), match, clusters, rewrite, timeout, maxBody, policies,
                headers, redirect, directResponse, selector));
    }

    private static RouteMatch match(ConfigNode n) {
        Optional<String> host = n.string("host").map(h -> h.toLowerCase(Locale.ROOT));
        if (host.isPresent() && !HOST.matcher(host.get()).matches()) {
            n.problem("host", "'" + host.get() + "' is not a host name or *.suffix wildcard");
        }
        List<PathMatch> paths = new ArrayList<>();
        n.string("path").ifPresent(p -> paths.add(new PathMatch(PathMatch.Kind.EXACT, p)));
        n.string("pathPrefix").ifPresent(p -> paths.add(new PathMatch(PathMatch.Kind.PREFIX, p)));
        n.string("pathRegex").ifPresent(p -> paths.add(new PathMatch(PathMatch.Kind.REGEX, p)));
        PathMatch path = PathMatch.ANY;
        if (paths.size() > 1) {
            n.problem(null, "give only one of path, pathPrefix and pathRegex");
        } else if (paths.size() == 1) {
            path = paths.get(0);
            if (path.kind() == PathMatch.Kind.REGEX) {
                try {
                    Pattern.compile(path.value());
                } catch (PatternSyntaxException e) {
                    n.problem("pathRegex", "not a valid regular expression: " + e.getDescription());
                }
            } else if (!path.value().startsWith("/")) {
                n.problem(path.kind() == PathMatch.Kind.EXACT ? "path" : "pathPrefix", "must start with /");
            }
        }
        Set<String> methods = new LinkedHashSet<>();
        for (String m : n.strings("methods")) {
            if (ConfigNode.TOKEN.matcher(m).matches()) {
                methods.add(m.toUpperCase(Locale.ROOT));
            } else {
                n.problem("methods", "'" + m + "' is not an HTTP method");
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        n.stringMap("headers").forEach((k, v) -> {
            if (ConfigNode.TOKEN.matcher(k).matches()) {
                headers.put(k.toLowerCase(Locale.ROOT), v);
            } else {
                n.problem("headers", "'" + k + "' is not a header name");
            }
        });
        n.finish();
        return new RouteMatch(host, path, methods, headers);
    }

    private static Optional<String> name(ConfigNode n) {
        Optional<String> name = n.requiredString("name");
        if (name.isPresent() && !NAME.matcher(name.get()).matches()) {
            // reported here; still returned so that references to it are not also reported as undefined
            n.problem("name", "'" + name.get() + "' may hold only letters, digits, '_', '.' and '-'");
        }
        return name;
    }

    /** Checks names across the file; each node is the one its record was read from, so problems keep their line. */
    private static void crossCheck(List<ClusterConfig> clusters, List<ConfigNode> clusterNodes,
                                   List<RouteConfig> routes, List<ConfigNode> routeNodes) {
        Set<String> clusterNames = new HashSet<>();
        for (int i = 0; i < clusters.size(); i++) {
            if (!clusterNames.add(clusters.get(i).name())) {
                clusterNodes.get(i).problem("name", "'" + clusters.get(i).name() + "' is defined twice");
            }
        }
        Set<String> routeNames = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            RouteConfig route = routes.get(i);
            ConfigNode node = routeNodes.get(i);
            if (!routeNames.add(route.name())) {
                node.problem("name", "'" + route.name() + "' is defined twice");
            }
            List<WeightedCluster> targets = route.clusters();
            for (int j = 0; j < targets.size(); j++) {
                if (!clusterNames.contains(targets.get(j).cluster())) {
                    // route() puts the single cluster first, then the weightedClusters entries
                    String key = j == 0 && node.has("cluster") ? "cluster" : "weightedClusters";
                    node.problem(key, "'" + targets.get(j).cluster() + "' is not defined under clusters");
                }
            }
        }
    }
}
