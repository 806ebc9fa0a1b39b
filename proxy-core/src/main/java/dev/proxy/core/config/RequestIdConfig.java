package dev.proxy.core.config;

/**
 * The request id every request carries in {@code X-Request-Id}, upstream and back to the client, as Envoy's
 * {@code x-request-id} handling does.
 *
 * @param enabled whether the proxy gives each request an id; off, the client's header passes untouched and none is
 *     echoed
 * @param trustClient whether a well-formed id the client sent is kept (Envoy's {@code preserve_external_request_id});
 *     off (the default), every request gets a new one, so a client cannot pose as another request in the logs
 */
public record RequestIdConfig(boolean enabled, boolean trustClient) {
    /** An id for every request; the client's own is replaced. */
    public static final RequestIdConfig DEFAULT = new RequestIdConfig(true, false);
}
