package dev.proxy.core.engine;

import dev.proxy.core.ProxyError;
import dev.proxy.core.runtime.Cluster;
import dev.proxy.core.runtime.RoutePlan;
import dev.proxy.core.runtime.RouteTarget;
import dev.proxy.core.upstream.AcquireCallback;
import dev.proxy.core.upstream.PooledConnection;
import dev.proxy.core.upstream.UpstreamListener;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A copy of one request sent to a route's shadow cluster, fire and forget. It never slows or fails the request it
 * copies: it has its own connection from the shadow cluster's pool, drops its copy the moment that connection
 * cannot take more bytes or the body grows past its limit, and throws the shadow's answer away.
 *
 * <p>Confined to the client's event loop, like the exchange it copies. Ownership: {@link #offer} takes a retained
 * duplicate of each part; every duplicate is written or released here.
 */
final class MirrorExchange implements AcquireCallback, UpstreamListener {
    private static final Logger log = LoggerFactory.getLogger(MirrorExchange.class);

    private final HttpRequest head;
    private final long maxBodySize;
    private final long responseTimeoutNanos;
    private final EventLoop loop;
    private ArrayDeque<HttpContent> queued;
    private PooledConnection connection;
    private ScheduledFuture<?> responseTimer;
    private long bodyBytes;
    private boolean requestWritten;
    private boolean keepAlive;
    private boolean skipInformational;
    private boolean done;

    private MirrorExchange(HttpRequest head, long maxBodySize, long responseTimeoutNanos, EventLoop loop) {
        this.head = head;
        this.maxBodySize = maxBodySize;
        this.responseTimeoutNanos = responseTimeoutNanos;
        this.loop = loop;
    }

    /**
     * Starts a copy of {@code request} (its head as rewritten for the upstream) to the route's shadow cluster, for the
     * route's sampled share of requests, with the body parts {@code held} so far; null when the route has no mirror,
     * this request is not sampled, or the shadow has no endpoint.
     */
    static MirrorExchange sample(RouteTarget target, HttpRequest request, InetSocketAddress client, EventLoop loop,
                                 Iterable<HttpContent> held) {
        Optional<Cluster> shadow = target.mirror();
        if (shadow.isEmpty()) {
            return null;
        }
        RoutePlan plan = target.plan();
        if (ThreadLocalRandom.current().nextDouble() * 100 >= plan.mirrorPercent()) {
            return null;
        }
        MirrorExchange mirror = start(shadow.get(), request, client, loop, plan.mirrorMaxBodySize());
        if (mirror != null) {
            for (HttpContent part : held) {
                mirror.offer(part);
            }
        }
        return mirror;
    }

    /**
     * Starts a copy of {@code request} (its head as rewritten for the upstream) to {@code shadow}, or returns null
     * when the shadow cluster has no endpoint to offer. The copy's Host gets the suffix {@code -shadow}, as Envoy
     * does, so that the shadow service can tell copies from real traffic.
     */
    static MirrorExchange start(Cluster shadow, HttpRequest request, InetSocketAddress client, EventLoop loop,
                                long maxBodySize) {
        // never retried and never reported: the copy's outcome says nothing to the breaker or outlier detection
        EndpointLease lease = new EndpointLease(shadow);
        if (!lease.pickWithoutPermit(request, client)) {
            return null;
        }
        HttpRequest copy = new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(),
                request.headers().copy());
        String host = copy.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            copy.headers().set(HttpHeaderNames.HOST, shadowHost(host));
        }
        MirrorExchange mirror = new MirrorExchange(copy, maxBodySize, shadow.responseHeaderNanos(), loop);
        lease.acquire(loop, mirror);
        return mirror;
    }

    static String shadowHost(String host) {
        int colon = host.lastIndexOf(':');
        boolean hasPort = colon > 0 && host.indexOf(']') < colon;
        return hasPort ? host.substring(0, colon) + "-shadow" + host.substring(colon) : host + "-shadow";
    }

    /** A part of the request body; the caller keeps its own reference, the mirror takes a duplicate. */
    void offer(HttpContent part) {
        if (done) {
            return;
        }
        bodyBytes += part.content().readableBytes();
        if (bodyBytes > maxBodySize) {
            abandon();
            return;
        }
        HttpContent copy = part.retainedDuplicate();
        if (connection == null) {
            if (queued == null) {
                queued = new ArrayDeque<>(4);
            }
            queued.add(copy);
        } else {
            write(copy, true);
        }
    }

    /** The copied request will not be complete (its client went away or was answered early): drop the copy. */
    void abandon() {
        if (done) {
            return;
        }
        done = true;
        releaseQueued();
        cancelResponseTimer();
        PooledConnection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
    }

    private void write(HttpContent copy, boolean flush) {
        Channel channel = connection.channel();
        if (!channel.isWritable()) {
            // the shadow is slower than the client: the copy is dropped rather than buffered
            copy.release();
            abandon();
            return;
        }
        boolean last = copy instanceof LastHttpContent;
        if (flush || last) {
            channel.writeAndFlush(copy);
        } else {
            channel.write(copy);
        }
        if (last) {
            requestWritten = true;
            responseTimer = loop.schedule(this::abandon, responseTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void acquired(PooledConnection c) {
        if (done) {
            c.release();
            return;
        }
        connection = c;
        c.attach(this);
        c.channel().write(head);
        if (queued != null) {
            HttpContent part;
            while (!done && (part = queued.poll()) != null) {
                write(part, false);
            }
        }
        if (!done) {
            c.channel().flush();
        }
    }

    @Override
    public void acquireFailed(ProxyError error, Throwable cause) {
        log.debug("mirror to the shadow cluster dropped: {}", error.reason());
        done = true;
        releaseQueued();
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        try {
            if (done) {
                return;
            }
            if (msg instanceof HttpResponse) {
                int code = ((HttpResponse) msg).status().code();
                skipInformational = code < 200;
                if (!skipInformational) {
                    cancelResponseTimer();
                    keepAlive = HttpUtil.isKeepAlive((HttpResponse) msg);
                }
            }
            if (msg instanceof LastHttpContent) {
                if (skipInformational) {
                    skipInformational = false;
                } else {
                    end();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The shadow's answer is complete: the connection goes back to the pool when both sides ended cleanly. */
    private void end() {
        done = true;
        cancelResponseTimer();
        PooledConnection c = connection;
        connection = null;
        if (keepAlive && requestWritten) {
            c.release();
        } else {
            c.close();
        }
    }

    @Override
    public void onUpstreamReadComplete() {
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
    }

    @Override
    public void onUpstreamIdle() {
        abandon();
    }

    @Override
    public void onUpstreamClosed() {
        abandon();
    }

    @Override
    public void onUpstreamError(Throwable cause) {
        abandon();
    }

    private void cancelResponseTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    private void releaseQueued() {
        BodyParts.releaseAll(queued);
    }
}
