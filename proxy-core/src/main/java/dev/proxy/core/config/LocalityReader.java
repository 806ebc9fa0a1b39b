package dev.proxy.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads what the file says about where endpoints are and what they are: static endpoints with their zone and labels,
 * a cluster's {@code locality}, the proxy's own {@code server.zone}, and a route's {@code endpointSelector}. Stateless.
 */
final class LocalityReader {
    /** The environment variable {@code server.zone} defaults to: the Kubernetes downward API can set it. */
    static final String ZONE_VARIABLE = "PROXY_ZONE";
    /** Zones and label values as Kubernetes allows label values: up to 63 letters, digits, '-', '_' and '.'. */
    static final Pattern VALUE = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?");
    /** Label names as Kubernetes allows them: an optional DNS prefix and '/', then a name like a value. */
    static final Pattern LABEL = Pattern.compile("([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?"
            + "[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?");

    private LocalityReader() {
    }

    /** {@code server.zone}, else the environment's {@code PROXY_ZONE}, else unknown. */
    static Optional<String> serverZone(ConfigNode server, Map<String, String> environment) {
        Optional<String> given = server.string("zone");
        Optional<String> zone = given.isPresent() ? given
                : Optional.ofNullable(environment.get(ZONE_VARIABLE)).filter(z -> !z.isBlank());
        if (zone.isPresent() && !VALUE.matcher(zone.get()).matches()) {
            server.problem("zone", "'" + zone.get() + "'" + (given.isPresent() ? "" : " (from " + ZONE_VARIABLE + ")")
                    + " is not a zone name: up to 63 letters, digits, '-', '_' and '.'");
            return Optional.empty();
        }
        return zone;
    }

    /** A cluster's static endpoints; an entry with problems is reported and left out. */
    static List<EndpointConfig> endpoints(List<ConfigNode> nodes) {
        List<EndpointConfig> endpoints = new ArrayList<>();
        for (ConfigNode e : nodes) {
            Optional<String> address = e.requiredString("address");
            int weight = e.integer("weight", 1, 1, 1_000_000);
            Optional<String> zone = e.string("zone");
            if (zone.isPresent() && !VALUE.matcher(zone.get()).matches()) {
                e.problem("zone", "'" + zone.get() + "' is not a zone name: up to 63 letters, digits, '-', '_'"
                        + " and '.'");
            }
            Map<String, String> labels = labels(e, "labels");
            e.finish();
            if (address.isPresent()) {
                try {
                    endpoints.add(new EndpointConfig(HostPort.parse(address.get()), weight, zone, labels));
                } catch (IllegalArgumentException ex) {
                    e.problem("address", ex.getMessage());
                }
            }
        }
        return endpoints;
    }

    /** A cluster's {@code locality}: off unless given. */
    static LocalityConfig locality(ConfigNode cluster) {
        if (!cluster.has("locality")) {
            return LocalityConfig.DISABLED;
        }
        ConfigNode n = cluster.object("locality");
        boolean enabled = n.bool("enabled", true);
        int min = n.integer("minLocalHealthyPercent", LocalityConfig.DEFAULT_MIN_LOCAL_HEALTHY_PERCENT, 0, 100);
        n.finish();
        return new LocalityConfig(enabled, min);
    }

    /**
     * The {@code endpointSelector} and {@code subsetFallback} of a route or of one of its {@code weightedClusters};
     * empty when it selects nothing.
     */
    static Optional<EndpointSelector> selector(ConfigNode route) {
        boolean given = route.has("endpointSelector");
        Map<String, String> labels = labels(route, "endpointSelector");
        String fallbackName = route.string("subsetFallback", EndpointSelector.Fallback.ANY.configName());
        EndpointSelector.Fallback fallback = EndpointSelector.Fallback.ANY;
        if (fallbackName.equals(EndpointSelector.Fallback.FAIL.configName())) {
            fallback = EndpointSelector.Fallback.FAIL;
        } else if (!fallbackName.equals(EndpointSelector.Fallback.ANY.configName())) {
            route.problem("subsetFallback", "'" + fallbackName + "' is not one of any, fail");
        }
        if (route.has("subsetFallback") && !given) {
            route.problem("subsetFallback", "applies with an endpointSelector only");
        }
        if (given && labels.isEmpty()) {
            route.problem("endpointSelector", "name at least one label, e.g. { env: canary }");
        }
        return labels.isEmpty() ? Optional.empty() : Optional.of(new EndpointSelector(labels, fallback));
    }

    /** Labels by name: names and values as Kubernetes allows them. */
    static Map<String, String> labels(ConfigNode n, String key) {
        Map<String, String> labels = new LinkedHashMap<>();
        n.stringMap(key).forEach((name, value) -> {
            if (!LABEL.matcher(name).matches()) {
                n.problem(key, "'" + name + "' is not a label name: letters, digits, '-', '_' and '.', with an"
                        + " optional DNS prefix and '/'");
            } else if (!VALUE.matcher(value).matches()) {
                n.problem(key, "'" + value + "' (label " + name + ") is not a label value: up to 63 letters,"
                        + " digits, '-', '_' and '.'");
            } else {
                labels.put(name, value);
            }
        });
        return labels;
    }
}
