package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.HealthCheckConfig;
import dev.proxy.core.config.UpstreamProtocol;
import dev.proxy.core.tls.UpstreamTls;
import dev.proxy.core.Endpoint;
import dev.proxy.core.upstream.UpstreamChannelInitializer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks each endpoint of a cluster for its health path, on a connection of its own (never one of the traffic pool's),
 * in the cluster's protocol (HTTP/1.1, or HTTP/2 on a stream of that connection),
 * every interval with ±10% jitter so that many proxies do not probe in step. An endpoint turns unhealthy after
 * {@code unhealthyThreshold} failed checks in a row and healthy again after {@code healthyThreshold} passed ones.
 *
 * <p>Each endpoint's checks run on one event loop, without blocking it: its counters are confined to that loop.
 * {@link #close} stops all checks; it may be called from any thread.
 */
final class ActiveHealthChecker {
    private static final Logger log = LoggerFactory.getLogger(ActiveHealthChecker.class);

    private final HealthCheckConfig config;
    private final EndpointHealth health;
    private final String clusterName;
    private volatile boolean closed;

    ActiveHealthChecker(String clusterName, HealthCheckConfig config, EndpointHealth health) {
        this.clusterName = clusterName;
        this.config = requireNonNull(config, "config");
        this.health = requireNonNull(health, "health");
    }

    /**
     * Starts checking every endpoint; the first check of each comes at a random point of the first interval.
     *
     * @param tls the cluster's TLS, or null: a check then speaks TLS to the endpoint as traffic does
     * @param protocol the cluster's: a check speaks HTTP/2 to an {@code h2} cluster, on a stream of its connection
     */
    void start(List<Endpoint> endpoints, Bootstrap upstream, UpstreamTls tls, UpstreamProtocol protocol) {
        boolean h2 = protocol == UpstreamProtocol.H2;
        for (Endpoint e : endpoints) {
            EventLoop loop = upstream.config().group().next();
            Bootstrap b = upstream.clone(loop)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, config.timeout().toMillis()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (!h2) {
                                ch.pipeline().addLast(new HttpClientCodec());
                            }
                        }
                    });
            Probe probe = new Probe(e, b, loop, tls, h2);
            long first = ThreadLocalRandom.current().nextLong(Math.max(1, config.interval().toNanos()));
            loop.schedule(probe::run, first, TimeUnit.NANOSECONDS);
        }
    }

    void close() {
        closed = true;
    }

    /** The checks of one endpoint. Confined to its event loop. */
    private final class Probe {
        private final Endpoint endpoint;
        private final Bootstrap bootstrap;
        private final EventLoop loop;
        private final UpstreamTls tls;
        private final boolean h2;
        private int passes;
        private int failures;
        private boolean healthy = true;
        /** Numbers the checks, so that a late event of an earlier check cannot settle the current one. */
        private long current;
        private boolean settled;

        Probe(Endpoint endpoint, Bootstrap bootstrap, EventLoop loop, UpstreamTls tls, boolean h2) {
            this.h2 = h2;
            this.endpoint = endpoint;
            this.bootstrap = bootstrap;
            this.loop = loop;
            this.tls = tls;
        }

        void run() {
            if (closed) {
                return;
            }
            settled = false;
            long check = ++current;
            ChannelFuture connect = bootstrap.connect(endpoint.socketAddress());
            Channel ch = connect.channel();
            loop.schedule(() -> settle(check, ch, false), config.timeout().toNanos(), TimeUnit.NANOSECONDS);
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    settle(check, ch, false);
                } else if (tls == null) {
                    ask(check, ch);
                } else {
                    SslHandler ssl = tls.newHandler(ch.alloc(), endpoint.address().host(), endpoint.address().port());
                    ch.pipeline().addFirst(ssl);
                    ssl.handshakeFuture().addListener(h -> {
                        if (h.isSuccess()) {
                            ask(check, ch);
                        } else {
                            settle(check, ch, false);
                        }
                    });
                }
            });
        }

        /** Sends the check's request on the established connection: itself, or a stream of it over HTTP/2. */
        private void ask(long check, Channel ch) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
            request.headers()
                    .set(HttpHeaderNames.HOST, endpoint.address().toString())
                    .set(HttpHeaderNames.USER_AGENT, "proxy-health-check");
            if (!h2) {
                request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ch.pipeline().addLast(new Answer(check, ch));
                ch.writeAndFlush(request);
                return;
            }
            UpstreamChannelInitializer.addHttp2(ch);
            new Http2StreamChannelBootstrap(ch).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel stream) {
                    stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new Answer(check, ch));
                }
            }).open().addListener((Future<Http2StreamChannel> s) -> {
                if (s.isSuccess()) {
                    s.getNow().writeAndFlush(request);
                } else {
                    request.release();
                    settle(check, ch, false);
                }
            });
        }

        /** Reads the check's response head; the connection (or stream) ending first fails the check. */
        private final class Answer extends SimpleChannelInboundHandler<HttpObject> {
            private final long check;
            private final Channel connection;

            Answer(long check, Channel connection) {
                this.check = check;
                this.connection = connection;
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                if (msg instanceof HttpResponse r) {
                    settle(check, connection, r.decoderResult().isSuccess()
                            && config.expectStatus().contains(r.status().code()));
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                settle(check, connection, false);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                settle(check, connection, false);
            }
        }

        /** The outcome of one check, taken once: the first of response, failure and timeout wins. */
        private void settle(long check, Channel ch, boolean passed) {
            if (settled || check != current) {
                return;
            }
            settled = true;
            ch.close();
            if (passed) {
                passes++;
                failures = 0;
                if (!healthy && passes >= config.healthyThreshold()) {
                    healthy = true;
                    health.setActiveHealthy(endpoint, true);
                    log.info("cluster {}: endpoint {} passed its health checks, back in rotation", clusterName,
                            endpoint);
                }
            } else {
                failures++;
                passes = 0;
                if (healthy && failures >= config.unhealthyThreshold()) {
                    healthy = false;
                    health.setActiveHealthy(endpoint, false);
                    log.warn("cluster {}: endpoint {} failed {} health checks in a row, out of rotation",
                            clusterName, endpoint, failures);
                }
            }
            if (!closed) {
                long interval = config.interval().toNanos();
                long jitter = interval / 10;
                long next = interval - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1);
                loop.schedule(this::run, next, TimeUnit.NANOSECONDS);
            }
        }
    }
}
