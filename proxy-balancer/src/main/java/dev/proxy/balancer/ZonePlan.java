package dev.proxy.balancer;

import dev.proxy.core.balancer.EndpointAvailability;
import dev.proxy.core.balancer.ZoneSplit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One split of requests over zones, computed from the endpoints' availability when it changes and then read by every
 * pick: the local zone's share, and the rest spread over the other zones in proportion to their healthy weight. The
 * rule, with {@code min} the cluster's {@code minLocalHealthyPercent} and {@code h} the local zone's healthy percent:
 * <ul>
 *   <li>no endpoint in the local zone: everything to the other zones;
 *   <li>no healthy endpoint in any other zone: everything local (spilling would only move requests to the unhealthy);
 *   <li>otherwise the local zone takes {@code min(1, h / min)} of the requests ({@code min} 0: all while {@code h > 0}),
 *       the other zones the rest.
 * </ul>
 * Shares are in units of 1/{@link #SCALE}. Immutable.
 */
final class ZonePlan {
    /** Shares are counted in ten-thousandths: a pick draws one number below this. */
    static final int SCALE = 10_000;

    final long version;
    /** By zone (the local zone first), the upper bound of its draws: zone {@code z} takes draws below cumulative[z]. */
    private final int[] cumulative;
    private final boolean allLocal;
    private final double localHealthyPercent;
    private final String reason;

    private ZonePlan(long version, int[] cumulative, double localHealthyPercent, String reason) {
        this.version = version;
        this.cumulative = cumulative;
        this.allLocal = cumulative[0] == SCALE;
        this.localHealthyPercent = localHealthyPercent;
        this.reason = reason;
    }

    /**
     * The split for endpoints grouped by zone, the local zone first.
     *
     * @param members by zone, the indexes of its endpoints in the cluster's list; the local zone's may be empty
     * @param weights by endpoint index
     * @param version the availability's version read before this is computed
     */
    static ZonePlan compute(int[][] members, int[] weights, EndpointAvailability availability, int minLocalPercent,
                            long version) {
        int localTotal = members[0].length;
        int localAvailable = 0;
        for (int i : members[0]) {
            if (availability.isAvailable(i)) {
                localAvailable++;
            }
        }
        long[] healthyWeight = new long[members.length];
        long[] totalWeight = new long[members.length];
        long remoteHealthy = 0;
        long remoteTotal = 0;
        for (int z = 1; z < members.length; z++) {
            for (int i : members[z]) {
                totalWeight[z] += weights[i];
                if (availability.isAvailable(i)) {
                    healthyWeight[z] += weights[i];
                }
            }
            remoteHealthy += healthyWeight[z];
            remoteTotal += totalWeight[z];
        }
        double healthyPercent = localTotal == 0 ? 0 : 100.0 * localAvailable / localTotal;
        int local;
        String reason;
        if (localTotal == 0) {
            local = 0;
            reason = "no endpoint in the local zone";
        } else if (remoteTotal == 0) {
            local = SCALE;
            reason = "every endpoint is in the local zone";
        } else if (remoteHealthy == 0) {
            local = SCALE;
            reason = "no healthy endpoint in the other zones";
        } else if (minLocalPercent == 0) {
            local = localAvailable > 0 ? SCALE : 0;
            reason = localAvailable > 0 ? "a local endpoint is healthy (minLocalHealthyPercent 0)"
                    : "spilling: no local endpoint is healthy";
        } else {
            local = (int) Math.min(SCALE, (long) localAvailable * 100 * SCALE / ((long) localTotal * minLocalPercent));
            reason = local == SCALE ? "local zone healthy: " + percent(healthyPercent) + "% >= minLocalHealthyPercent "
                    + minLocalPercent : "spilling: local zone " + percent(healthyPercent)
                    + "% healthy, below minLocalHealthyPercent " + minLocalPercent;
        }
        // the rest by healthy weight; when no other zone has any, by weight alone (the local zone has none then, and
        // the ejection layer's panic decides)
        long[] by = remoteHealthy > 0 ? healthyWeight : totalWeight;
        long byTotal = remoteHealthy > 0 ? remoteHealthy : remoteTotal;
        int[] cumulative = new int[members.length];
        cumulative[0] = local;
        long running = 0;
        for (int z = 1; z < members.length; z++) {
            running += by[z];
            cumulative[z] = byTotal == 0 ? local : local + (int) (running * (SCALE - local) / byTotal);
        }
        cumulative[members.length - 1] = SCALE;
        return new ZonePlan(version, cumulative, healthyPercent, reason);
    }

    /** The zone a draw in [0, SCALE) falls in. */
    int zoneFor(int draw) {
        if (allLocal) {
            return 0;
        }
        int z = 0;
        while (draw >= cumulative[z]) {
            z++;
        }
        return z;
    }

    boolean allLocal() {
        return allLocal;
    }

    /** The share of zone {@code z} in percent. */
    double percent(int z) {
        return (cumulative[z] - (z == 0 ? 0 : cumulative[z - 1])) * 100.0 / SCALE;
    }

    ZoneSplit split(String[] zones) {
        Map<String, Double> byZone = new LinkedHashMap<>();
        for (int z = 0; z < zones.length; z++) {
            byZone.put(zones[z], percent(z));
        }
        return new ZoneSplit(zones[0], localHealthyPercent, byZone, reason);
    }

    private static String percent(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : String.format(Locale.ROOT, "%.1f", p);
    }
}
