package dev.proxy.balancer;

import static java.util.Objects.checkFromToIndex;

/**
 * xxHash64 (Yann Collet's XXH64, as in {@code xxhash.h} and Envoy's ring hash and Maglev), for the consistent-hashing
 * policies. Pure functions: stateless, allocation-free, safe from any thread.
 *
 * <p>Text is hashed as its UTF-16LE code units, read straight from the {@link CharSequence} so that a header value or a
 * cookie inside a header can be hashed without copying it: {@code xxHash64(s, 0, s.length(), seed)} equals XXH64 of
 * {@code s.getBytes(UTF_16LE)}. Any proxy instance hashes a key the same way, so instances agree on its endpoint.
 */
final class Hashing {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private Hashing() {
    }

    /** XXH64 of the whole of {@code text} (as UTF-16LE) with seed 0. */
    static long hash(CharSequence text) {
        return xxHash64(text, 0, text.length(), 0);
    }

    /** XXH64 of the UTF-16LE code units {@code text[start, end)}. */
    static long xxHash64(CharSequence text, int start, int end, long seed) {
        checkFromToIndex(start, end, text.length());
        int i = start;
        long h;
        if (end - i >= 16) { // 32-byte stripes are 16 chars
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            do {
                v1 = round(v1, lane(text, i));
                v2 = round(v2, lane(text, i + 4));
                v3 = round(v3, lane(text, i + 8));
                v4 = round(v4, lane(text, i + 12));
                i += 16;
            } while (end - i >= 16);
            h = merge(v1, v2, v3, v4);
        } else {
            h = seed + P5;
        }
        h += 2L * (end - start);
        for (; end - i >= 4; i += 4) {
            h = mix8(h, lane(text, i));
        }
        if (end - i >= 2) {
            h = mix4(h, text.charAt(i) | (long) text.charAt(i + 1) << 16);
            i += 2;
        }
        if (i < end) {
            char c = text.charAt(i);
            h = mix1(mix1(h, c & 0xff), c >>> 8);
        }
        return avalanche(h);
    }

    /** XXH64 of {@code bytes[offset, offset + length)}. */
    static long xxHash64(byte[] bytes, int offset, int length, long seed) {
        checkFromToIndex(offset, offset + length, bytes.length);
        int i = offset;
        int end = offset + length;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            do {
                v1 = round(v1, lane(bytes, i));
                v2 = round(v2, lane(bytes, i + 8));
                v3 = round(v3, lane(bytes, i + 16));
                v4 = round(v4, lane(bytes, i + 24));
                i += 32;
            } while (end - i >= 32);
            h = merge(v1, v2, v3, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        for (; end - i >= 8; i += 8) {
            h = mix8(h, lane(bytes, i));
        }
        if (end - i >= 4) {
            h = mix4(h, (bytes[i] & 0xffL) | (bytes[i + 1] & 0xffL) << 8 | (bytes[i + 2] & 0xffL) << 16
                    | (bytes[i + 3] & 0xffL) << 24);
            i += 4;
        }
        for (; i < end; i++) {
            h = mix1(h, bytes[i] & 0xff);
        }
        return avalanche(h);
    }

    private static long lane(CharSequence text, int i) {
        return text.charAt(i) | (long) text.charAt(i + 1) << 16 | (long) text.charAt(i + 2) << 32
                | (long) text.charAt(i + 3) << 48;
    }

    private static long lane(byte[] b, int i) {
        return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
                | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 | (b[i + 6] & 0xffL) << 48
                | (b[i + 7] & 0xffL) << 56;
    }

    private static long round(long acc, long input) {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long merge(long v1, long v2, long v3, long v4) {
        long h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
        h = (h ^ round(0, v1)) * P1 + P4;
        h = (h ^ round(0, v2)) * P1 + P4;
        h = (h ^ round(0, v3)) * P1 + P4;
        return (h ^ round(0, v4)) * P1 + P4;
    }

    private static long mix8(long h, long lane) {
        return Long.rotateLeft(h ^ round(0, lane), 27) * P1 + P4;
    }

    /** {@code lane} holds 4 bytes, zero-extended. */
    private static long mix4(long h, long lane) {
        return Long.rotateLeft(h ^ lane * P1, 23) * P2 + P3;
    }

    private static long mix1(long h, int unsignedByte) {
        return Long.rotateLeft(h ^ unsignedByte * P5, 11) * P1;
    }

    private static long avalanche(long h) {
        h = (h ^ h >>> 33) * P2;
        h = (h ^ h >>> 29) * P3;
        return h ^ h >>> 32;
    }
}
