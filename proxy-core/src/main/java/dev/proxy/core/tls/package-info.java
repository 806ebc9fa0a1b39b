/**
 * TLS for the listener and the upstreams: {@link dev.proxy.core.tls.ServerTls} (certificates chosen by SNI,
 * client certificates, reloading the files), {@link dev.proxy.core.tls.UpstreamTls} (a cluster's client context),
 * {@link dev.proxy.core.tls.TlsProvider} (OpenSSL when netty-tcnative is on the classpath, the JDK otherwise) and
 * {@link dev.proxy.core.tls.PeerIdentity} (who a verified client certificate names).
 */
package dev.proxy.core.tls;
