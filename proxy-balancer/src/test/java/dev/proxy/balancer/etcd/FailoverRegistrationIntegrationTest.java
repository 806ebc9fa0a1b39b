package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.proxy.core.config.EtcdConfig;
import dev.proxy.core.config.HostPort;
import dev.proxy.core.testing.Closer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Registration with the primary/fallback rule against two real etcd processes: on the primary while it answers, on
 * the fallback with the shorter lease once the primary is away, and off the fallback once the primary is back.
 */
class FailoverRegistrationIntegrationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final String KEY = "/services/users/127.0.0.1:9001";

    @RegisterExtension
    final Closer closer = new Closer();

    /** Whether {@code key} exists in {@code etcd}, asked with a fresh client (the test's own, not the registration's). */
    private static boolean has(EtcdCluster etcd, String key) {
        try {
            return etcd.client().getKVClient().get(ByteSequence.from(key, UTF_8)).get(5, TimeUnit.SECONDS)
                    .getCount() == 1;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void registersOnTheFallbackWhileThePrimaryIsAwayAndLeavesItWhenThePrimaryIsBack() throws Exception {
        EtcdCluster primary = closer.keep(EtcdCluster.single());
        EtcdCluster secondary = closer.keep(EtcdCluster.single());
        Client primaryClient = closer.keep(EtcdClients.connect(EtcdConfig.plain(primary.clientUrls())));
        Client fallbackClient = closer.keep(EtcdClients.connect(EtcdConfig.plain(secondary.clientUrls())));
        FailoverRegistration.Settings settings = FailoverRegistration.Settings.defaults("/services/users/",
                HostPort.parse("127.0.0.1:9001"), 1, Duration.ofSeconds(3), Duration.ofSeconds(1));
        assertThat(settings.fallbackTtl()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.failoverAfter()).isEqualTo(Duration.ofSeconds(2));

        FailoverRegistration registration = closer.keep(FailoverRegistration.register(primaryClient, fallbackClient,
                settings));
        assertThat(registration.onPrimary()).isPresent();
        assertThat(has(primary, KEY)).isTrue();
        assertThat(registration.onFallback()).isEmpty();
        assertThat(has(secondary, KEY)).isFalse();

        primary.killAll();
        await().atMost(BOUND).until(() -> has(secondary, KEY));
        long lease = registration.onFallback().orElseThrow().leaseId();
        long granted = secondary.client().getLeaseClient().timeToLive(lease,
                LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getGrantedTTL();
        assertThat(granted).as("the fallback's shorter lease").isEqualTo(2);

        primary.startAll();
        await().atMost(BOUND).until(() -> has(primary, KEY) && !has(secondary, KEY));
        assertThat(registration.onFallback()).isEmpty();

        registration.close();
        await().atMost(BOUND).until(() -> !has(primary, KEY));
    }
}
