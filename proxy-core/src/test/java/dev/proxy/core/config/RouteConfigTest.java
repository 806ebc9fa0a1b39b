package dev.proxy.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link RouteConfig.Builder}: its defaults are the config file's, and it checks what the constructor checks. */
class RouteConfigTest {
    private static final RouteMatch ALL = new RouteMatch(Optional.empty(), PathMatch.ANY, Set.of(), Map.of());
    private static final List<WeightedCluster> APP = List.of(new WeightedCluster("app", 1));

    @Test
    void builderDefaultsAreTheConfigFilesDefaults() {
        RouteConfig r = RouteConfig.builder("r", ALL, APP).build();

        assertThat(r.rewrite()).isEqualTo(Rewrite.NONE);
        assertThat(r.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.maxBodySize()).isEqualTo(10L * 1024 * 1024);
        assertThat(r.policies()).isEqualTo(RoutePolicies.NONE);
        assertThat(r.headers()).isEqualTo(HeadersConfig.NONE);
        assertThat(r.redirect()).isEmpty();
        assertThat(r.directResponse()).isEmpty();
        assertThat(r.endpointSelector()).isEmpty();
        assertThat(r.answersItself()).isFalse();
    }

    @Test
    void aRouteThatAnswersItselfHasNoClusters() {
        DirectResponseConfig ok = new DirectResponseConfig(200, "ok", "text/plain");

        assertThat(RouteConfig.builder("r", ALL, List.of()).directResponse(ok).build().answersItself()).isTrue();
        assertThatThrownBy(() -> RouteConfig.builder("r", ALL, APP).directResponse(ok).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RouteConfig.builder("r", ALL, List.of()).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
