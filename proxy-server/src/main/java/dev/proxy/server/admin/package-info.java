/** The admin listener: {@code /healthz} and {@code /readyz}, on an event loop of its own. */
package dev.proxy.server.admin;
