package dev.proxy.balancer;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_16LE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashingTest {
    // Reference values from the C implementation (libxxhash 0.8.1, XXH64) via Python ctypes.

    @Test
    void matchesReferenceXxHash64OfBytes() {
        assertThat(bytes("", 0)).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(bytes("a", 0)).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(bytes("abc", 0)).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(bytes("abcd", 0)).isEqualTo(0xDE0327B0D25D92CCL);
        assertThat(bytes("abcdefgh", 0)).isEqualTo(0x3AD351775B4634B7L);
        assertThat(bytes("0123456789abcdefghijklmnopqrstuvwxyz", 0)).isEqualTo(0x69196C1B3AF0BFF9L);
        assertThat(bytes("Nobody inspects the spammish repetition", 0)).isEqualTo(0xFBCEA83C8A378BF1L);
        assertThat(bytes("abc", 0x9E3779B97F4A7C15L)).isEqualTo(0x2ED0F59D6B43AC8BL);
        assertThat(bytes("Nobody inspects the spammish repetition", 0x9E3779B97F4A7C15L))
                .isEqualTo(0xEB8B157CA26CBF34L);
    }

    @Test
    void hashesTextAsItsUtf16LittleEndianBytes() {
        assertThat(Hashing.hash("")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(Hashing.hash("a")).isEqualTo(0xE513E02C99167F96L);
        assertThat(Hashing.hash("ab")).isEqualTo(0x2B4D0FC9E4BF29E2L);
        assertThat(Hashing.hash("abc")).isEqualTo(0xAFF0F2A2F8B32731L);
        assertThat(Hashing.hash("abcd")).isEqualTo(0xAD9338B32CDA24C1L);
        assertThat(Hashing.hash("abcdefghijklmno")).isEqualTo(0xE4992C56CD2D051FL);
        assertThat(Hashing.hash("abcdefghijklmnop")).isEqualTo(0x60DB6BDE64D53B78L);
        assertThat(Hashing.hash("abcdefghijklmnopq")).isEqualTo(0x44730CBF2EE4E17BL);
        assertThat(Hashing.hash("session-7f3a9c2e-4b1d-4e8a-9f60-1c2d3e4f5a6b")).isEqualTo(0xDC5C56C302EDAE75L);
        assertThat(Hashing.hash("caf\u00e9 \u2603")).isEqualTo(0x999614515DFE4339L);
        assertThat(Hashing.xxHash64("abcdefghijklmnopq", 0, 17, 42)).isEqualTo(0x45FD931FF6D37A00L);
    }

    @Test
    void hashOfTextEqualsHashOfItsUtf16BytesForEveryLengthAndOffset() {
        SplittableRandom random = new SplittableRandom(7);
        for (int length = 0; length < 100; length++) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < length + 5; i++) {
                text.append((char) random.nextInt(0x20, 0xD7FF));
            }
            String s = text.toString();
            byte[] utf16 = s.substring(3, 3 + length).getBytes(UTF_16LE);
            long seed = random.nextLong();
            assertThat(Hashing.xxHash64(s, 3, 3 + length, seed))
                    .as("length %d", length)
                    .isEqualTo(Hashing.xxHash64(utf16, 0, utf16.length, seed));
        }
    }

    @Test
    void hashesAByteRangeLikeACopyOfIt() {
        byte[] padded = "xxNobody inspects the spammish repetitionyy".getBytes(US_ASCII);
        assertThat(Hashing.xxHash64(padded, 2, padded.length - 4, 0)).isEqualTo(0xFBCEA83C8A378BF1L);
    }

    private static long bytes(String ascii, long seed) {
        byte[] b = ascii.getBytes(US_ASCII);
        return Hashing.xxHash64(b, 0, b.length, seed);
    }
}
