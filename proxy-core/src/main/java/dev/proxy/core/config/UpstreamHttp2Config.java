package dev.proxy.core.config;

/**
 * HTTP/2 towards a cluster's endpoints ({@code protocol: h2}): the flow-control windows the proxy offers them, which
 * bound what an upstream may send before the proxy has read it. The proxy reads a stream only as fast as its client
 * takes the response, so a stream's window is also the most response body the proxy holds for one slow client.
 *
 * @param initialStreamWindow bytes an upstream may send on one stream ahead of the proxy's reading
 *     ({@code SETTINGS_INITIAL_WINDOW_SIZE})
 * @param connectionWindow bytes an upstream may send on one connection, all its streams together, ahead of the
 *     proxy's reading; at least twice the stream window, so one stream cannot take it all
 */
public record UpstreamHttp2Config(int initialStreamWindow, int connectionWindow) {
    /** HTTP/2's own window is 64 KiB: too small for one stream to keep a fast link busy. */
    public static final int DEFAULT_INITIAL_STREAM_WINDOW = 1024 * 1024;
    /** HTTP/2's initial window, and the smallest the proxy offers. */
    public static final int MIN_WINDOW = 65_535;
    /** The largest stream window: twice it must still be a window (2^31-1, RFC 9113 §6.9.1). */
    public static final int MAX_STREAM_WINDOW = 1 << 30;

    public UpstreamHttp2Config {
        if (initialStreamWindow < MIN_WINDOW || initialStreamWindow > MAX_STREAM_WINDOW) {
            throw new IllegalArgumentException("initialStreamWindow must be between 65535 and 1GiB");
        }
        if (connectionWindow < 2L * initialStreamWindow) {
            throw new IllegalArgumentException("connectionWindow must be at least twice initialStreamWindow");
        }
    }

    /**
     * The default: a 1 MiB stream window, and a connection window that covers every stream the connection may carry
     * at once ({@code maxStreamsPerConnection}), so streams stalled by slow clients never hold back the others.
     */
    public static UpstreamHttp2Config defaults(int maxStreamsPerConnection) {
        return withStreamWindow(DEFAULT_INITIAL_STREAM_WINDOW, maxStreamsPerConnection);
    }

    /** The default connection window for {@code streamWindow}: all streams' windows, capped at 2^31-1. */
    public static UpstreamHttp2Config withStreamWindow(int streamWindow, int maxStreamsPerConnection) {
        long all = (long) streamWindow * Math.max(2, maxStreamsPerConnection);
        return new UpstreamHttp2Config(streamWindow, (int) Math.min(Integer.MAX_VALUE, all));
    }
}
