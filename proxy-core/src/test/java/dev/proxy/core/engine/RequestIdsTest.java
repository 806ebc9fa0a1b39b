package dev.proxy.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.proxy.core.config.RequestIdConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestIdsTest {
    private static final RequestIdConfig TRUSTING = new RequestIdConfig(true, true);

    @Test
    void newIdsAreDistinctVersion4Uuids() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = RequestIds.newId();
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
            seen.add(id);
        }
        assertThat(seen).hasSize(1000);
    }

    @Test
    void replacesTheClientsIdByDefault() {
        HttpHeaders h = new DefaultHttpHeaders().add("X-Request-Id", "client-1");
        String id = RequestIds.assign(h, RequestIdConfig.DEFAULT);
        assertThat(id).isNotEqualTo("client-1");
        assertThat(h.getAll("x-request-id")).containsExactly(id);
    }

    @Test
    void keepsAWellFormedClientIdOnlyWhenTrusted() {
        HttpHeaders h = new DefaultHttpHeaders().add("x-request-id", "Root=1-5759e988/abc:def@x+y=");
        assertThat(RequestIds.assign(h, TRUSTING)).isEqualTo("Root=1-5759e988/abc:def@x+y=");

        for (String bad : new String[] {"", "has space", "quote\"", "x".repeat(RequestIds.MAX_LENGTH + 1), "é"}) {
            HttpHeaders b = new DefaultHttpHeaders().add("x-request-id", bad);
            String id = RequestIds.assign(b, TRUSTING);
            assertThat(id).as(bad).isNotEqualTo(bad);
            assertThat(b.getAll("x-request-id")).as(bad).containsExactly(id);
        }
        HttpHeaders two = new DefaultHttpHeaders().add("x-request-id", "a").add("x-request-id", "b");
        String id = RequestIds.assign(two, TRUSTING);
        assertThat(two.getAll("x-request-id")).containsExactly(id);
        assertThat(id).isNotIn("a", "b");
    }

    @Test
    void offLeavesTheHeadersAlone() {
        HttpHeaders h = new DefaultHttpHeaders().add("x-request-id", "client-1");
        assertThat(RequestIds.assign(h, new RequestIdConfig(false, false))).isNull();
        assertThat(h.getAll("x-request-id")).containsExactly("client-1");
    }
}
