package dev.proxy.core.engine;

import dev.proxy.core.config.RequestIdConfig;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives each request its {@code X-Request-Id}: a new random UUID (version 4, as Envoy makes them), or, where the
 * config trusts clients, the well-formed one the client sent. Stateless; called on the request's event loop.
 */
final class RequestIds {
    /** Longest id kept from a client; a longer one is replaced. */
    static final int MAX_LENGTH = 128;

    private RequestIds() {
    }

    /**
     * Sets the request's id in {@code headers} (one value, replacing any others) and returns it; returns null and
     * leaves the headers alone when ids are off.
     */
    static String assign(HttpHeaders headers, RequestIdConfig config) {
        if (!config.enabled()) {
            return null;
        }
        if (config.trustClient()) {
            // exactly one value: a request with two ids has none that can be believed
            String sent = headers.getAll(MessageHeaders.X_REQUEST_ID).size() == 1
                    ? headers.get(MessageHeaders.X_REQUEST_ID) : null;
            if (sent != null && isWellFormed(sent)) {
                return sent;
            }
        }
        String id = newId();
        headers.set(MessageHeaders.X_REQUEST_ID, id);
        return id;
    }

    /**
     * Whether a client's id may be kept: 1 to {@link #MAX_LENGTH} characters of letters, digits and
     * {@code - _ . : / + = @}, so it is safe in a header, a log line and a span attribute as it is.
     */
    static boolean isWellFormed(String id) {
        int n = id.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=' || c == '@';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * A random version 4 UUID in its usual text form. From {@link ThreadLocalRandom}, not {@code UUID.randomUUID()}:
     * an id needs to be unique, not unguessable, and SecureRandom would be a shared lock on every event loop.
     */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        // the version (4) and variant (IETF) bits set as UUID.randomUUID sets them
        long high = (r.nextLong() & ~0xF000L) | 0x4000L;
        long low = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
