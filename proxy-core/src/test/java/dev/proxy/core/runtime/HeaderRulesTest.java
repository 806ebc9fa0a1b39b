package dev.proxy.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.HeaderEditConfig;
import dev.proxy.core.config.HeaderValue;
import dev.proxy.core.config.HeaderVariable;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {
    private static final HeaderRules.Variables VARIABLES = v -> switch (v) {
        case CLIENT_IP -> "192.0.2.7";
        case ROUTE -> "users";
        case REQUEST_ID -> "id-1";
        default -> null;
    };

    @Test
    void removesThenSetsThenAdds() {
        HeaderRules rules = HeaderRules.of(new HeaderEditConfig(
                values("x-a", "set", "x-b", "set-b"),
                values("x-a", "added", "x-c", "c"),
                List.of("x-a", "x-gone")));
        HttpHeaders h = new DefaultHttpHeaders()
                .add("X-A", "client-1").add("x-a", "client-2").add("x-b", "client").add("x-gone", "g")
                .add("x-kept", "k");

        rules.apply(h, VARIABLES);

        assertThat(h.getAll("x-a")).containsExactly("set", "added");
        assertThat(h.getAll("x-b")).containsExactly("set-b");
        assertThat(h.getAll("x-c")).containsExactly("c");
        assertThat(h.contains("x-gone")).isFalse();
        assertThat(h.get("x-kept")).isEqualTo("k");
    }

    @Test
    void fillsInVariablesAndSetsNothingWhenAVariableIsAbsent() {
        HeaderRules rules = HeaderRules.of(new HeaderEditConfig(
                values("x-who", "${client_ip} via ${route} (${request_id})", "x-cert", "cn=${tls_identity}"),
                Map.of(), List.of()));
        HttpHeaders h = new DefaultHttpHeaders().add("x-cert", "forged");

        rules.apply(h, VARIABLES);

        assertThat(h.get("x-who")).isEqualTo("192.0.2.7 via users (id-1)");
        // no client certificate: set leaves no value, so a client's forged one does not pass for the proxy's
        assertThat(h.contains("x-cert")).isFalse();
    }

    @Test
    void noEditsIsTheSharedEmptyRuleSet() {
        assertThat(HeaderRules.of(HeaderEditConfig.NONE)).isSameAs(HeaderRules.NONE);
        HttpHeaders h = new DefaultHttpHeaders().add("x", "y");
        HeaderRules.NONE.apply(h, v -> {
            throw new AssertionError("no variable is read");
        });
        assertThat(h.get("x")).isEqualTo("y");
        assertThat(HeaderVariable.values()).hasSize(5);
    }

    private static Map<String, HeaderValue> values(String... namesAndValues) {
        Map<String, HeaderValue> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], HeaderValue.parse(namesAndValues[i + 1]));
        }
        return m;
    }
}
