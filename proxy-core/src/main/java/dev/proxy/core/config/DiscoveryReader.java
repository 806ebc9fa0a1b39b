package dev.proxy.core.config;

import io.netty.util.NetUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the etcd connection ({@code discovery.etcd} at the top of the file) and a cluster's {@code discovery}: its
 * {@code etcd.prefix} or its {@code dns} name. Part of {@link ConfigReader}: the only other place that knows these keys.
 */
final class DiscoveryReader {
    private DiscoveryReader() {
    }

    /** The top-level {@code discovery} block: empty when the file has none. */
    static Optional<EtcdConfig> etcd(ConfigNode discovery) {
        Optional<ConfigNode> block = discovery.optionalObject("etcd");
        discovery.finish();
        return block.map(DiscoveryReader::connection);
    }

    /**
     * The top-level {@code configSource} block of a replica's local file: where the fleet's shared config lives.
     * The etcd connection has the keys of {@code discovery.etcd}, plus {@code prefix}.
     */
    static Optional<ConfigSourceConfig> configSource(Optional<ConfigNode> block) {
        if (block.isEmpty()) {
            return Optional.empty();
        }
        ConfigNode source = block.get();
        Optional<ConfigNode> etcdBlock = source.optionalObject("etcd");
        source.finish();
        if (etcdBlock.isEmpty()) {
            source.problem("etcd", "is required: the etcd that holds the fleet's config");
            return Optional.empty();
        }
        ConfigNode e = etcdBlock.get();
        Optional<String> prefix = e.requiredString("prefix");
        EtcdConfig connection = connection(e);
        if (prefix.isEmpty()) {
            return Optional.empty();
        }
        String p = prefix.get();
        if (!p.startsWith("/") || p.endsWith("/")) {
            e.problem("prefix", "must start with / and not end with /, e.g. /proxy/fleet");
            return Optional.empty();
        }
        return Optional.of(new ConfigSourceConfig(connection, p));
    }

    private static EtcdConfig connection(ConfigNode e) {
        EtcdConfig primary = connection(e, true);
        Optional<ConfigNode> fallback = e.optionalObject("fallback");
        e.finish();
        return fallback.map(f -> primary.withFallback(fallback(f))).orElse(primary);
    }

    /** {@code discovery.etcd.fallback}: a connection of its own, and when to turn to it and back. */
    private static EtcdFallbackConfig fallback(ConfigNode f) {
        EtcdConfig connection = connection(f, false);
        var failoverAfter = f.positiveDuration("failoverAfter", EtcdFallbackConfig.DEFAULT_FAILOVER_AFTER);
        var failbackAfter = f.positiveDuration("failbackAfter", EtcdFallbackConfig.DEFAULT_FAILBACK_AFTER);
        f.finish();
        return new EtcdFallbackConfig(connection, failoverAfter, failbackAfter);
    }

    /**
     * The connection keys of {@code e}; the caller finishes the node.
     *
     * @param primary whether this is the primary cluster: only it has a snapshot file
     */
    private static EtcdConfig connection(ConfigNode e, boolean primary) {
        List<URI> endpoints = new ArrayList<>();
        for (String text : e.strings("endpoints")) {
            endpoint(e, text).ifPresent(endpoints::add);
        }
        if (!e.has("endpoints")) {
            e.problem("endpoints", "is required: the client URLs of the etcd members, e.g. [http://127.0.0.1:2379]");
        }
        long schemes = endpoints.stream().map(URI::getScheme).distinct().count();
        if (schemes > 1) {
            e.problem("endpoints", "mixes http and https: the members are reached with one TLS setting");
        }
        var connectTimeout = e.positiveDuration("connectTimeout", EtcdConfig.DEFAULT_CONNECT_TIMEOUT);
        var requestTimeout = e.positiveDuration("requestTimeout", EtcdConfig.DEFAULT_REQUEST_TIMEOUT);
        Optional<String> username = Optional.empty();
        Optional<String> password = Optional.empty();
        Optional<Path> passwordFile = Optional.empty();
        Optional<ConfigNode> auth = e.optionalObject("auth");
        if (auth.isPresent()) {
            ConfigNode a = auth.get();
            username = a.requiredString("username");
            password = a.string("password");
            passwordFile = a.string("passwordFile").map(Path::of);
            if (password.isPresent() == passwordFile.isPresent()) {
                a.problem(null, "give exactly one of password and passwordFile");
            }
            a.finish();
        }
        Optional<Path> trustedCa = Optional.empty();
        Optional<Path> certificate = Optional.empty();
        Optional<Path> key = Optional.empty();
        Optional<ConfigNode> tls = e.optionalObject("tls");
        if (tls.isPresent()) {
            ConfigNode t = tls.get();
            trustedCa = t.string("trustedCa").map(Path::of);
            certificate = t.string("certificate").map(Path::of);
            key = t.string("key").map(Path::of);
            if (certificate.isPresent() != key.isPresent()) {
                t.problem(certificate.isPresent() ? "key" : "certificate",
                        "is required with " + (certificate.isPresent() ? "certificate" : "key")
                                + ": a client certificate needs its key");
            }
            t.finish();
            if (endpoints.stream().anyMatch(u -> u.getScheme().equals("http"))) {
                e.problem("tls", "is set but the endpoints are http://; use https:// URLs");
            }
        }
        // the fallback's sets are served only while the primary is away: the primary's snapshot file is the one kept
        Optional<Path> snapshotFile = primary ? e.string("snapshotFile").map(Path::of) : Optional.empty();
        return new EtcdConfig(endpoints, username, password, passwordFile, trustedCa, certificate, key,
                connectTimeout, requestTimeout, snapshotFile);
    }

    private static Optional<URI> endpoint(ConfigNode e, String text) {
        try {
            URI uri = new URI(text.trim());
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                e.problem("endpoints", "'" + text + "' must start with http:// or https://");
            } else if (uri.getHost() == null || uri.getPort() < 0) {
                e.problem("endpoints", "'" + text + "' needs a host and a port, e.g. http://etcd-0:2379");
            } else if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
                e.problem("endpoints", "'" + text + "' must not have a path");
            } else {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ex) {
            e.problem("endpoints", "'" + text + "' is not a URL: " + ex.getReason());
        }
        return Optional.empty();
    }

    /** What a cluster's {@code discovery} block says: an etcd key prefix or a DNS name, one of the two. */
    record ClusterDiscovery(Optional<String> etcdPrefix, Optional<DnsDiscoveryConfig> dns) {
    }

    /**
     * Stands in for a broken {@code discovery} block (already reported), so that routes are not also told the cluster
     * is undefined and no etcd connection is asked for; the file is rejected anyway.
     */
    private static final DnsDiscoveryConfig STAND_IN = new DnsDiscoveryConfig("invalid.", 1,
            DnsDiscoveryConfig.DEFAULT_MIN_REFRESH, DnsDiscoveryConfig.DEFAULT_MAX_REFRESH, List.of());

    /** A cluster's {@code discovery} block: {@code etcd: { prefix }} or {@code dns: { name, port, ... }}. */
    static ClusterDiscovery cluster(ConfigNode discovery) {
        Optional<ConfigNode> etcd = discovery.optionalObject("etcd");
        Optional<ConfigNode> dns = discovery.optionalObject("dns");
        discovery.finish();
        if (etcd.isPresent() == dns.isPresent()) {
            discovery.problem(null, "give exactly one of etcd and dns");
            return new ClusterDiscovery(Optional.empty(), Optional.of(STAND_IN));
        }
        if (etcd.isPresent()) {
            Optional<String> prefix = etcd.get().requiredString("prefix");
            etcd.get().finish();
            // a missing prefix is reported; an empty one stands in, for the same reason as STAND_IN
            return new ClusterDiscovery(Optional.of(prefix.orElse("")), Optional.empty());
        }
        return new ClusterDiscovery(Optional.empty(), Optional.of(dns(dns.get()).orElse(STAND_IN)));
    }

    private static Optional<DnsDiscoveryConfig> dns(ConfigNode d) {
        Optional<String> name = d.requiredString("name");
        boolean portGiven = d.require("port");
        int port = d.integer("port", 1, 1, 65535);
        var minRefresh = d.positiveDuration("minRefresh", DnsDiscoveryConfig.DEFAULT_MIN_REFRESH);
        var maxRefresh = d.positiveDuration("maxRefresh", DnsDiscoveryConfig.DEFAULT_MAX_REFRESH);
        if (maxRefresh.compareTo(minRefresh) < 0) {
            d.problem("maxRefresh", "must not be shorter than minRefresh");
            maxRefresh = minRefresh;
        }
        List<HostPort> servers = new ArrayList<>();
        for (String text : d.strings("servers")) {
            try {
                HostPort server = HostPort.parse(text.trim());
                if (NetUtil.isValidIpV4Address(server.host()) || NetUtil.isValidIpV6Address(server.host())) {
                    servers.add(server);
                } else {
                    d.problem("servers", "'" + text + "' must be an IP address and port, e.g. 10.96.0.10:53");
                }
            } catch (IllegalArgumentException ex) {
                d.problem("servers", ex.getMessage());
            }
        }
        d.finish();
        if (name.isEmpty() || !portGiven) {
            return Optional.empty();
        }
        if (name.get().isBlank() || name.get().contains(" ")) {
            d.problem("name", "'" + name.get() + "' is not a DNS name");
            return Optional.empty();
        }
        return Optional.of(new DnsDiscoveryConfig(name.get(), port, minRefresh, maxRefresh, servers));
    }
}
