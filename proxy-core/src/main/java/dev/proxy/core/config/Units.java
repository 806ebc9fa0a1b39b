package dev.proxy.core.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the human units the config file uses: durations ({@code 250ms}, {@code 5s}) and sizes ({@code 64KiB}). */
public final class Units {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)(B|KiB|MiB|GiB)?");

    private Units() {
    }

    /** Parses {@code 0}, {@code 250ms}, {@code 5s}, {@code 2m} or {@code 1h}; throws with a readable message otherwise. */
    public static Duration duration(String text) {
        if ("0".equals(text)) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 250ms, 5s, 2m, 1h)");
        }
        try {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                default: return Duration.ofHours(n);
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw tooLarge(text);
        }
    }

    /**
     * Writes a duration the way the file does ({@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 0}), in the
     * largest unit that holds it whole; a duration finer than a millisecond keeps its ISO-8601 form.
     */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.getNano() % 1_000_000 != 0 || d.isNegative()) {
            return d.toString();
        }
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Parses a byte size such as {@code 8192}, {@code 64KiB}, {@code 10MiB} or {@code 2GiB}. */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 8192, 64KiB, 10MiB, 1GiB)");
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "B" : m.group(2);
            switch (unit) {
                case "KiB": return Math.multiplyExact(n, 1024L);
                case "MiB": return Math.multiplyExact(n, 1024L * 1024);
                case "GiB": return Math.multiplyExact(n, 1024L * 1024 * 1024);
                default: return n;
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw tooLarge(text);
        }
    }

    // the pattern admits only digits, so a failing parse or multiplication means the number overflows a long
    private static IllegalArgumentException tooLarge(String text) {
        return new IllegalArgumentException("'" + text + "' is too large");
    }
}
