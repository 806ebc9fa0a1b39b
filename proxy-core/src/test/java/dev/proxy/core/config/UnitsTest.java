package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @Test
    void parsesEveryDurationUnit() {
        assertThat(Units.duration("0")).isEqualTo(Duration.ZERO);
        assertThat(Units.duration("0s")).isEqualTo(Duration.ZERO);
        assertThat(Units.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Units.duration("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Units.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.duration("1h")).isEqualTo(Duration.ofHours(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5x", "1.5s", "-1s", "5 s", "5S", "s", "1h30m", "ms"})
    void rejectsMalformedDurationsWithExamples(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Units.duration(text))
                .withMessage("'" + text + "' is not a duration (examples: 250ms, 5s, 2m, 1h)");
    }

    @Test
    void rejectsDurationsTooLargeToHold() {
        assertThatIllegalArgumentException().isThrownBy(() -> Units.duration("9223372036854775807h"))
                .withMessage("'9223372036854775807h' is too large");
        assertThatIllegalArgumentException().isThrownBy(() -> Units.duration("99999999999999999999ms"))
                .withMessage("'99999999999999999999ms' is too large");
    }

    @Test
    void parsesEverySizeUnit() {
        assertThat(Units.size("0")).isZero();
        assertThat(Units.size("8192")).isEqualTo(8192);
        assertThat(Units.size("100B")).isEqualTo(100);
        assertThat(Units.size("64KiB")).isEqualTo(64 * 1024);
        assertThat(Units.size("10MiB")).isEqualTo(10L * 1024 * 1024);
        assertThat(Units.size("2GiB")).isEqualTo(2L * 1024 * 1024 * 1024);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "10MB", "10kib", "1.5MiB", "-1", "10 MiB", "1e6"})
    void rejectsMalformedSizesWithExamples(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> Units.size(text))
                .withMessage("'" + text + "' is not a size (examples: 8192, 64KiB, 10MiB, 1GiB)");
    }

    @Test
    void rejectsSizesTooLargeToHold() {
        assertThatIllegalArgumentException().isThrownBy(() -> Units.size("9999999999GiB"))
                .withMessage("'9999999999GiB' is too large");
        assertThatIllegalArgumentException().isThrownBy(() -> Units.size("99999999999999999999"))
                .withMessage("'99999999999999999999' is too large");
    }

    @Test
    void formatsDurationsAsTheFileWritesThem() {
        assertThat(Units.format(Duration.ZERO)).isEqualTo("0");
        assertThat(Units.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Units.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Units.format(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(Units.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Units.format(Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(Units.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(Units.format(Duration.ofNanos(1500))).isEqualTo("PT0.0000015S");
        for (String text : new String[] {"250ms", "5s", "2m", "1h"}) {
            assertThat(Units.format(Units.duration(text))).isEqualTo(text);
        }
    }
}
