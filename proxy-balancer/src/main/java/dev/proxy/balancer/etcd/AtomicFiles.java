package dev.proxy.balancer.etcd;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the fail-static files of what the proxy follows in etcd (the endpoint snapshot, a fleet's config cache):
 * whole to a temporary file beside the target, then renamed over it, so a crash never leaves half a file and a
 * reader sees the old content or the new. Stateless.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Replaces {@code file} with {@code content}, creating its directory if needed. */
    public static void write(Path file, byte[] content) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
