/**
 * The proxy's own Logback configuration, built in code: {@link dev.proxy.server.logging.ProxyLogConfigurator} (found
 * by Logback through {@code META-INF/services}) sets it up at the first logger, and
 * {@link dev.proxy.server.logging.ProxyLogging#applyFileFormat} switches the format when the routes file asks.
 */
package dev.proxy.server.logging;
