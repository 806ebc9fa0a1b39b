package dev.proxy.balancer.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.proxy.core.config.EndpointConfig;
import dev.proxy.core.config.HostPort;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistrationCodecTest {
    private static Optional<EndpointConfig> decode(String json) {
        return RegistrationCodec.decode(json.getBytes(UTF_8));
    }

    private static EndpointConfig endpoint(String address, int weight) {
        return new EndpointConfig(HostPort.parse(address), weight);
    }

    @Test
    void readsOurFormatWithItsOptionalKeys() {
        assertThat(decode("{\"address\":\"10.0.0.5:8080\"}")).contains(endpoint("10.0.0.5:8080", 1));
        assertThat(decode("{\"address\":\"10.0.0.5:8080\",\"weight\":10,\"zone\":\"a\",\"metadata\":{\"v\":2}}"))
                .contains(new EndpointConfig(HostPort.parse("10.0.0.5:8080"), 10, Optional.of("a"), Map.of("v", "2")));
        assertThat(decode("{\"address\":\"[fd00::1]:80\"}")).contains(endpoint("[fd00::1]:80", 1));
    }

    @Test
    void writesOurShapeAndReadsItBack() {
        EndpointConfig e = endpoint("[fd00::1]:8080", 3);
        assertThat(RegistrationCodec.encode(e).toString()).isEqualTo("{\"address\":\"[fd00::1]:8080\",\"weight\":3}");
        assertThat(decode(RegistrationCodec.encode(e).toString())).contains(e);
    }

    @Test
    void writesZoneAndLabelsAndReadsThemBack() {
        EndpointConfig e = new EndpointConfig(HostPort.parse("10.0.0.7:80"), 2, Optional.of("eu-1a"),
                Map.of("env", "canary", "version", "2"));
        assertThat(RegistrationCodec.encode(e).toString()).isEqualTo("{\"address\":\"10.0.0.7:80\",\"weight\":2,"
                + "\"zone\":\"eu-1a\",\"metadata\":{\"env\":\"canary\",\"version\":\"2\"}}");
        assertThat(decode(RegistrationCodec.encode(e).toString())).contains(e);
        assertThatThrownBy(() -> decode("{\"address\":\"h:80\",\"zone\":3}")).hasMessageContaining("zone 3");
    }

    @Test
    void readsTheGoNamingFormat() {
        assertThat(decode("{\"Op\":0,\"Addr\":\"10.0.0.6:9000\",\"Metadata\":null}"))
                .contains(endpoint("10.0.0.6:9000", 1));
        assertThat(decode("{\"Op\":0,\"Addr\":\"10.0.0.6:9000\",\"Metadata\":{\"weight\":4,\"zone\":\"b\","
                + "\"env\":\"prod\",\"nested\":{\"x\":1}}}"))
                .contains(new EndpointConfig(HostPort.parse("10.0.0.6:9000"), 4, Optional.of("b"),
                        Map.of("env", "prod")));
        assertThat(decode("{\"Addr\":\"http://10.0.0.6:9000/\",\"Metadata\":\"opaque\"}"))
                .contains(endpoint("10.0.0.6:9000", 1));
        // Op 1 (delete) stands for the endpoint's removal
        assertThat(decode("{\"Op\":1,\"Addr\":\"10.0.0.6:9000\"}")).isEmpty();
    }

    @Test
    void rejectsWhatIsNotARegistrationWithTheReason() {
        assertThatThrownBy(() -> decode("not json")).hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> decode("[1,2]")).hasMessage("not a JSON object");
        assertThatThrownBy(() -> decode("{\"weight\":2}")).hasMessage("has neither \"address\" nor \"Addr\"");
        assertThatThrownBy(() -> decode("{\"address\":\"nohost\"}")).hasMessageContaining("is not host:port");
        assertThatThrownBy(() -> decode("{\"address\":\"h:0\"}")).hasMessageContaining("has port 0");
        assertThatThrownBy(() -> decode("{\"address\":\"h:80\",\"weight\":0}")).hasMessageContaining("weight 0");
        assertThatThrownBy(() -> decode("{\"address\":\"h:80\",\"weight\":\"2\"}")).hasMessageContaining("weight");
        assertThatThrownBy(() -> decode("{\"Op\":2,\"Addr\":\"h:80\"}")).hasMessageContaining("\"Op\" 2");
        assertThatThrownBy(() -> decode("{\"Addr\":42}")).hasMessage("\"Addr\" is not a string");
    }
}
