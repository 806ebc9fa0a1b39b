package dev.proxy.server;

import io.netty.buffer.ByteBuf;
import java.io.InputStream;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Deterministic content of any length, generated on the fly: the byte at position {@code p} is
 * {@code BLOCK[p % PERIOD]}, a fixed pseudo-random block. The period is prime, so it never lines up with buffer
 * sizes and a dropped, repeated or reordered chunk changes the checksum. Stateless and thread-safe.
 */
final class BytePattern {
    private static final int PERIOD = 65_521;
    /** Two periods back to back, so any run of up to PERIOD bytes starting in the first one is contiguous. */
    private static final byte[] BLOCK = new byte[2 * PERIOD];

    static {
        byte[] one = new byte[PERIOD];
        new Random(20_240_601L).nextBytes(one);
        System.arraycopy(one, 0, BLOCK, 0, PERIOD);
        System.arraycopy(one, 0, BLOCK, PERIOD, PERIOD);
    }

    private BytePattern() {
    }

    /** Writes the {@code length} bytes that start at {@code position} into {@code dst}. */
    static void write(long position, ByteBuf dst, int length) {
        long p = position;
        int left = length;
        while (left > 0) {
            int n = Math.min(left, PERIOD);
            dst.writeBytes(BLOCK, (int) (p % PERIOD), n);
            p += n;
            left -= n;
        }
    }

    /** The CRC32 of the first {@code length} bytes. */
    static long crc32(long length) {
        CRC32 crc = new CRC32();
        for (long p = 0; p < length; p += PERIOD) {
            crc.update(BLOCK, 0, (int) Math.min(PERIOD, length - p));
        }
        return crc.getValue();
    }

    /** A stream of the first {@code length} bytes, generated as it is read. Not thread-safe. */
    static InputStream stream(long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                if (position >= length) {
                    return -1;
                }
                return BLOCK[(int) (position++ % PERIOD)] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(Math.min(len, PERIOD), length - position);
                System.arraycopy(BLOCK, (int) (position % PERIOD), b, off, n);
                position += n;
                return n;
            }
        };
    }
}
