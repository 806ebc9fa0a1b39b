package dev.proxy.observability.tracing;

import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Collections;
import java.util.Iterator;

/**
 * Reads and writes trace-context headers on a Netty request head. Netty's header lookup ignores case, as HTTP does.
 * A value is set, not added, so a retry replaces the previous attempt's {@code traceparent}.
 */
enum NettyHeaders implements TextMapGetter<HttpRequest>, TextMapSetter<HttpRequest> {
    INSTANCE;

    @Override
    public String get(HttpRequest carrier, String key) {
        return carrier == null ? null : carrier.headers().get(key);
    }

    /** Every value of a repeated header (several {@code baggage} lines, say), in order. */
    @Override
    public Iterator<String> getAll(HttpRequest carrier, String key) {
        return carrier == null ? Collections.emptyIterator() : carrier.headers().getAll(key).iterator();
    }

    @Override
    public void set(HttpRequest carrier, String key, String value) {
        if (carrier != null) {
            carrier.headers().set(key, value);
        }
    }
}
