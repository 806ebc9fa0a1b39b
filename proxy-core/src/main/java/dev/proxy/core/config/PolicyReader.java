package dev.proxy.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads the resilience keys of the file: a route's {@code perTryTimeout}, {@code deadlineHeader}, {@code retry},
 * {@code rateLimit}, {@code concurrencyLimit}, {@code fault} and {@code mirror}, and a cluster's
 * {@code circuitBreaker}. Called by {@link ConfigReader} for each route and cluster, with the same conventions: every
 * bad value is reported with its path and replaced by its default, so the records are always built.
 *
 * <p>One instance per file read: it remembers the mirror clusters until every cluster is known
 * ({@link #checkMirrorClusters}). Not thread-safe.
 */
final class PolicyReader {
    static final Set<RetryOn> DEFAULT_RETRY_ON = Set.of(RetryOn.CONNECT_FAILURE, RetryOn.RESET, RetryOn.GATEWAY_ERROR);
    static final Set<Integer> DEFAULT_FAILURE_STATUSES = Set.of(502, 503, 504);
    static final long DEFAULT_MIRROR_BODY = 1024L * 1024;
    private static final int MAX_COUNT = 10_000_000;
    private static final long MAX_RETRY_BUFFER = 64L * 1024 * 1024;
    private static final String RATE_KEYS = "route, client_ip, header, client_ip_and_header";

    private final List<MirrorRef> mirrors = new ArrayList<>();

    /** A mirror's cluster name and the node it was read from, kept so that an undefined one is reported on its line. */
    private record MirrorRef(ConfigNode node, String cluster) {
    }

    /**
     * The policies of the route read from {@code route}.
     *
     * @param timeout the route's deadline as already read: {@code perTryTimeout} must not exceed it, and
     *     {@code deadlineHeader} needs one
     */
    RoutePolicies route(ConfigNode route, Duration timeout) {
        Duration perTry = route.duration("perTryTimeout", Duration.ZERO);
        if (!timeout.isZero() && perTry.compareTo(timeout) > 0) {
            route.problem("perTryTimeout", "must not be longer than timeout (" + timeout.toMillis() + "ms)");
            perTry = Duration.ZERO;
        }
        Optional<String> deadlineHeader = route.headerName("deadlineHeader");
        if (deadlineHeader.isPresent() && timeout.isZero()) {
            route.problem("deadlineHeader", "needs a route deadline, and timeout is 0");
            deadlineHeader = Optional.empty();
        }
        Optional<RetryConfig> retry = route.optionalObject("retry").map(PolicyReader::retry);
        Optional<RateLimitConfig> rateLimit = route.optionalObject("rateLimit").map(PolicyReader::rateLimit);
        Optional<ConcurrencyLimitConfig> concurrency = route.optionalObject("concurrencyLimit")
                .map(PolicyReader::concurrencyLimit);
        Optional<FaultConfig> fault = route.optionalObject("fault").map(PolicyReader::fault);
        Optional<MirrorConfig> mirror = route.optionalObject("mirror").map(this::mirror);
        RoutePolicies policies = new RoutePolicies(perTry, deadlineHeader, retry, rateLimit, concurrency, fault,
                mirror);
        // the shared constant for plain forwarding, so that "no policies" is one object however the file said it
        return policies.equals(RoutePolicies.NONE) ? RoutePolicies.NONE : policies;
    }

    /** Reports every mirror whose cluster is not among {@code clusterNames}; call once all clusters are read. */
    void checkMirrorClusters(Set<String> clusterNames) {
        for (MirrorRef m : mirrors) {
            if (!clusterNames.contains(m.cluster())) {
                m.node().problem("cluster", "'" + m.cluster() + "' is not defined under clusters");
            }
        }
    }

    static CircuitBreakerConfig circuitBreaker(ConfigNode b) {
        int failureRate = b.integer("failureRateThreshold", 50, 1, 100);
        Duration slowCall = b.positiveDuration("slowCallDurationThreshold", Duration.ofSeconds(60));
        int slowRate = b.integer("slowCallRateThreshold", 100, 1, 100);
        int minimumCalls = b.integer("minimumNumberOfCalls", 20, 1, 1_000_000);
        Duration window = b.positiveDuration("slidingWindow", Duration.ofSeconds(10));
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            b.problem("slidingWindow", "must be at least 1s");
            window = Duration.ofSeconds(10);
        }
        Duration waitInOpen = b.positiveDuration("waitInOpen", Duration.ofSeconds(15));
        int halfOpenCalls = b.integer("halfOpenCalls", 5, 1, 1000);
        boolean perEndpoint = b.bool("perEndpoint", false);
        // has() before statuses(): an empty list given on purpose replaces the default, an absent one does not
        boolean statusesGiven = b.has("failureStatuses");
        Set<Integer> statuses = b.statuses("failureStatuses");
        Duration retryAfterMax = b.positiveDuration("retryAfterMax", Duration.ofSeconds(60));
        b.finish();
        return new CircuitBreakerConfig(failureRate, slowCall, slowRate, minimumCalls, window, waitInOpen,
                halfOpenCalls, perEndpoint, statusesGiven ? statuses : DEFAULT_FAILURE_STATUSES, retryAfterMax);
    }

    private static RetryConfig retry(ConfigNode r) {
        int attempts = r.integer("attempts", 2, 1, 10);
        boolean onGiven = r.has("on");
        Set<RetryOn> on = EnumSet.noneOf(RetryOn.class);
        Set<Integer> statuses = new LinkedHashSet<>();
        List<String> names = r.strings("on");
        for (String name : names) {
            Optional<RetryOn> kind = RetryOn.fromConfigName(name.trim());
            OptionalInt status = ConfigNode.status(name);
            if (kind.isPresent()) {
                on.add(kind.get());
            } else if (status.isPresent()) {
                statuses.add(status.getAsInt());
            } else {
                r.problem("on", "'" + name + "' is neither a retry condition (" + RetryOn.allNames()
                        + ") nor an HTTP status (100-599)");
            }
        }
        if (!onGiven) {
            on.addAll(DEFAULT_RETRY_ON);
        } else if (names.isEmpty()) {
            r.problem("on", "list at least one condition or status (leave retry out for no retries)");
        }
        ConfigNode b = r.object("backoff");
        Duration base = b.positiveDuration("base", Duration.ofMillis(25));
        Duration max = b.positiveDuration("max", Duration.ofMillis(250));
        if (max.compareTo(base) < 0) {
            b.problem("max", "must not be shorter than base (" + base.toMillis() + "ms)");
            max = base;
        }
        b.finish();
        Duration retryAfterMax = r.duration("retryAfterMax", Duration.ofSeconds(1));
        ConfigNode budget = r.object("budget");
        int budgetPercent = budget.integer("percent", 20, 0, 100);
        double minPerSecond = budget.number("minRetriesPerSecond", 3, 0, MAX_COUNT);
        budget.finish();
        long buffer = r.size("bufferBodyUpTo", 64 * 1024);
        if (buffer > MAX_RETRY_BUFFER) {
            r.problem("bufferBodyUpTo", "must be at most 64MiB");
            buffer = 64 * 1024;
        }
        r.finish();
        return new RetryConfig(attempts, on, statuses, base, max, retryAfterMax, budgetPercent, minPerSecond, buffer);
    }

    private static RateLimitConfig rateLimit(ConfigNode r) {
        r.require("requestsPerSecond");
        // 0 is never valid, so it stands for "absent or already reported" and keeps burst's default quiet
        double rate = r.positiveNumber("requestsPerSecond", 0, MAX_COUNT);
        int burst = r.integer("burst", (int) Math.max(1, Math.ceil(rate)), 1, MAX_COUNT);
        String key = r.string("key", "route");
        boolean known = true;
        boolean clientIp = false;
        boolean byHeader = false;
        switch (key) {
            case "route" -> { }
            case "client_ip" -> clientIp = true;
            case "header" -> byHeader = true;
            case "client_ip_and_header" -> {
                clientIp = true;
                byHeader = true;
            }
            default -> {
                known = false;
                r.problem("key", "'" + key + "' is not a rate limit key; choose one of " + RATE_KEYS);
            }
        }
        Optional<String> header = r.headerName("keyHeader");
        if (known && byHeader && !r.has("keyHeader")) {
            r.problem("keyHeader", "is required by key: " + key);
        } else if (known && !byHeader && header.isPresent()) {
            r.problem("keyHeader", "only key: header and key: client_ip_and_header use it");
        }
        int maxKeys = r.integer("maxKeys", 100_000, 1, MAX_COUNT);
        Duration keyIdleTime = r.positiveDuration("keyIdleTime", Duration.ofMinutes(10));
        Duration maxQueueTime = r.duration("maxQueueTime", Duration.ZERO);
        if (maxQueueTime.isNegative()) {
            r.problem("maxQueueTime", "must not be negative");
            maxQueueTime = Duration.ZERO;
        }
        String scope = r.string("scope", "local");
        boolean global = scope.equals("global");
        if (!global && !scope.equals("local")) {
            r.problem("scope", "'" + scope + "' is not a rate limit scope; choose local or global");
        }
        boolean failureModeGiven = r.has("failureMode");
        String failureMode = r.string("failureMode", "open");
        boolean failOpen = !failureMode.equals("closed");
        if (failOpen && !failureMode.equals("open")) {
            r.problem("failureMode", "'" + failureMode + "' is not a failure mode; choose open or closed");
        } else if (!global && failureModeGiven) {
            r.problem("failureMode", "only scope: global uses it");
        }
        if (global && !maxQueueTime.isZero()) {
            r.problem("maxQueueTime", "is not supported with scope: global");
        }
        r.finish();
        return new RateLimitConfig(rate > 0 ? rate : 1, burst, clientIp, byHeader ? header : Optional.empty(),
                maxKeys, keyIdleTime, maxQueueTime, global, failOpen);
    }

    private static ConcurrencyLimitConfig concurrencyLimit(ConfigNode c) {
        c.require("max");
        // 0 is never valid, so here it stands for "absent or already reported" (for initial too)
        int max = c.integer("max", 0, 1, MAX_COUNT);
        boolean adaptive = c.bool("adaptive", false);
        if (!adaptive) {
            for (String key : List.of("initial", "min")) {
                if (c.string(key).isPresent()) {
                    c.problem(key, "only an adaptive limit uses it (adaptive: true)");
                }
            }
            c.finish();
            return ConcurrencyLimitConfig.fixed(Math.max(max, 1));
        }
        int min = c.integer("min", 1, 1, MAX_COUNT);
        int initial = c.integer("initial", 0, 1, MAX_COUNT);
        c.finish();
        if (max == 0) {
            return ConcurrencyLimitConfig.fixed(1); // max is reported; min and initial have nothing to be compared with
        }
        if (min > max) {
            c.problem("min", "must not be greater than max (" + max + ")");
            min = 1;
        }
        int defaultInitial = Math.max(min, Math.min(max, 20));
        if (initial == 0) {
            initial = defaultInitial;
        } else if (initial < min || initial > max) {
            c.problem("initial", "must be between min (" + min + ") and max (" + max + ")");
            initial = defaultInitial;
        }
        return new ConcurrencyLimitConfig(max, true, initial, min);
    }

    private static FaultConfig fault(ConfigNode f) {
        Optional<FaultConfig.Delay> delay = f.optionalObject("delay").map(d -> {
            d.require("percent");
            double percent = d.number("percent", 0, 0, 100);
            d.require("duration");
            Duration duration = d.positiveDuration("duration", Duration.ofMillis(1));
            d.finish();
            return new FaultConfig.Delay(percent, duration);
        });
        Optional<FaultConfig.Abort> abort = f.optionalObject("abort").map(a -> {
            a.require("percent");
            double percent = a.number("percent", 0, 0, 100);
            a.require("status");
            int status = a.integer("status", 503, 400, 599);
            a.finish();
            return new FaultConfig.Abort(percent, status);
        });
        Optional<String> onlyWithHeader = f.headerName("onlyWithHeader");
        if (!f.has("delay") && !f.has("abort")) {
            f.problem(null, "give delay, abort or both");
        }
        f.finish();
        return new FaultConfig(delay, abort, onlyWithHeader);
    }

    private MirrorConfig mirror(ConfigNode m) {
        Optional<String> cluster = m.requiredString("cluster");
        double percent = m.number("percent", 100, 0, 100);
        long maxBodySize = m.size("maxBodySize", DEFAULT_MIRROR_BODY);
        m.finish();
        cluster.ifPresent(c -> mirrors.add(new MirrorRef(m, c)));
        return new MirrorConfig(cluster.orElse(""), percent, maxBodySize);
    }
}
