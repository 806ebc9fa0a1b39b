package dev.proxy.server;

import dev.proxy.balancer.etcd.EtcdClients;
import dev.proxy.balancer.etcd.EtcdRegistration;
import dev.proxy.balancer.etcd.FailoverRegistration;
import dev.proxy.core.config.EtcdConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.config.Units;
import io.etcd.jetcd.Client;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code proxy register}: registers one endpoint in etcd the way the proxy discovers it, keeps the lease alive, and
 * revokes it on SIGTERM or Ctrl-C. For scripts and the compose demo: no etcdctl or Go client needed. With
 * {@code --fallback-etcd}, the primary/fallback rule of discovery ({@link FailoverRegistration}).
 */
@Command(name = "register", mixinStandardHelpOptions = true,
        description = "Register host:port under an etcd prefix with a lease, keep it alive, revoke it on exit.")
final class RegisterCommand implements Callable<Integer> {
    @Option(names = "--etcd", paramLabel = "URL", split = ",", defaultValue = "http://127.0.0.1:2379",
            description = "etcd client URLs, comma-separated (default: ${DEFAULT-VALUE}).")
    List<URI> etcd;

    @Option(names = "--prefix", required = true, paramLabel = "PREFIX",
            description = "The key prefix of the cluster, as in its discovery.etcd.prefix.")
    String prefix;

    @Option(names = "--address", required = true, paramLabel = "HOST:PORT", description = "The endpoint to register.")
    String address;

    @Option(names = "--weight", defaultValue = "1", description = "Its weight (default: ${DEFAULT-VALUE}).")
    int weight;

    @Option(names = "--ttl", defaultValue = "10s",
            description = "How long the registration outlives this process if it dies (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--fallback-etcd", paramLabel = "URL", split = ",",
            description = "A fallback etcd cluster's client URLs: the endpoint registers there too, with --fallback-ttl,"
                    + " while the primary has not confirmed it for --failover-after, and leaves it when the primary"
                    + " confirms it again.")
    List<URI> fallbackEtcd;

    @Option(names = "--fallback-ttl",
            description = "The lease on the fallback (default: half of --ttl, at least 2s).")
    String fallbackTtl;

    @Option(names = "--failover-after",
            description = "How long the primary may go without confirming before the fallback registration"
                    + " (default: two thirds of --ttl, two missed renewals).")
    String failoverAfter;

    @Override
    public Integer call() throws InterruptedException {
        if (fallbackEtcd != null && !fallbackEtcd.isEmpty()) {
            return withFallback();
        }
        if (fallbackTtl != null || failoverAfter != null) {
            new PrintWriter(System.err, true).println("register: --fallback-ttl and --failover-after need"
                    + " --fallback-etcd");
            return 2;
        }
        PrintWriter err = new PrintWriter(System.err, true);
        HostPort endpoint;
        Duration leaseTtl;
        try {
            endpoint = HostPort.parse(address);
            leaseTtl = Units.duration(ttl);
        } catch (IllegalArgumentException e) {
            err.println("register: " + e.getMessage());
            return 2;
        }
        if (weight < 1) {
            err.println("register: --weight must be at least 1");
            return 2;
        }
        EtcdConfig config = EtcdConfig.plain(etcd);
        Client client = EtcdClients.connect(config);
        EtcdRegistration registration;
        try {
            registration = EtcdRegistration.register(client, prefix, endpoint, weight, leaseTtl,
                    config.requestTimeout());
        } catch (RuntimeException e) {
            client.close();
            err.println("register: " + e.getMessage());
            return 1;
        }
        System.out.println("registered " + registration.key() + " (lease " + Long.toHexString(registration.leaseId())
                + ", ttl " + leaseTtl.toSeconds() + "s); stop with SIGTERM or Ctrl-C");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registration.close();
                client.close();
            } finally {
                stopped.countDown();
            }
        }, "register-shutdown"));
        stopped.await();
        return 0;
    }

    /** The primary/fallback rule of discovery, for one endpoint: {@link FailoverRegistration}. */
    private int withFallback() throws InterruptedException {
        PrintWriter err = new PrintWriter(System.err, true);
        FailoverRegistration.Settings settings;
        try {
            Duration leaseTtl = Units.duration(ttl);
            FailoverRegistration.Settings d = FailoverRegistration.Settings.defaults(prefix, HostPort.parse(address),
                    weight, leaseTtl, EtcdConfig.DEFAULT_REQUEST_TIMEOUT);
            settings = new FailoverRegistration.Settings(prefix, d.address(), weight, leaseTtl,
                    fallbackTtl == null ? d.fallbackTtl() : Units.duration(fallbackTtl),
                    failoverAfter == null ? d.failoverAfter() : Units.duration(failoverAfter), d.requestTimeout());
        } catch (IllegalArgumentException e) {
            err.println("register: " + e.getMessage());
            return 2;
        }
        if (weight < 1 || settings.ttl().toSeconds() < 2 || settings.fallbackTtl().toSeconds() < 2
                || settings.failoverAfter().isZero()) {
            err.println("register: --weight must be at least 1, --ttl and --fallback-ttl at least 2s,"
                    + " --failover-after above 0");
            return 2;
        }
        Client primary = EtcdClients.connect(EtcdConfig.plain(etcd));
        Client fallback = EtcdClients.connect(EtcdConfig.plain(fallbackEtcd));
        FailoverRegistration registration = FailoverRegistration.register(primary, fallback, settings);
        String key = prefix + settings.address();
        System.out.println(registration.onPrimary().isPresent()
                ? "registered " + key + " (ttl " + settings.ttl().toSeconds() + "s; on the fallback etcd with ttl "
                        + settings.fallbackTtl().toSeconds() + "s after " + settings.failoverAfter().toMillis()
                        + "ms without the primary); stop with SIGTERM or Ctrl-C"
                : "primary etcd unreachable: registering " + key + " on the fallback etcd after "
                        + settings.failoverAfter().toMillis() + "ms, and on the primary once it answers");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registration.close();
                primary.close();
                fallback.close();
            } finally {
                stopped.countDown();
            }
        }, "register-shutdown"));
        stopped.await();
        return 0;
    }
}
