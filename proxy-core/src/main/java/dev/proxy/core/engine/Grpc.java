package dev.proxy.core.engine;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;

/**
 * What the proxy does differently for a gRPC call ({@code content-type: application/grpc…}): it answers its own
 * failures as gRPC statuses (see {@link ErrorResponses}) and takes the caller's {@code grpc-timeout} as the call's
 * deadline when it is shorter than the route's.
 */
final class Grpc {
    static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    static final AsciiString CONTENT_TYPE = AsciiString.cached("application/grpc");
    /** No usable {@code grpc-timeout}: a constant, not an {@code OptionalLong}, as it is read for every gRPC call. */
    static final long NO_TIMEOUT = -1;

    private Grpc() {
    }

    static boolean isGrpc(HttpRequest request) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    /**
     * The {@code grpc-timeout} header in nanoseconds ({@code 100m} is 100 ms), or {@link #NO_TIMEOUT} when it is
     * absent or not the spec's form: at most 8 digits and a unit of H, M, S, m, u or n.
     */
    static long timeoutNanos(String value) {
        if (value == null || value.length() < 2 || value.length() > 9) {
            return NO_TIMEOUT;
        }
        long amount = 0;
        for (int i = 0; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return NO_TIMEOUT;
            }
            amount = amount * 10 + (c - '0');
        }
        TimeUnit unit = switch (value.charAt(value.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? NO_TIMEOUT : unit.toNanos(amount);
    }
}
