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

    @Test
    void heapIsWhatTheLastCollectionLeftNotTheGarbageSince() {
        JvmReadingSource source = new JvmReadingSource(() -> 0, 1);
        System.gc();
        long base = source.read().heapUsed();
        assertThat(source.heapAfterLastCollection()).hasValue(base);

        // 64 MiB held through a collection is in the reading; dropped and collected, it is out again
        byte[] held = new byte[64 << 20];
        System.gc();
        long holding = source.read().heapUsed();
        assertThat(holding - base).isGreaterThanOrEqualTo(60L << 20);
        held[held.length - 1] = 1;
        held = null;
        System.gc();
        assertThat(holding - source.read().heapUsed()).isGreaterThanOrEqualTo(60L << 20);
    }
}
