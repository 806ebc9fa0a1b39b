package dev.proxy.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions.FlowStyle;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Puts a fleet's shared document (from etcd) and a replica's local file together into the one routes file that
 * {@link ConfigReader} validates, so that a value from etcd is checked exactly as a file is. The shared document
 * holds only the {@link #FLEET_KEYS}; the local file holds everything else and none of them. Part of
 * {@link ConfigReader}. Stateless.
 */
final class FleetDocument {
    /** The top-level keys that come from etcd in a fleet: what a reload applies without a restart. */
    static final Set<String> FLEET_KEYS = Set.of("discovery", "clusters", "routes");

    private FleetDocument() {
    }

    /**
     * One mapping: the local file's keys, then the fleet document's. A fleet key in the local file, or any other key
     * in the fleet document, is a problem (reported with its line).
     */
    static Node merge(Node local, Node fleet, Problems problems) {
        List<NodeTuple> tuples = new ArrayList<>();
        collect(local, false, tuples, problems);
        collect(fleet, true, tuples, problems);
        Node mark = local != null ? local : fleet;
        return new MappingNode(Tag.MAP, true, tuples, mark.getStartMark(), mark.getEndMark(), FlowStyle.BLOCK);
    }

    private static void collect(Node document, boolean fleet, List<NodeTuple> into, Problems problems) {
        if (!(document instanceof MappingNode mapping)) {
            problems.add("", (fleet ? "the fleet document" : "the local file") + " must be a mapping of keys to values");
            return;
        }
        for (NodeTuple t : mapping.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "";
            if (FLEET_KEYS.contains(key) != fleet) {
                int line = t.getKeyNode().getStartMark().getLine() + 1;
                problems.add(key, fleet
                        ? "is read from each replica's local file, not from the fleet config in etcd (line " + line + ")"
                        : "comes from the fleet config in etcd (configSource.etcd); remove it from the local file"
                                + " (line " + line + ")");
                continue;
            }
            into.add(t);
        }
    }
}
