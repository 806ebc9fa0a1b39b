package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint registered in etcd the way the proxy discovers it: the key {@code <prefix><host:port>} holds
 * {@code {"address":"host:port","weight":N}} under a lease that is kept alive. When the lease is lost (etcd was
 * away longer than its time to live) the endpoint registers again under a new one. {@link #close} revokes the
 * lease, so the endpoint disappears at once rather than when the lease would have expired.
 *
 * <p>What {@code proxy register} and the demo backends use; services with their own etcd client do the same.
 */
public final class EtcdRegistration implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EtcdRegistration.class);
    private static final long RETRY_MILLIS = 1000;

    private final Client client;
    private final ByteSequence key;
    private final ByteSequence value;
    private final Duration ttl;
    private final Duration requestTimeout;
    private final ScheduledExecutorService executor;
    private volatile long leaseId;
    /** When etcd last confirmed the registration (the put, or a kept-alive lease), by {@link System#nanoTime}. */
    private volatile long confirmedNanos;
    private volatile CloseableClient keepAlive;
    private volatile boolean closed;

    private EtcdRegistration(Client client, String prefix, HostPort address, int weight, Duration ttl,
                             Duration requestTimeout) {
        this.client = requireNonNull(client, "client");
        this.key = ByteSequence.from(prefix + address, UTF_8);
        this.value = ByteSequence.from(RegistrationCodec.encode(new EndpointConfig(address, weight)).toString(), UTF_8);
        this.ttl = requireNonNull(ttl, "ttl");
        this.requestTimeout = requireNonNull(requestTimeout, "requestTimeout");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "etcd-registration");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers {@code address} under {@code prefix} and keeps it registered until {@link #close}. Returns once the
     * first registration is written.
     *
     * @param ttl how long the registration outlives this process if it dies without closing (at least 2 s)
     * @throws IllegalStateException etcd did not accept the registration within {@code requestTimeout}
     */
    public static EtcdRegistration register(Client client, String prefix, HostPort address, int weight,
                                            Duration ttl, Duration requestTimeout) {
        if (ttl.toSeconds() < 2) {
            throw new IllegalArgumentException("ttl must be at least 2s, was " + ttl);
        }
        EtcdRegistration r = new EtcdRegistration(client, prefix, address, weight, ttl, requestTimeout);
        try {
            r.grantAndPut();
        } catch (RuntimeException e) {
            r.close();
            throw new IllegalStateException("cannot register " + address + " under " + prefix + ": "
                    + e.getMessage(), e);
        }
        return r;
    }

    /** The key this registration writes. */
    public String key() {
        return key.toString(UTF_8);
    }

    /**
     * When etcd last confirmed this registration, by {@link System#nanoTime}: the put, then each kept-alive lease
     * (jetcd renews it every third of its time to live).
     */
    public long confirmedNanos() {
        return confirmedNanos;
    }

    /** The lease the key lives on now. */
    public long leaseId() {
        return leaseId;
    }

    private void grantAndPut() {
        long timeout = requestTimeout.toMillis();
        long id = client.getLeaseClient().grant(ttl.toSeconds()).orTimeout(timeout, TimeUnit.MILLISECONDS)
                .join().getID();
        client.getKVClient().put(key, value, PutOption.builder().withLeaseId(id).build())
                .orTimeout(timeout, TimeUnit.MILLISECONDS).join();
        leaseId = id;
        confirmedNanos = System.nanoTime();
        keepAlive = client.getLeaseClient().keepAlive(id, new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse response) {
                confirmedNanos = System.nanoTime();
            }

            @Override
            public void onError(Throwable t) {
                if (!closed) {
                    log.warn("lease of {} lost ({}); registering again", key(), t.getMessage());
                    retry();
                }
            }

            @Override
            public void onCompleted() {
            }
        });
        log.info("registered {} with lease {}", key(), Long.toHexString(id));
    }

    private void retry() {
        CloseableClient old = keepAlive;
        if (old != null) {
            old.close();
        }
        executor.schedule(() -> {
            if (closed) {
                return;
            }
            try {
                grantAndPut();
            } catch (RuntimeException e) {
                log.debug("registering {} again failed: {}", key(), e.getMessage());
                retry();
            }
        }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Revokes the lease: the key is deleted now. Does not close the client. */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        CloseableClient k = keepAlive;
        if (k != null) {
            k.close();
        }
        long id = leaseId;
        if (id != 0) {
            try {
                client.getLeaseClient().revoke(id).orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS).join();
            } catch (RuntimeException e) {
                log.warn("revoking the lease of {} failed; the key goes when the lease expires: {}", key(),
                        e.getMessage());
            }
        }
    }
}
