package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ClusterObserver;
import dev.proxy.core.observe.ProxyObserver;
import dev.proxy.core.observe.ProxyProtocolRejection;
import dev.proxy.core.observe.RouteObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http2.Http2Error;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of the request path, fed by the engine's events: client connections, requests by route, method and
 * status class, their duration and bytes, the proxy's own errors by reason ({@link RouteMeters}), per cluster the
 * upstream attempts, retries and pool events ({@link ClusterMeters}), and WebSocket tunnels (open now, opened, bytes
 * each way). A route's and a cluster's meters are looked up by name only when a snapshot asks for their observer,
 * and kept by name so a reload does not reset them; the engine then hands each request to them directly, so no
 * {@code ExchangeObserver} is needed. A request costs a few counter adds and two histogram records, and allocates
 * nothing once the meters it touches exist. Thread-safe.
 */
public final class ProxyMeters implements ProxyObserver {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, RouteMeters> routes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ClusterMeters> clusters = new ConcurrentHashMap<>();
    /** By {@link ProxyError} ordinal, registered at first use. */
    private final AtomicReferenceArray<Counter> rejected = new AtomicReferenceArray<>(MeterNames.errorCount());
    /** By {@link ProxyProtocolRejection} ordinal, all registered at start: a fixed set worth an alert at zero. */
    private final Counter[] proxyProtocolRejected = new Counter[ProxyProtocolRejection.values().length];
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
    /** By {@link Http2Error} ordinal, twice: stream errors first, then connection errors; registered at first use. */
    private final AtomicReferenceArray<Counter> http2Errors = new AtomicReferenceArray<>(2 * Http2Error.values().length);

    public ProxyMeters(MeterRegistry registry) {
        this.registry = registry;
        for (ProxyProtocolRejection r : ProxyProtocolRejection.values()) {
            proxyProtocolRejected[r.ordinal()] = Counter.builder("proxy.proxy_protocol.rejected")
                    .description("Client connections closed before their PROXY protocol header was read")
                    .tag("reason", r.reason()).register(registry);
        }
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
        // get before computeIfAbsent: its lambda captures the registry, so it would allocate on every handshake
        if (success) {
            Counter c = handshakes.get(protocolOrReason);
            if (c == null) {
                c = handshakes.computeIfAbsent(protocolOrReason, p -> Counter.builder("proxy.tls.handshakes")
                        .description("Client TLS handshakes completed, by protocol").tag("protocol", p)
                        .register(registry));
            }
            c.increment();
            handshakeTime.record(nanos, TimeUnit.NANOSECONDS);
        } else {
            Counter c = handshakeFailures.get(protocolOrReason);
            if (c == null) {
                c = handshakeFailures.computeIfAbsent(protocolOrReason, r -> Counter.builder(
                        "proxy.tls.handshake.failures").description("Client TLS handshakes refused, by reason "
                        + "(no_client_certificate, untrusted_client_certificate, expired_certificate, "
                        + "protocol_or_cipher, not_tls, timeout, client_closed, other)").tag("reason", r)
                        .register(registry));
            }
            c.increment();
        }
    }

    @Override
    public void connectionOpened() {
        accepted.increment();
    }

    @Override
    public void connectionRejected(ProxyError reason) {
        Counter c = rejected.get(reason.ordinal());
        if (c == null) {
            // a race registers twice and gets the same counter back: the registry keeps one per name and tags
            c = Counter.builder("proxy.connections.rejected")
                    .description("Client connections closed without a request: over maxConnections (overloaded) or "
                            + "too slow to send a request head (request_header_timeout)")
                    .tag("reason", reason.reason()).register(registry);
            rejected.set(reason.ordinal(), c);
        }
        c.increment();
    }

    @Override
    public void proxyProtocolRejected(ProxyProtocolRejection reason) {
        proxyProtocolRejected[reason.ordinal()].increment();
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
    public void http2ProtocolError(Http2Error error, boolean connection) {
        int i = error.ordinal() + (connection ? Http2Error.values().length : 0);
        Counter c = http2Errors.get(i);
        if (c == null) {
            // bounded: one series per RFC 9113 error code and scope
            c = Counter.builder("proxy.http2.protocol.errors")
                    .description("HTTP/2 protocol errors of clients, answered with RST_STREAM (scope stream) or "
                            + "GOAWAY (scope connection), by the error code sent (protocol_error, "
                            + "flow_control_error, stream_closed, ...)")
                    .tag("reason", error.name().toLowerCase(Locale.ROOT))
                    .tag("scope", connection ? "connection" : "stream").register(registry);
            http2Errors.set(i, c);
        }
        c.increment();
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

    /** The cluster's meters, by name: a cluster rebuilt by a reload carries on counting where it was. */
    @Override
    public ClusterObserver cluster(String name) {
        return clusters.computeIfAbsent(name, n -> new ClusterMeters(registry, n));
    }

    /** The route's meters, by name: a route changed by a reload carries on counting where it was. */
    @Override
    public RouteObserver route(String name) {
        return routes.computeIfAbsent(name, n -> new RouteMeters(registry, n));
    }

    /** The meters of {@code route="unrouted"}. */
    @Override
    public RouteObserver unrouted() {
        return route(MeterNames.UNROUTED);
    }
}
