/**
 * Channel-level plumbing shared by both sides of the proxy, below HTTP: {@link dev.proxy.core.io.IdleTimeout}, the
 * idle timer of client and upstream connections.
 */
package dev.proxy.core.io;
