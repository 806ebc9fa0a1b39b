package dev.proxy.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reported a leaked buffer during it. Registered for every test by JUnit's extension
 * auto-detection (junit-platform.properties); the build runs tests with {@code -Dio.netty.leakDetection.level=paranoid}.
 *
 * <p>Netty notices a leak only when a tracked buffer was garbage-collected unreleased and a later allocation polls
 * the detector's queue, so after each test this collects garbage and allocates a few buffers to make it look.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterEachCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            poke();
        }
        List<String> leaks = LeakReports.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported during "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    private static void poke() {
        for (int i = 0; i < 8; i++) {
            ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            ByteBuf b = PooledByteBufAllocator.DEFAULT.heapBuffer(64);
            ByteBuf c = UnpooledByteBufAllocator.DEFAULT.buffer(64);
            a.release();
            b.release();
            c.release();
        }
    }
}
