/**
 * Endpoints discovered from etcd. {@link dev.proxy.balancer.etcd.EtcdEndpointSource} follows every discovered
 * cluster of a config with one {@code PrefixWatch} (list, then watch from the listed revision + 1, resume after a
 * break from the last applied revision, list again after a compaction) on a single thread of its own, decodes each
 * value with {@code RegistrationCodec} (our JSON, or the format of etcd's Go naming package), and hands whole
 * endpoint sets to the running {@link dev.proxy.core.engine.ProxyServer}. While etcd is away the last sets keep
 * serving; {@code EndpointSnapshotFile} keeps them across restarts. With a fallback etcd,
 * {@link dev.proxy.balancer.etcd.FailoverEndpointSource} follows both clusters and serves one at a time (start at its
 * {@code of}). {@link dev.proxy.balancer.etcd.EtcdRegistration}
 * is the other side: one endpoint registered under a kept-alive lease ({@code proxy register}).
 */
package dev.proxy.balancer.etcd;
