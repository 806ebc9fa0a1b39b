/**
 * The access log: one JSON line per request on the {@code proxy.access} logger, which the shipped Logback config
 * hands to an asynchronous appender that drops lines rather than block an event loop when its queue is full.
 */
package dev.proxy.observability.accesslog;
