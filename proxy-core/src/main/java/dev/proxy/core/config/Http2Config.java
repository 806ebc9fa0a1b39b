package dev.proxy.core.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * HTTP/2 towards clients: ALPN {@code h2} on a TLS listener, h2c with prior knowledge on a plain one. Every stream
 * is one request through the same routes and filters as HTTP/1.1; upstreams stay HTTP/1.1.
 *
 * @param enabled whether clients may speak HTTP/2; off, the listener speaks HTTP/1.1 only
 * @param maxConcurrentStreams streams a client may have open at once on one connection (SETTINGS); more are refused
 *     with {@code REFUSED_STREAM}
 * @param maxHeaderListSize bytes of one request's header list, uncompressed (SETTINGS_MAX_HEADER_LIST_SIZE)
 * @param initialWindowSize bytes of request body a client may send on a stream before the proxy reads it
 *     (per-stream flow-control window)
 * @param maxResetsPerWindow client stream resets ({@code RST_STREAM}) tolerated per {@code resetWindow} before the
 *     connection is closed with {@code ENHANCE_YOUR_CALM}: the "rapid reset" attack (CVE-2023-44487)
 * @param resetWindow the window of {@code maxResetsPerWindow}, whole seconds
 */
public record Http2Config(boolean enabled, int maxConcurrentStreams, int maxHeaderListSize, int initialWindowSize,
                          int maxResetsPerWindow, Duration resetWindow) {
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
    /** HTTP/2's own default window is 64 KiB; 1 MiB lets one upload stream at a useful rate over a long path. */
    public static final int DEFAULT_INITIAL_WINDOW_SIZE = 1024 * 1024;
    /** Netty's own default since its rapid-reset fix. */
    public static final int DEFAULT_MAX_RESETS_PER_WINDOW = 200;
    public static final Duration DEFAULT_RESET_WINDOW = Duration.ofSeconds(30);

    public Http2Config {
        requireNonNull(resetWindow, "resetWindow");
    }

    /** HTTP/2 on, with the default limits and a header list as large as an HTTP/1.1 header section may be. */
    public static Http2Config defaults(int maxHeaderSize) {
        return new Http2Config(true, DEFAULT_MAX_CONCURRENT_STREAMS, maxHeaderSize, DEFAULT_INITIAL_WINDOW_SIZE,
                DEFAULT_MAX_RESETS_PER_WINDOW, DEFAULT_RESET_WINDOW);
    }
}
