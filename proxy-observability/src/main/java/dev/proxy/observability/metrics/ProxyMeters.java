package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ExchangeObserver;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.observe.ProxyObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http.HttpRequest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of the request path, fed by the engine's events: client connections, requests by route, method and
 * status class, their duration and bytes, the proxy's own errors by reason, and per cluster the upstream attempts,
 * retries and pool events ({@link ClusterMeters}), and WebSocket tunnels (open now, opened, bytes each way). A request costs a map lookup by route name, a few counter adds and
 * a histogram record; nothing is allocated once a route's meters exist. Thread-safe.
 */
public final class ProxyMeters implements ProxyObserver {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ClusterMeters> clusters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ProxyError, Counter> rejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> handshakes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> handshakeFailures = new ConcurrentHashMap<>();
    private final Timer handshakeTime;
    private final Counter accepted;
    private final AtomicLong tunnelsActive = new AtomicLong();
    private final Counter tunnelsOpened;
    private final Counter tunnelBytesUpstream;
    private final Counter tunnelBytesDownstream;
    private final Counter http2Streams;
    private final Counter http2Resets;
    private final ExchangeObserver exchanges = new Exchanges();

    public ProxyMeters(MeterRegistry registry) {
        this.registry = registry;
        this.accepted = Counter.builder("proxy.connections.accepted").description("Client connections accepted")
                .register(registry);
        this.handshakeTime = MeterNames.timer("proxy.tls.handshake")
                .description("From a client connection's start to its TLS handshake's success").register(registry);
        Gauge.builder("proxy.websocket.active", tunnelsActive, AtomicLong::get)
                .description("WebSocket tunnels open now").register(registry);
        this.tunnelsOpened = Counter.builder("proxy.websocket.tunnels")
                .description("WebSocket tunnels opened (upgrades the upstream accepted)").register(registry);
        this.tunnelBytesUpstream = tunnelBytes(registry, "upstream");
        this.tunnelBytesDownstream = tunnelBytes(registry, "downstream");
        this.http2Streams = Counter.builder("proxy.http2.streams")
                .description("HTTP/2 streams opened by clients (each is also a request)").register(registry);
        this.http2Resets = Counter.builder("proxy.http2.resets")
                .description("HTTP/2 streams reset by clients (RST_STREAM)").register(registry);
    }

    private static Counter tunnelBytes(MeterRegistry registry, String direction) {
        return Counter.builder("proxy.websocket.bytes").baseUnit("bytes")
                .description("Bytes carried by WebSocket tunnels, counted when a tunnel closes: upstream = from "
                        + "clients, downstream = to clients")
                .tag("direction", direction).register(registry);
    }

    @Override
    public void tlsHandshake(boolean success, String protocolOrReason, long nanos) {
        if (success) {
            handshakes.computeIfAbsent(protocolOrReason, p -> Counter.builder("proxy.tls.handshakes")
                    .description("Client TLS handshakes completed, by protocol").tag("protocol", p)
                    .register(registry)).increment();
            handshakeTime.record(nanos, TimeUnit.NANOSECONDS);
        } else {
            handshakeFailures.computeIfAbsent(protocolOrReason, r -> Counter.builder("proxy.tls.handshake.failures")
                    .description("Client TLS handshakes refused, by reason (no_client_certificate, "
                            + "untrusted_client_certificate, expired_certificate, protocol_or_cipher, not_tls, timeout, "
                            + "client_closed, other)").tag("reason", r).register(registry)).increment();
        }
    }

    @Override
    public void connectionOpened() {
        accepted.increment();
    }

    @Override
    public void connectionRejected(ProxyError reason) {
        rejected.computeIfAbsent(reason, r -> Counter.builder("proxy.connections.rejected")
                .description("Client connections closed without a request: over maxConnections (overloaded) or too "
                        + "slow to send a request head (request_header_timeout)")
                .tag("reason", r.reason()).register(registry)).increment();
    }

    @Override
    public void http2StreamOpened() {
        http2Streams.increment();
    }

    @Override
    public void http2StreamReset() {
        http2Resets.increment();
    }

    @Override
    public void tunnelOpened() {
        tunnelsActive.incrementAndGet();
        tunnelsOpened.increment();
    }

    @Override
    public void tunnelClosed(long bytesFromClient, long bytesFromUpstream) {
        tunnelsActive.decrementAndGet();
        tunnelBytesUpstream.increment(bytesFromClient);
        tunnelBytesDownstream.increment(bytesFromUpstream);
    }

    @Override
    public ExchangeObserver exchangeStarted(HttpRequest request) {
        return exchanges;
    }

    @Override
    public ClusterObserver cluster(String name) {
        return clusterMeters(name);
    }

    private ClusterMeters clusterMeters(String name) {
        ClusterMeters m = clusters.get(name);
        return m != null ? m : clusters.computeIfAbsent(name, n -> new ClusterMeters(registry, n));
    }

    private RouteMeters routeMeters(String name) {
        String key = name == null ? MeterNames.UNROUTED : name;
        RouteMeters m = routes.get(key);
        return m != null ? m : routes.computeIfAbsent(key, n -> new RouteMeters(registry, n));
    }

    /** Stateless: one instance follows every request, as everything it needs comes with each call. */
    private final class Exchanges implements ExchangeObserver {
        @Override
        public void attemptEnded(String cluster, int status, ProxyError error, long nanos) {
            clusterMeters(cluster).attemptEnded(status, error, nanos);
        }

        @Override
        public void retrying(String cluster, int status, ProxyError error) {
            clusterMeters(cluster).retrying(status, error);
        }

        @Override
        public void ended(ExchangeRecord r) {
            routeMeters(r.routeName()).record(MeterNames.methodIndex(r.request().method()),
                    MeterNames.statusClass(r.status()), r.error(), r.durationNanos(), r.bytesIn(), r.bytesOut());
        }
    }
}
