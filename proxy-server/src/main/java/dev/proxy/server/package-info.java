/**
 * The composition root: {@link dev.proxy.server.Main} (command line) and {@link dev.proxy.server.ProxyApp}, the one
 * place that knows every module and wires them into a running proxy.
 */
package dev.proxy.server;
