package dev.proxy.resilience;

import dev.proxy.core.filter.RequestInfo;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A request head and a client address, as the engine would pass them to a filter. */
public record TestRequest(HttpRequest request, InetSocketAddress client, String routeName) implements RequestInfo {

    /** {@code GET /} from {@code ip}, on route "r". */
    public static TestRequest from(String ip) {
        try {
            InetSocketAddress client = new InetSocketAddress(InetAddress.getByName(ip), 40000);
            return new TestRequest(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), client, "r");
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    public static TestRequest get() {
        return from("192.0.2.1");
    }

    /** This request with a header added. */
    public TestRequest with(String name, String value) {
        request.headers().add(name, value);
        return this;
    }
}
