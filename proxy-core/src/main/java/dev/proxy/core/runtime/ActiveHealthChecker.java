package dev.proxy.core.runtime;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.HealthCheckConfig;
import dev.proxy.core.tls.UpstreamTls;
import dev.proxy.core.upstream.Endpoint;
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
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks each endpoint of a cluster for its health path, on a connection of its own (never one of the traffic pool's),
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

    /** Starts checking every endpoint; the first check of each comes at a random point of the first interval. */
    /**
     * @param tls the cluster's TLS, or null: a check then speaks TLS to the endpoint as traffic does
     */
    void start(List<Endpoint> endpoints, Bootstrap upstream, UpstreamTls tls) {
        for (Endpoint e : endpoints) {
            EventLoop loop = upstream.config().group().next();
            Bootstrap b = upstream.clone(loop)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, config.timeout().toMillis()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec());
                        }
                    });
            Probe probe = new Probe(e, b, loop, tls);
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
        private int passes;
        private int failures;
        private boolean healthy = true;
        /** Numbers the checks, so that a late event of an earlier check cannot settle the current one. */
        private long current;
        private boolean settled;

        Probe(Endpoint endpoint, Bootstrap bootstrap, EventLoop loop, UpstreamTls tls) {
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
                    return;
                }
                if (tls != null) {
                    // the request is held until the handshake is done; a failed one closes the channel: a failed check
                    ch.pipeline().addFirst(tls.newHandler(ch.alloc(), endpoint.address().host(),
                            endpoint.address().port()));
                }
                ch.pipeline().addLast(new SimpleChannelInboundHandler<HttpObject>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                        if (msg instanceof HttpResponse) {
                            HttpResponse r = (HttpResponse) msg;
                            settle(check, ch, r.decoderResult().isSuccess()
                                    && config.expectStatus().contains(r.status().code()));
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        settle(check, ch, false);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        settle(check, ch, false);
                    }
                });
                FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                        config.path());
                request.headers()
                        .set(HttpHeaderNames.HOST, endpoint.address().toString())
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .set(HttpHeaderNames.USER_AGENT, "proxy-health-check");
                ch.writeAndFlush(request);
            });
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
