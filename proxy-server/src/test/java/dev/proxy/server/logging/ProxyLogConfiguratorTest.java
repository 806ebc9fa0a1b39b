package dev.proxy.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the proxy's own configuration steps aside for an XML file. */
class ProxyLogConfiguratorTest {
    /** Finds no resource at all: a class path without logback-test.xml, as in the shipped jar. */
    private static final ClassLoader NO_RESOURCES = new ClassLoader(null) {
    };

    @Test
    void configuresWhenNoXmlIsAskedFor() {
        assertThat(ProxyLogConfigurator.xmlAskedFor(NO_RESOURCES, name -> null)).isFalse();
    }

    @Test
    void stepsAsideForAnXmlFileNamedByTheSystemProperty() {
        assertThat(ProxyLogConfigurator.xmlAskedFor(NO_RESOURCES,
                name -> name.equals("logback.configurationFile") ? "/etc/proxy/logback.xml" : null)).isTrue();
    }

    @Test
    void stepsAsideForTheTestsLogbackTestXml() {
        assertThat(ProxyLogConfigurator.class.getClassLoader().getResource("logback-test.xml"))
                .as("the test class path holds proxy-core's").isNotNull();

        assertThat(ProxyLogConfigurator.xmlAskedFor(ProxyLogConfigurator.class.getClassLoader(), name -> null))
                .isTrue();
    }
}
