package dev.proxy.core.filter;

import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;

/** What a filter may read of a request. Implemented by the exchange; only valid during the call it is passed to. */
public interface RequestInfo {
    /** The request head as the client sent it (before any rewrite). Filters must not change it. */
    HttpRequest request();

    InetSocketAddress client();

    String routeName();
}
