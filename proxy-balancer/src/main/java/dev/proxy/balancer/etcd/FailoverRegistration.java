package dev.proxy.balancer.etcd;

import static java.util.Objects.requireNonNull;

import dev.proxy.core.config.HostPort;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint registered with the primary/fallback rule of discovery: on the primary etcd while it answers; on the
 * fallback too, under a shorter lease, once the primary has not confirmed the registration for
 * {@code failoverAfter}; off the fallback again (its lease revoked, so its key goes at once) as soon as the primary
 * confirms it again. The primary registration is retried all along.
 *
 * <p>Both sides may hold the endpoint for a while, which is harmless: discovery serves one side's set at a time.
 * What matters is that the side the proxies serve has it: the fallback from shortly after the primary goes away, and
 * the primary whenever it answers.
 *
 * <p>Every step runs on a thread of its own ({@code etcd-registration-failover}), checked twice a second.
 */
public final class FailoverRegistration implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FailoverRegistration.class);
    private static final long CHECK_MILLIS = 500;

    /** How an endpoint registers on each side. */
    public record Settings(String prefix, HostPort address, int weight, Duration ttl, Duration fallbackTtl,
                           Duration failoverAfter, Duration requestTimeout) {
        public Settings {
            requireNonNull(prefix, "prefix");
            requireNonNull(address, "address");
            requireNonNull(ttl, "ttl");
            requireNonNull(fallbackTtl, "fallbackTtl");
            requireNonNull(failoverAfter, "failoverAfter");
            requireNonNull(requestTimeout, "requestTimeout");
        }

        /**
         * The defaults of {@code proxy register}: on the fallback half the primary's time to live (at least 2 s), and
         * the fallback after two missed renewals on the primary (jetcd renews every third of the time to live).
         */
        public static Settings defaults(String prefix, HostPort address, int weight, Duration ttl,
                                        Duration requestTimeout) {
            Duration fallbackTtl = ttl.dividedBy(2).compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                    : ttl.dividedBy(2);
            return new Settings(prefix, address, weight, ttl, fallbackTtl, ttl.multipliedBy(2).dividedBy(3),
                    requestTimeout);
        }
    }

    private final Client primary;
    private final Client fallback;
    private final Settings settings;
    private final ScheduledExecutorService executor;
    private final long startNanos = System.nanoTime();
    // confined to the executor, read by the accessors
    private volatile EtcdRegistration onPrimary;
    private volatile EtcdRegistration onFallback;
    private long fallbackSinceNanos;

    private FailoverRegistration(Client primary, Client fallback, Settings settings) {
        this.primary = requireNonNull(primary, "primary");
        this.fallback = requireNonNull(fallback, "fallback");
        this.settings = requireNonNull(settings, "settings");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "etcd-registration-failover");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers on the primary now if it answers (returns once that is written), and keeps the rule until
     * {@link #close}. A primary that does not answer is tried again every half second; the fallback registration
     * follows after {@code failoverAfter}.
     */
    public static FailoverRegistration register(Client primary, Client fallback, Settings settings) {
        FailoverRegistration r = new FailoverRegistration(primary, fallback, settings);
        try {
            r.executor.submit(r::check).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("registration check failed: {}", e.getCause().toString());
        }
        r.executor.scheduleWithFixedDelay(r::check, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
        return r;
    }

    /** The registration on the primary, once it was written. */
    public Optional<EtcdRegistration> onPrimary() {
        return Optional.ofNullable(onPrimary);
    }

    /** The registration on the fallback, while there is one. */
    public Optional<EtcdRegistration> onFallback() {
        return Optional.ofNullable(onFallback);
    }

    private void check() {
        if (onPrimary == null) {
            try {
                onPrimary = EtcdRegistration.register(primary, settings.prefix(), settings.address(),
                        settings.weight(), settings.ttl(), settings.requestTimeout());
            } catch (RuntimeException e) {
                log.debug("primary etcd: {}", e.getMessage());
            }
        }
        long now = System.nanoTime();
        long confirmed = onPrimary == null ? startNanos : onPrimary.confirmedNanos();
        if (onFallback == null && now - confirmed >= settings.failoverAfter().toNanos()) {
            try {
                onFallback = EtcdRegistration.register(fallback, settings.prefix(), settings.address(),
                        settings.weight(), settings.fallbackTtl(), settings.requestTimeout());
                fallbackSinceNanos = System.nanoTime();
                log.warn("primary etcd has not confirmed {} for {} ms: registered on the fallback etcd too (ttl {}s)",
                        settings.address(), TimeUnit.NANOSECONDS.toMillis(now - confirmed),
                        settings.fallbackTtl().toSeconds());
            } catch (RuntimeException e) {
                log.debug("fallback etcd: {}", e.getMessage());
            }
        } else if (onFallback != null && onPrimary != null && onPrimary.confirmedNanos() > fallbackSinceNanos) {
            // the primary answered since the fallback took over: the fallback's copy is redundant, remove it now
            EtcdRegistration redundant = onFallback;
            onFallback = null;
            redundant.close();
            log.info("primary etcd confirms {} again: the fallback registration is revoked", settings.address());
        }
    }

    /** Revokes both registrations: the endpoint leaves both sides now. Does not close the clients. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        EtcdRegistration p = onPrimary;
        EtcdRegistration f = onFallback;
        onPrimary = null;
        onFallback = null;
        if (p != null) {
            p.close();
        }
        if (f != null) {
            f.close();
        }
    }
}
