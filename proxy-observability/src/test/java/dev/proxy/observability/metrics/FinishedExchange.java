package dev.proxy.observability.metrics;

import dev.proxy.core.ProxyError;
import dev.proxy.core.observe.ExchangeRecord;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;

/** An ended exchange with what the route meters read; everything else is absent. Immutable. */
record FinishedExchange(HttpRequest request, String routeName, int status, ProxyError error, long durationNanos,
                        long bytesIn, long bytesOut) implements ExchangeRecord {

    static FinishedExchange of(HttpMethod method, String route, int status, ProxyError error) {
        return new FinishedExchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, "/"), route, status, error,
                1_000_000, 5, 7);
    }

    @Override
    public InetSocketAddress client() {
        return null;
    }

    @Override
    public String uri() {
        return request.uri();
    }

    @Override
    public String host() {
        return null;
    }

    @Override
    public String clusterName() {
        return null;
    }

    @Override
    public Endpoint endpoint() {
        return null;
    }

    @Override
    public int attempts() {
        return 0;
    }

    @Override
    public long startNanos() {
        return 0;
    }

    @Override
    public long upstreamNanos() {
        return -1;
    }

    @Override
    public String traceId() {
        return null;
    }

    @Override
    public String spanId() {
        return null;
    }
}
