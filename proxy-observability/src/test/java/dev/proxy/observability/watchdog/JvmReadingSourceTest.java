package dev.proxy.observability.watchdog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JvmReadingSourceTest {

    @Test
    void readingsOfThisJvmAreSane() {
        Readings r = new JvmReadingSource(() -> 7, 100).read();
        assertThat(r.heapUsed()).isPositive();
        assertThat(r.heapMax()).isGreaterThanOrEqualTo(r.heapUsed());
        assertThat(r.directUsed()).isNotNegative();
        assertThat(r.directMax()).isPositive();
        assertThat(r.liveThreads()).isPositive();
        assertThat(r.connections()).isEqualTo(7);
        assertThat(r.maxConnections()).isEqualTo(100);
        if (r.maxFiles() != Readings.UNKNOWN) {
            assertThat(r.openFiles()).isPositive();
            assertThat(r.maxFiles()).isGreaterThanOrEqualTo(r.openFiles());
        }
    }
}
