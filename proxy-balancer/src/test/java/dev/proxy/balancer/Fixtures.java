package dev.proxy.balancer;

import dev.proxy.core.config.BalancerConfig;
import dev.proxy.core.config.BalancerPolicy;
import dev.proxy.core.config.HashKey;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.Endpoint;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/** Endpoints, requests and configs shared by the balancer tests. */
final class Fixtures {
    static final SocketAddress CLIENT = new InetSocketAddress("192.0.2.10", 40000);

    private Fixtures() {
    }

    /** Endpoint {@code i} at weight 1: {@code 10.0.x.y:8080}, distinct for every {@code i < 65536}. */
    static Endpoint endpoint(int i) {
        return endpoint(i, 1);
    }

    static Endpoint endpoint(int i, int weight) {
        return new Endpoint(new HostPort("10.0." + (i >> 8) + "." + (i & 0xff), 8080), weight);
    }

    /** Endpoints {@code 0 .. n-1} at weight 1. */
    static List<Endpoint> endpoints(int n) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(endpoint(i));
        }
        return list;
    }

    /** Endpoint {@code i} has weight {@code weights[i]}. */
    static List<Endpoint> weighted(int... weights) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            list.add(endpoint(i, weights[i]));
        }
        return list;
    }

    static HttpRequest request(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    static HttpRequest requestWithHeader(String name, String value) {
        HttpRequest request = request("/api/orders?page=2");
        request.headers().set(name, value);
        return request;
    }

    static BalancerConfig hashing(BalancerPolicy policy, HashKey.Source source, String name) {
        return new BalancerConfig(policy, Optional.of(new HashKey(source, name)), BalancerConfig.DEFAULT_VIRTUAL_NODES,
                BalancerConfig.DEFAULT_TABLE_SIZE);
    }

    /** A seeded random source for {@link LeastRequest}, for one test thread. */
    static IntUnaryOperator seeded(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return random::nextInt;
    }
}
