#!/usr/bin/env bash
# End-to-end throughput/latency benchmark: our proxy next to HAProxy and NGINX, all in front of
# the same nginx backend on loopback, all measured with wrk in one run.
#
#   deploy/bench/bench.sh                      # from the repo root, after `mvn -DskipTests package`
#   DURATION=10s REPEAT=3 deploy/bench/bench.sh
#   RATE=5000 TARGETS="direct proxy haproxy" deploy/bench/bench.sh   # open loop: a fixed arrival rate
#
# Environment (defaults in brackets):
#   JAR          the proxy's runnable jar [proxy-server/target/proxy-server.jar]
#   JAVA         java binary [java]
#   JAVA_OPTS    JVM flags for the proxy [see DEFAULT_JAVA_OPTS below]
#   EVENT_LOOPS  server.eventLoops for the proxy, and HAProxy's nbthread and NGINX's worker_processes, so that
#                the peers get as many threads as the proxy; 0 means one per core [1]
#   THREADS      wrk -t [1]
#   CONNECTIONS  wrk -c [64]
#   DURATION     wrk -d of each measured run [10s]
#   WARMUP       wrk -d of the warm-up run before each measured run [5s]
#   JIT_WARMUP   wrk -d of one extra warm-up per target and path before the first repeat [10s]
#   REPEAT       measured runs per target and path; the table shows medians [1]
#   TARGETS      which targets, in order [direct proxy haproxy nginx]; add proxy-chain for the proxy with
#                the default filter chain on (proxy-chain.yaml.tmpl) beside the bare path (proxy.yaml.tmpl),
#                and proxy-alt for the bare path run by JAR_ALT with JAVA_OPTS_ALT: an A/B of two builds or
#                two sets of JVM flags measured side by side in one run, where the host's drift hits both
#   JAR_ALT, JAVA_OPTS_ALT   the jar and the JVM flags of proxy-alt [JAR, JAVA_OPTS]
#   OUT_DIR      where raw wrk output, logs and results.tsv are kept [a new /tmp/bench-results.XXXXXX]
#   KEEP_TMP=1   keep the temp dir with the generated configs and logs of the servers
#   PATHS        which of the backend's paths, in order [/small /large]; with RATE, one path a run lets
#                each get its own rate (half of HAProxy's maximum differs by path)
#   RATE         open loop: each measured run sends RATE requests/s at fixed times over
#                CONNECTIONS connections (deploy/bench/OpenLoop.java) instead of wrk [unset: wrk]
#   MEMORY_LIMIT run each proxy target in a memory cgroup of this many MiB, as a container with that
#                limit runs it: the JVM sizes its heap and picks its collector from the limit. Needs
#                root and a cgroup memory controller (v1 or v2). Use it with the image's flags, e.g.
#                JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:MaxDirectMemorySize=128m" MEMORY_LIMIT=768 [unset]
#
# Closed loop (the default): each of wrk's connections sends its next request when the previous
# answer is in, so a stall holds back the requests that would have arrived meanwhile, and they are
# never measured (coordinated omission): p99 under-reports what clients arriving at a steady rate
# would see. Open loop (RATE=...): request i is due at start + i/RATE whatever happened before, and
# its latency counts from that due time, as wrk2 does. Debian packages no wrk2; hey's -q paces each
# worker after its own previous answer (still a closed loop), and h2load's --rate is a rate of new
# connections, so OpenLoop.java does it. Give every target the same RATE, below the slowest one's
# closed-loop req/s: past it the backlog grows and the latencies only measure the queue. Warm-ups
# stay on wrk.
#
# Columns: req/s and wrk's p50/p99 latency (with RATE: counted from each request's scheduled
# time); "cpu us/req" is the CPU time the target's own process (not the backend, not wrk) used per
# request, which the neighbours' load on a shared machine disturbs much less than req/s; "load" is
# the 1-minute load average before the run. At the end, each target's peak RSS over the whole
# benchmark (the kernel's VmHWM, summed over a server's processes: nginx's master and workers).
#
# Everything listens on 127.0.0.1 on free ports; every process started here is stopped on exit.
# Nothing is pinned with taskset: on a small shared machine, pinning wrk, backend and proxy to
# fixed cores would only add artefacts of our own choosing; the report states the core count.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

JAR="${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar}"
JAVA="${JAVA:-java}"
# A small fixed heap and the throughput collector: the proxy allocates little on the Java heap
# (bodies live in Netty's pooled direct buffers; measured with -Xlog:gc: ~2 KB per request, one
# 1-8 ms young pause every ~3 s at 10k req/s, the old generation never grows), so a 256m heap
# is plenty, and ParallelGC needs no concurrent GC threads competing with wrk, the backend and
# the proxy for the cores. -Xms=-Xmx and AlwaysPreTouch keep heap growth and page faults out of
# the measured window. On a 2-core machine G1 (the JVM default), Parallel and Serial measured
# the same within the noise, so this is about predictability, not a measured speed-up.
DEFAULT_JAVA_OPTS="-Xms256m -Xmx256m -XX:+UseParallelGC -XX:+AlwaysPreTouch"
JAVA_OPTS="${JAVA_OPTS:-$DEFAULT_JAVA_OPTS}"
JAR_ALT="${JAR_ALT:-$JAR}"
JAVA_OPTS_ALT="${JAVA_OPTS_ALT:-$JAVA_OPTS}"
EVENT_LOOPS="${EVENT_LOOPS:-1}"
THREADS="${THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-5s}"
JIT_WARMUP="${JIT_WARMUP:-10s}"
REPEAT="${REPEAT:-1}"
RATE="${RATE:-}"
TARGETS="${TARGETS:-direct proxy haproxy nginx}"
PATHS="${PATHS:-/small /large}"

NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# ---- preconditions -------------------------------------------------------------------------

[[ -f "$JAR" ]] || die "proxy jar not found: $JAR
  build it with:  mvn -B -q -DskipTests package   (or point JAR= at a built proxy-server.jar)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is not installed"
command -v "$JAVA" >/dev/null || die "java not found ($JAVA); set JAVA="
[[ -x "$NGINX" ]] || die "nginx is needed for the backend and was not found (apt-get install nginx)"
for path in $PATHS; do
    [[ "$path" == /small || "$path" == /large ]] || die "PATHS: unknown path '$path' (the backend has /small and /large)"
done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer, got '$REPEAT'"
[[ "$EVENT_LOOPS" =~ ^[0-9]+$ ]] || die "EVENT_LOOPS must be a number, got '$EVENT_LOOPS'"
# the peers' thread count: the proxy's event loops (0 = one per core, as the proxy reads it)
WORKERS=$EVENT_LOOPS
[[ "$WORKERS" != 0 ]] || WORKERS=$(nproc)
[[ -z "$RATE" || "$RATE" =~ ^[1-9][0-9]*$ ]] || die "RATE must be a positive integer (requests/s), got '$RATE'"
[[ -z "${MEMORY_LIMIT:-}" || "$MEMORY_LIMIT" =~ ^[1-9][0-9]*$ ]] || die "MEMORY_LIMIT must be MiB, got '$MEMORY_LIMIT'"
if [[ -n "$RATE" ]]; then
    [[ "$DURATION" =~ ^[1-9][0-9]*[sm]?$ ]] || die "with RATE, DURATION must be like 10s or 2m, got '$DURATION'"
    command -v javac >/dev/null || die "RATE needs javac (a JDK) to build deploy/bench/OpenLoop.java"
fi

# shellcheck source=deploy/bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---- process bookkeeping and cleanup -------------------------------------------------------

TMP="$(mktemp -d /tmp/bench.XXXXXX)"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-results.XXXXXX)}"
mkdir -p "$OUT_DIR"
PIDS=()          # every server process we started, in start order
WRK_PID=""       # the wrk run in progress, if any

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    [[ -z "$WRK_PID" ]] || kill -TERM "$WRK_PID" 2>/dev/null || true
    # the servers in reverse start order: the proxies before the backend they drain to
    local reversed=()
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${PIDS[i]}"); done
    stop_processes "${reversed[@]}"
    [[ -z "${CGROUP_PARENT:-}" ]] || rmdir "$CGROUP_PARENT/bench-$$-"* 2>/dev/null || true
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then
        note "kept temp dir $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# nginx only honours `user` when started as root; then keep the workers as the current user
# (root) instead of nginx's compiled-in default (nobody/www-data), which could not read $TMP.
if [[ $EUID -eq 0 ]]; then USER_LINE="user $(id -un);"; else USER_LINE=""; fi

start_nginx() {   # start_nginx NAME TEMPLATE PORT [extra render args...] -> sets LAST_PID
    local name=$1 template=$2 port=$3 dir="$TMP/$1"
    shift 3
    mkdir -p "$dir"
    render "$template" "$dir/nginx.conf" DIR="$dir" PORT="$port" USER_LINE="$USER_LINE" "$@"
    # -e: the error log used before the config is read (else a compiled-in /var/log path).
    "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' \
        >"$dir/stdout.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# ---- memory limit (MEMORY_LIMIT) -------------------------------------------------------------

CGROUP_PARENT=""   # where each proxy target gets a memory cgroup of its own (a limit shared by two JVMs would not be a container's)
CGROUPS=()
if [[ -n "${MEMORY_LIMIT:-}" ]]; then
    [[ $EUID -eq 0 ]] || die "MEMORY_LIMIT needs root (it creates cgroups)"
    if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
        CGROUP_VERSION=2
        CGROUP_PARENT="/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)"
    else
        CGROUP_VERSION=1
        mount_point=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
        [[ -n "$mount_point" ]] || die "MEMORY_LIMIT: no cgroup memory controller is mounted"
        CGROUP_PARENT="$mount_point$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)"
    fi
fi

# limited NAME CMD...: exec CMD, inside a new cgroup limited to MEMORY_LIMIT when it is set (the PID stays
# the command's). Run it in a subshell: it replaces the shell it runs in.
limited() {
    local name=$1
    shift
    [[ -n "$CGROUP_PARENT" ]] || exec "$@"
    local group="$CGROUP_PARENT/bench-$$-$name" limit_file=memory.max
    [[ $CGROUP_VERSION == 2 ]] || limit_file=memory.limit_in_bytes
    mkdir "$group" && echo $((MEMORY_LIMIT * 1024 * 1024)) >"$group/$limit_file" \
        || die "cannot create a memory-limited cgroup (v$CGROUP_VERSION) at $group"
    exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$group" "$@"
}

# ---- open-loop load generator (RATE) ----------------------------------------------------------

if [[ -n "$RATE" ]]; then
    javac -d "$TMP/openloop" "$SCRIPT_DIR/OpenLoop.java" || die "deploy/bench/OpenLoop.java does not compile"
    case "$DURATION" in
    *m) DURATION_S=$((${DURATION%m} * 60)) ;;
    *) DURATION_S=${DURATION%s} ;;
    esac
fi

# ---- backend ---------------------------------------------------------------------------------

WWW="$TMP/www"
mkdir -p "$WWW"
head -c 128 /dev/zero | tr '\0' 's' >"$WWW/small"        # 128-byte body
head -c 65536 /dev/zero | tr '\0' 'L' >"$WWW/large"      # 64 KiB body

free_port BACKEND_PORT
start_nginx backend "$SCRIPT_DIR/nginx-backend.conf.tmpl" "$BACKEND_PORT" WWW="$WWW"
wait_ready "backend nginx" "$LAST_PID" "http://127.0.0.1:$BACKEND_PORT/small" "$TMP/backend/error.log"
[[ $(curl -s "http://127.0.0.1:$BACKEND_PORT/large" | wc -c) -eq 65536 ]] || die "backend /large is not 64 KiB"

declare -A URL=([direct]="http://127.0.0.1:$BACKEND_PORT")
# The process whose CPU time is charged to each target (its worker children are counted too).
declare -A SERVER_PID=([direct]="$LAST_PID")

# ---- targets (all started up front; each sits idle while another one is measured) -------------

for target in $TARGETS; do
    case "$target" in
    direct) ;;
    proxy|proxy-chain|proxy-alt)
        # proxy: the bare forwarding path (a route deadline, the meters); proxy-chain: the default filter chain on;
        # proxy-alt: the bare path again, with JAR_ALT and JAVA_OPTS_ALT
        free_port port; free_port admin_port
        mkdir -p "$TMP/$target"
        template=$target jar=$JAR opts=$JAVA_OPTS
        [[ $target != proxy-alt ]] || { template=proxy jar=$JAR_ALT opts=$JAVA_OPTS_ALT; }
        [[ -f "$jar" ]] || die "$target: jar not found: $jar"
        render "$SCRIPT_DIR/$template.yaml.tmpl" "$TMP/$target/proxy.yaml" PORT="$port" ADMIN_PORT="$admin_port" \
            BACKEND_PORT="$BACKEND_PORT" EVENT_LOOPS="$EVENT_LOOPS"
        # The flags are split on whitespace on purpose (a list of flags).
        # shellcheck disable=SC2086
        (limited "$target" "$JAVA" $opts -jar "$jar" --config "$TMP/$target/proxy.yaml") >"$OUT_DIR/$target.log" 2>&1 &
        PROXY_PID=$!
        PIDS+=("$PROXY_PID")
        wait_ready "$target" "$PROXY_PID" "http://127.0.0.1:$admin_port/readyz" "$OUT_DIR/$target.log"
        wait_ready "$target (traffic)" "$PROXY_PID" "http://127.0.0.1:$port/small" "$OUT_DIR/$target.log"
        URL[$target]="http://127.0.0.1:$port"
        SERVER_PID[$target]=$PROXY_PID
        ;;
    haproxy)
        if [[ ! -x "$HAPROXY" ]]; then note "haproxy not installed: skipping it"; continue; fi
        free_port port
        mkdir -p "$TMP/haproxy"
        render "$SCRIPT_DIR/haproxy.cfg.tmpl" "$TMP/haproxy/haproxy.cfg" DIR="$TMP/haproxy" PORT="$port" WORKERS="$WORKERS" \
            BACKEND_PORT="$BACKEND_PORT"
        "$HAPROXY" -c -q -f "$TMP/haproxy/haproxy.cfg" || die "haproxy rejected $TMP/haproxy/haproxy.cfg"
        # -db: stay in the foreground so $! is the process to stop.
        "$HAPROXY" -db -f "$TMP/haproxy/haproxy.cfg" >"$TMP/haproxy/haproxy.log" 2>&1 &
        PIDS+=("$!")
        SERVER_PID[haproxy]=$!
        wait_ready "haproxy" "$!" "http://127.0.0.1:$port/small" "$TMP/haproxy/haproxy.log"
        URL[haproxy]="http://127.0.0.1:$port"
        ;;
    nginx)
        free_port port
        start_nginx nginx-proxy "$SCRIPT_DIR/nginx-proxy.conf.tmpl" "$port" BACKEND_PORT="$BACKEND_PORT" WORKERS="$WORKERS"
        wait_ready "nginx proxy" "$LAST_PID" "http://127.0.0.1:$port/small" "$TMP/nginx-proxy/error.log"
        URL[nginx]="http://127.0.0.1:$port"
        SERVER_PID[nginx]=$LAST_PID
        ;;
    *) die "unknown target '$target' (choose from: direct proxy proxy-chain proxy-alt haproxy nginx)" ;;
    esac
done

# ---- machine -------------------------------------------------------------------------------

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "== bench $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
echo "machine:  $(nproc) CPUs ($CPU_MODEL), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jvm:      $("$JAVA" -version 2>&1 | head -n 2 | tail -n 1)"
echo "java_opts: $JAVA_OPTS   event loops: $EVENT_LOOPS (haproxy nbthread and nginx workers: $WORKERS)"
if [[ " $TARGETS " == *" proxy-alt "* ]]; then
    echo "proxy-alt: $JAR_ALT with $JAVA_OPTS_ALT"
fi
[[ -z "$CGROUP_PARENT" ]] || echo "memory:   each proxy target in a cgroup of its own limited to $MEMORY_LIMIT MiB"
echo "nginx:    $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
[[ -x "$HAPROXY" ]] && echo "haproxy:  $("$HAPROXY" -v | head -n 1)"
if [[ -n "$RATE" ]]; then
    echo "load:     open loop, $RATE req/s over $CONNECTIONS connections for $DURATION (OpenLoop.java; latency from each request's scheduled time)"
    echo "wrk:      warm-ups only: -t$THREADS -c$CONNECTIONS (-d$WARMUP each, -d$JIT_WARMUP once), repeats: $REPEAT"
else
    echo "wrk:      -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up -d$WARMUP each, -d$JIT_WARMUP once), repeats: $REPEAT"
fi
echo "raw output: $OUT_DIR"
echo

# ---- sanity check ----------------------------------------------------------------------------

# Several requests on ONE keep-alive connection through each target must return the full bodies.
# wrk cannot catch a response that stalls half-way: it never completes, so it is neither counted
# as an error nor as a timeout, and only shows up as a collapse in req/s. Check it explicitly.
SANITY_OK=1
for target in $TARGETS; do
    [[ -n "${URL[$target]:-}" ]] || continue
    for path in $PATHS; do
        want=$(wc -c <"$WWW${path}")
        # curl reuses one connection for the repeated URL; -m bounds a stalled transfer.
        got=$(curl -s -m 5 -w '%{http_code}:%{size_download} ' \
            -o /dev/null "${URL[$target]}$path" -o /dev/null "${URL[$target]}$path" \
            -o /dev/null "${URL[$target]}$path" -o /dev/null "${URL[$target]}$path" || true)
        if [[ "$got" != "$(printf "200:$want %.0s" 1 2 3 4)" ]]; then
            SANITY_OK=0
            echo "!! $target $path: 4 keep-alive requests gave (status:bytes) '$got', expected 200:$want each"
        fi
    done
done
[[ $SANITY_OK == 1 ]] && echo "sanity check passed: every target returns complete bodies on a reused connection"
echo

# ---- measure -------------------------------------------------------------------------------

# wrk in the background plus `wait`: bash runs a signal trap only after a foreground command
# ends, so a plain `wrk -d10s` would delay Ctrl-C / kill by up to a whole run.
run_wrk() {
    wrk "$@" &
    WRK_PID=$!
    wait "$WRK_PID"
    WRK_PID=""
}

# The measured run: wrk (closed loop), or with RATE the open-loop generator, which prints the same lines.
run_measured() {
    local url=$1
    if [[ -n "$RATE" ]]; then
        # 2 s at RATE first, not counted: the generator's own JIT warm-up (the target had wrk's).
        "${JAVA}" -cp "$TMP/openloop" OpenLoop "$url" "$RATE" "$CONNECTIONS" "$DURATION_S" 2 &
        WRK_PID=$!
        wait "$WRK_PID"
        WRK_PID=""
    else
        run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url"
    fi
}

# wrk prints latencies as 812.00us / 1.23ms / 1.02s; print them in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "NaN" }'
}

# CPU time (user+system, in clock ticks) used so far by PID and its direct children (nginx
# workers). On a shared machine req/s moves with the neighbours' load; CPU per request much less,
# so it is the better number for comparing the proxies' efficiency.
cpu_ticks() {
    local p total=0 t
    for p in "$1" $(pgrep -P "$1" || true); do
        # Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

RESULTS="$OUT_DIR/results.tsv"
printf 'repeat\ttarget\tpath\treq_s\tp50_ms\tp99_ms\tsocket_errors\tnon_2xx\trequests\tload1\tcpu_us_per_req\n' >"$RESULTS"
printf '%-4s %-11s %-7s %12s %9s %9s %11s %6s  %s\n' rep target path "req/s" "p50 ms" "p99 ms" "cpu us/req" "load" "errors"

# One long warm-up per target and path first. The JVM needs it: measured on 2 busy cores, C2 was
# still compiling (and the proxy ran at less than half its speed) after a single 5 s warm-up.
# The native servers get the same treatment so that no target is favoured.
for target in $TARGETS; do
    [[ -n "${URL[$target]:-}" ]] || continue
    for path in $PATHS; do
        run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"$JIT_WARMUP" "${URL[$target]}$path" >/dev/null
    done
done

# Repeats go round all targets (rather than all repeats of one target back to back) so that
# slow drifts of a noisy shared machine spread over every target instead of hitting one.
for ((rep = 1; rep <= REPEAT; rep++)); do
    for target in $TARGETS; do
        [[ -n "${URL[$target]:-}" ]] || continue
        for path in $PATHS; do
            url="${URL[$target]}$path"
            raw="$OUT_DIR/wrk-$target-${path#/}-$rep.txt"
            # Warm-up: JIT for the JVM, connection pools and caches for everyone. Discarded.
            run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
            # 1-min load average at the start: on a shared machine it tells a noisy run apart.
            load=$(cut -d' ' -f1 /proc/loadavg)
            cpu_before=$(cpu_ticks "${SERVER_PID[$target]}")
            run_measured "$url" >"$raw"
            cpu_after=$(cpu_ticks "${SERVER_PID[$target]}")
            for pid in "${PIDS[@]}"; do
                kill -0 "$pid" 2>/dev/null || die "a server (pid $pid) died during the $target $path run"
            done
            rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
            p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$raw")")
            p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")
            # "Socket errors: connect 0, read 0, write 0, timeout 0" appears only when one is non-zero.
            sock=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$raw")
            non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$raw")
            requests=$(awk '/requests in/ {print $1}' "$raw")
            sock=${sock:-0} non2xx=${non2xx:-0}
            # CPU µs the target process spent per completed request (the backend's share excluded).
            cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$CLK_TCK" -v n="${requests:-0}" \
                'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "NaN" }')
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$target" "$path" "$rps" "$p50" "$p99" \
                "$sock" "$non2xx" "$requests" "$load" "$cpu_us" >>"$RESULTS"
            errs="-"
            if [[ "$sock" != 0 || "$non2xx" != 0 ]]; then
                errs="$(grep -E 'Socket errors|Non-2xx' "$raw" | tr -s ' \n' ' ')"
            fi
            # Open loop: requests that fell due but were never sent (the target could not keep up with RATE).
            backlog=$(awk '/scheduled but not sent/ { print $5 }' "$raw")
            if [[ -n "$backlog" && "$backlog" != 0 ]]; then
                errs="${errs#-} backlog $backlog (below RATE)"
            fi
            printf '%-4s %-11s %-7s %12.0f %9.3f %9.3f %11s %6s  %s\n' "$rep" "$target" "$path" "$rps" "$p50" "$p99" \
                "$cpu_us" "$load" "$errs"
        done
    done
done

# ---- summary ---------------------------------------------------------------------------------

echo
echo "== medians over $REPEAT repeat(s) (min-max of req/s shows the spread); ratios are of median req/s, per path"
awk -F'\t' -v order="$TARGETS" -v paths="$PATHS" '
    function median(list,    a, n, t, i, j) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR > 1 {
        k = $2 SUBSEP $3
        rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $11
        err[k] += $7 + $8; seen[k] = 1
        if (!(k in lo) || $4 + 0 < lo[k]) lo[k] = $4 + 0
        if (!(k in hi) || $4 + 0 > hi[k]) hi[k] = $4 + 0
    }
    END {
        nt = split(order, T, " "); np = split(paths, P, " ")
        for (i = 1; i <= nt; i++) for (j = 1; j <= np; j++) {
            k = T[i] SUBSEP P[j]
            if (seen[k]) mr[k] = median(rps[k])
        }
        printf "%-11s %-7s %9s %15s %9s %9s %10s %11s %11s %7s\n", "target", "path", "req/s", "req/s min-max", "p50 ms", "p99 ms", "vs direct", "vs haproxy", "cpu us/req", "errors"
        for (j = 1; j <= np; j++) for (i = 1; i <= nt; i++) {
            k = T[i] SUBSEP P[j]
            if (!seen[k]) continue
            vd = ((("direct" SUBSEP P[j]) in mr) ? sprintf("%.2f", mr[k] / mr["direct" SUBSEP P[j]]) : "-")
            vh = ((("haproxy" SUBSEP P[j]) in mr) ? sprintf("%.2f", mr[k] / mr["haproxy" SUBSEP P[j]]) : "-")
            printf "%-11s %-7s %9.0f %15s %9.3f %9.3f %10s %11s %11.1f %7d\n", T[i], P[j], mr[k], sprintf("%.0f-%.0f", lo[k], hi[k]), median(p50[k]), median(p99[k]), vd, vh, median(cpu[k]), err[k]
        }
    }' "$RESULTS" | tee "$OUT_DIR/summary.txt"

# Peak resident memory since start, VmHWM (kB) of the server's process and its direct children.
peak_rss_mib() {
    local p total=0 kb
    for p in "$1" $(pgrep -P "$1" || true); do
        kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null) || kb=0
        total=$((total + ${kb:-0}))
    done
    awk -v kb="$total" 'BEGIN { printf "%.1f", kb / 1024 }'
}
echo
echo "== peak RSS over the whole benchmark (VmHWM; nginx: master and workers summed, shared pages counted twice)"
for target in $TARGETS; do
    [[ -n "${SERVER_PID[$target]:-}" ]] || continue
    printf '%-11s %8s MiB\n' "$target" "$(peak_rss_mib "${SERVER_PID[$target]}")"
done | tee -a "$OUT_DIR/summary.txt"

# wrk plus one or two busy servers alone keep the load average at about 2-3.
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (this benchmark alone accounts for about 2-3)"
[[ $SANITY_OK == 1 ]] || echo "!! the sanity check failed (see above): some target truncates or stalls responses"

total_errors=$(awk -F'\t' 'NR > 1 {s += $7 + $8} END {print s + 0}' "$RESULTS")
if [[ "$total_errors" != 0 ]]; then
    echo
    echo "!! wrk reported errors (socket errors + non-2xx); see $OUT_DIR/wrk-*.txt:"
    grep -H -E 'Socket errors|Non-2xx' "$OUT_DIR"/wrk-*.txt || true
fi
