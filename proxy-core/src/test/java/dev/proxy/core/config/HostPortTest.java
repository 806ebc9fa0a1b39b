package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertThat(HostPort.parse("10.0.0.1:8080")).isEqualTo(new HostPort("10.0.0.1", 8080));
        assertThat(HostPort.parse("users.internal:80")).isEqualTo(new HostPort("users.internal", 80));
        assertThat(HostPort.parse("0.0.0.0:0")).isEqualTo(new HostPort("0.0.0.0", 0));
    }

    @Test
    void parsesABracketedIpv6Address() {
        HostPort hp = HostPort.parse("[::1]:9901");

        assertThat(hp).isEqualTo(new HostPort("::1", 9901));
        assertThat(hp).hasToString("[::1]:9901");
    }

    @Test
    void printsAsItParses() {
        assertThat(HostPort.parse("10.0.0.1:8080")).hasToString("10.0.0.1:8080");
    }

    @Test
    void rejectsTextWithoutHostOrPort() {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost"))
                .withMessage("'localhost' is not host:port");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(":80"))
                .withMessage("':80' is not host:port");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost:"))
                .withMessage("'localhost:' is not host:port");
    }

    @Test
    void rejectsPortsThatAreNotNumbersInRange() {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost:http"))
                .withMessage("'localhost:http' has no numeric port");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost:65536"))
                .withMessage("'localhost:65536' has a port outside 0-65535");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost:-1"))
                .withMessage("'localhost:-1' has no numeric port");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("localhost:+80"))
                .withMessage("'localhost:+80' has no numeric port");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("[]:80"))
                .withMessage("'[]:80' has no valid host");
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse("a b:80"))
                .withMessage("'a b:80' has no valid host");
        assertThatIllegalArgumentException().isThrownBy(() -> new HostPort("localhost", 70000))
                .withMessage("port must be 0-65535, was 70000");
    }
}
