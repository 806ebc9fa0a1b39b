#!/usr/bin/env bash
# Endurance ("soak") run: the real proxy jar for a long time at a moderate fixed request rate, in front of
# backends that misbehave on a schedule, with config reloads during the run. It samples the proxy's memory,
# descriptors, threads, connections and error counts into a TSV, draws charts with gnuplot, and ends with pass
# criteria: the exit status is 0 only when every one of them holds.
#
#   deploy/bench/soak.sh                       # from the repo root, after `mvn -DskipTests package`: 30 minutes
#   DURATION=3m deploy/bench/soak.sh           # a short run, to check the script and the proxy quickly
#
# Faults, each on a route and cluster of its own (deploy/bench/soak.yaml.tmpl), served by deploy/bench/
# SoakBackend.java (backend 1 for every path, backend 2 for /restart):
#   slow      answers after 0-1.5 s; the cluster's 1 s response-header timeout cuts about a third (504)
#   reset     one response in three is reset (TCP RST) by the backend after 16 KiB of its 64 KiB
#   flaky     503 bursts (BURST_FOR every BURST_EVERY) that open the cluster's circuit breaker, and a second
#             endpoint on a port where nothing listens (refused connects, outlier ejection, retries)
#   restart   backend 2 is killed (SIGKILL) every RESTART_EVERY and started again RESTART_DOWN later
#   aborts    ABORTERS client loops, one request after another to /drip (a 2 s chunked answer) or /slow, each
#             left after 0.1-0.9 s (curl -m)
#   reloads   every RELOAD_EVERY the routes file is replaced (rename) by a variant that changes the healthy and
#             the slow cluster (new pools; the old ones drain) and the extra route; the file watcher reloads it,
#             and every second time POST /config/reload follows at once
# The route "ok" is the control: healthy traffic (half of RATE) that must get nothing but 200s.
#
# Environment (defaults in brackets):
#   JAR           the proxy's runnable jar [proxy-server/target/proxy-server.jar]
#   JAVA          java binary, also used for the backends; jcmd and javac are taken from the same JDK [java]
#   JAVA_OPTS     JVM flags for the proxy [-Xms256m -Xmx256m -XX:+UseParallelGC -XX:+AlwaysPreTouch]
#   LEAK_LEVEL    io.netty.leakDetection.level for the proxy [paranoid: every buffer tracked, fine at this rate]
#   EVENT_LOOPS   server.eventLoops [1]
#   DURATION      how long the load runs, e.g. 90s, 3m, 2h [30m]
#   WARMUP        the first part of the run left out of the flatness checks [a fifth of DURATION]
#   SAMPLE        time between samples [5s]
#   RATE          requests per second over all routes, split by fixed shares (ok 50 %, flaky 15 %, ...) [200]
#   ABORTERS      client loops that leave their requests half-way [2]
#   BURST_EVERY   period of backend 1's 503 bursts on /flaky [30s]
#   BURST_FOR     length of each burst [6s]
#   RESTART_EVERY period of backend 2's kill and restart [30s]
#   RESTART_DOWN  how long backend 2 stays down each time [8s]
#   RELOAD_EVERY  time between config reloads [20s]
#   GC_EVERY      time between forced full GCs (jcmd GC.run) that measure the heap after GC [20s]
#   DRAIN_WAIT    time after the load stops before the idle checks; more than the pools' maxIdleTime (11s) [20s]
#   OUT_DIR       samples, logs, charts and the summary [a new /tmp/soak-results.XXXXXX]
#   KEEP_TMP=1    keep the temp dir with the generated routes files
#
# Pass criteria (tolerances here, all checked at the end):
#   1. no leaked connections: DRAIN_WAIT after the load stopped, client connections 0, pool active, pending and
#      idle 0 in every cluster, upstream connections opened = closed, and open fds at most 5 plus one per event
#      loop above the count before the load (each loop opens its DNS resolver's UDP socket lazily, and keeps it);
#   2. no "LEAK:" line in the proxy's log (a forced GC and a few hundred requests at the end make Netty report
#      what it found);
#   3. flat after warm-up: the median of the second half of the samples (from WARMUP to the end of the load)
#      is at most the first half's median plus the larger of a share and a floor:
#      RSS 10 % / 16 MiB, heap after a forced full GC 20 % / 4 MiB, Netty direct memory 25 % / 16 MiB,
#      open fds 20 % / 10, threads 0 % / 2;
#   4. every error the proxy counted (proxy_errors_total by route and reason) is one an injected fault explains
#      (the set per route is EXPECTED below; client_closed is allowed everywhere, as clients leave when the
#      load stops), and the ok route's client saw 200s only;
#   5. the run did what it says: each fault showed up at least once, every reload was applied and none was
#      rejected, and the proxy was alive to the end.
# Exit status: 0 all passed, 1 a criterion failed, 2 the soak could not run.
#
# Everything listens on 127.0.0.1 on free ports; every process started here is stopped on exit. The load is
# hey (apt-get install hey) at a fixed rate: RATE is split over the routes, each hey's workers paced by -q.
# This is not a throughput test; see bench.sh for that.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

JAR="${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar}"
JAVA="${JAVA:-java}"
JAVA_OPTS="${JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseParallelGC -XX:+AlwaysPreTouch}"
LEAK_LEVEL="${LEAK_LEVEL:-paranoid}"
EVENT_LOOPS="${EVENT_LOOPS:-1}"
DURATION="${DURATION:-30m}"
SAMPLE="${SAMPLE:-5s}"
RATE="${RATE:-200}"
ABORTERS="${ABORTERS:-2}"
BURST_EVERY="${BURST_EVERY:-30s}"
BURST_FOR="${BURST_FOR:-6s}"
RESTART_EVERY="${RESTART_EVERY:-30s}"
RESTART_DOWN="${RESTART_DOWN:-8s}"
RELOAD_EVERY="${RELOAD_EVERY:-20s}"
GC_EVERY="${GC_EVERY:-20s}"
DRAIN_WAIT="${DRAIN_WAIT:-20s}"

# The proxy errors each route may count, besides client_closed (see the faults above).
declare -A EXPECTED=(
    [ok]=""
    [extra]=""
    [slow]="upstream_response_timeout"
    [reset]="upstream_reset"
    [flaky]="circuit_open upstream_connect_failure"
    [restart]="upstream_connect_failure upstream_reset"
    [drip]=""
)

die() { echo "soak: $*" >&2; exit 2; }
note() { echo "soak: $*" >&2; }

# seconds 3m -> 180 (s, m, h suffixes; a bare number is seconds).
seconds() {
    local v=$1
    case "$v" in
    *h) echo $((${v%h} * 3600)) ;;
    *m) echo $((${v%m} * 60)) ;;
    *s) echo $((${v%s})) ;;
    *) echo $((v)) ;;
    esac
}

# ---- preconditions -------------------------------------------------------------------------

for v in DURATION SAMPLE BURST_EVERY BURST_FOR RESTART_EVERY RESTART_DOWN RELOAD_EVERY GC_EVERY DRAIN_WAIT; do
    [[ "${!v}" =~ ^[1-9][0-9]*[smh]?$ ]] || die "$v must be a whole duration like 90s, 3m or 2h, got '${!v}'"
done
[[ -z "${WARMUP:-}" || "$WARMUP" =~ ^[0-9]+[smh]?$ ]] || die "WARMUP must be a duration like 60s, got '$WARMUP'"
[[ "$RATE" =~ ^[1-9][0-9]*$ ]] || die "RATE must be a positive integer, got '$RATE'"
[[ "$ABORTERS" =~ ^[0-9]+$ ]] || die "ABORTERS must be a number, got '$ABORTERS'"
[[ "$EVENT_LOOPS" =~ ^[0-9]+$ ]] || die "EVENT_LOOPS must be a number, got '$EVENT_LOOPS'"
# Descriptors opened once and kept: the DNS resolver's UDP socket of each event loop (on first use), a few files.
FD_SLACK=$((5 + (EVENT_LOOPS == 0 ? $(nproc) : EVENT_LOOPS)))
DURATION_S=$(seconds "$DURATION")
WARMUP_S=$(seconds "${WARMUP:-$((DURATION_S / 5))}")
SAMPLE_S=$(seconds "$SAMPLE")
RESTART_EVERY_S=$(seconds "$RESTART_EVERY")
RESTART_DOWN_S=$(seconds "$RESTART_DOWN")
RELOAD_EVERY_S=$(seconds "$RELOAD_EVERY")
GC_EVERY_S=$(seconds "$GC_EVERY")
DRAIN_WAIT_S=$(seconds "$DRAIN_WAIT")
((WARMUP_S < DURATION_S)) || die "WARMUP ($WARMUP_S s) must be shorter than DURATION ($DURATION_S s)"
((RESTART_DOWN_S < RESTART_EVERY_S)) || die "RESTART_DOWN must be shorter than RESTART_EVERY"
((DURATION_S - WARMUP_S >= 4 * SAMPLE_S)) || die "too few samples after the warm-up: lower SAMPLE or WARMUP"

[[ -f "$JAR" ]] || die "proxy jar not found: $JAR
  build it with:  mvn -B -q -DskipTests package   (or point JAR= at a built proxy-server.jar)"
command -v "$JAVA" >/dev/null || die "java not found ($JAVA); set JAVA="
JDK_BIN="$(dirname "$(readlink -f "$(command -v "$JAVA")")")"
JCMD="$JDK_BIN/jcmd"
[[ -x "$JCMD" ]] || die "jcmd not found next to $JAVA (a JDK, not a JRE, is needed for the forced GCs)"
command -v hey >/dev/null || die "hey is not installed (apt-get install hey)"
command -v curl >/dev/null || die "curl is not installed"
command -v gnuplot >/dev/null || die "gnuplot is not installed (apt-get install gnuplot-nox)"

# shellcheck source=deploy/bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---- process bookkeeping and cleanup -------------------------------------------------------

TMP="$(mktemp -d /tmp/soak.XXXXXX)"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/soak-results.XXXXXX)}"
mkdir -p "$OUT_DIR"
PIDS=()          # servers we started and keep for the whole run, in start order
LOAD_PIDS=()     # hey and the aborting loops
B2_PID=""        # backend 2, killed and started again during the run

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    # the load first, then the servers in reverse start order
    local stop=("${LOAD_PIDS[@]}" $B2_PID)
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop+=("${PIDS[i]}"); done
    stop_processes "${stop[@]}"
    if [[ "${KEEP_TMP:-0}" == 1 ]]; then
        note "kept temp dir $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds since the load started, with milliseconds.
elapsed() { awk -v now="${EPOCHREALTIME/,/.}" -v t0="$T0" 'BEGIN { printf "%.1f", now - t0 }'; }
event() { printf '%s\t%s\n' "$(elapsed)" "$*" >>"$OUT_DIR/events.tsv"; }

# ---- backends --------------------------------------------------------------------------------

free_port B1_PORT; free_port B2_PORT; free_port DEAD_PORT   # nothing is ever started on DEAD_PORT
free_port PORT; free_port ADMIN_PORT

# Compiled once, so that restarting backend 2 costs a JVM start, not a compilation.
if [[ -x "$JDK_BIN/javac" ]]; then
    "$JDK_BIN/javac" -d "$TMP/classes" "$SCRIPT_DIR/SoakBackend.java" || die "SoakBackend.java does not compile"
    BACKEND=("$JAVA" -Xmx64m -XX:+UseSerialGC -cp "$TMP/classes" SoakBackend)
else
    BACKEND=("$JAVA" -Xmx64m -XX:+UseSerialGC "$SCRIPT_DIR/SoakBackend.java")
fi
BURST_ARGS=("$(($(seconds "$BURST_EVERY") * 1000))" "$(($(seconds "$BURST_FOR") * 1000))")

"${BACKEND[@]}" "$B1_PORT" "${BURST_ARGS[@]}" >"$OUT_DIR/backend1.log" 2>&1 &
PIDS+=("$!")
wait_ready "backend 1" "$!" "http://127.0.0.1:$B1_PORT/health" "$OUT_DIR/backend1.log"

start_b2() {
    "${BACKEND[@]}" "$B2_PORT" >>"$OUT_DIR/backend2.log" 2>&1 &
    B2_PID=$!
}
start_b2
wait_ready "backend 2" "$B2_PID" "http://127.0.0.1:$B2_PORT/health" "$OUT_DIR/backend2.log"

# ---- proxy -----------------------------------------------------------------------------------

CONF_DIR="$TMP/proxy"
CONF="$CONF_DIR/proxy.yaml"
mkdir -p "$CONF_DIR" "$TMP/stage"

# write_config N: variant N of the routes file, swapped in by a rename (the watcher never sees half a file).
write_config() {
    local n=$1 idle=10s slow=1s
    if ((n % 2)); then idle=11s slow=1100ms; fi
    render "$SCRIPT_DIR/soak.yaml.tmpl" "$TMP/stage/proxy.yaml" PORT="$PORT" ADMIN_PORT="$ADMIN_PORT" \
        EVENT_LOOPS="$EVENT_LOOPS" B1_PORT="$B1_PORT" B2_PORT="$B2_PORT" DEAD_PORT="$DEAD_PORT" \
        IDLE="$idle" SLOW_TIMEOUT="$slow" VARIANT="v$n"
    mv -f "$TMP/stage/proxy.yaml" "$CONF"
}
write_config 0

# JAVA_OPTS is split on whitespace on purpose (a list of flags).
# shellcheck disable=SC2086
"$JAVA" $JAVA_OPTS -Dio.netty.leakDetection.level="$LEAK_LEVEL" -Xlog:gc:file="$OUT_DIR/gc.log" \
    -jar "$JAR" --config "$CONF" >"$OUT_DIR/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
ADMIN="http://127.0.0.1:$ADMIN_PORT"
URL="http://127.0.0.1:$PORT"
wait_ready "proxy" "$PROXY_PID" "$ADMIN/readyz" "$OUT_DIR/proxy.log"
wait_ready "proxy (traffic)" "$PROXY_PID" "$URL/ok" "$OUT_DIR/proxy.log"

# ---- sampling --------------------------------------------------------------------------------

SAMPLES="$OUT_DIR/samples.tsv"
printf 't_s\tphase\trss_kb\tfds\tsockets\tthreads\theap_used\theap_committed\tnetty_direct\tjdk_direct' >"$SAMPLES"
printf '\tclient_conns\tpool_active\tpool_idle\tpool_pending\tupstream_opened\tupstream_closed\trequests' >>"$SAMPLES"
printf '\terrors\tgeneration\treload_failures\tload1\tnonheap\n' >>"$SAMPLES"
printf 't_s\troute\treason\tcount\n' >"$OUT_DIR/errors.tsv"
printf 't_s\theap_after_gc\n' >"$OUT_DIR/gc.tsv"
printf 't_s\tevent\n' >"$OUT_DIR/events.tsv"

alive() { kill -0 "$PROXY_PID" 2>/dev/null; }

scrape() { curl -s -m 5 -o "$TMP/metrics.txt" "$ADMIN/metrics"; }

# sample PHASE: one line in samples.tsv and the error counters in errors.tsv.
sample() {
    local phase=$1 t rss threads fds sockets
    alive || die "the proxy died (log: $OUT_DIR/proxy.log)"
    t=$(elapsed)
    read -r rss threads < <(awk '/^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 } END { print r, t }' \
        "/proc/$PROXY_PID/status")
    fds=$(find "/proc/$PROXY_PID/fd" -mindepth 1 2>/dev/null | wc -l || true)
    sockets=$(find "/proc/$PROXY_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l || true)
    scrape || { note "scrape failed at t=$t s"; return 0; }
    awk -v t="$t" -v phase="$phase" -v rss="$rss" -v fds="$fds" -v sockets="$sockets" -v threads="$threads" \
        -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        /^jvm_memory_used_bytes\{area="heap"/ { heap += $NF }
        /^jvm_memory_committed_bytes\{area="heap"/ { heapc += $NF }
        /^jvm_memory_used_bytes\{area="nonheap"/ { nonheap += $NF }
        /^netty_allocator_memory_used\{.*memory_type="direct"/ { nd += $NF }
        /^jvm_buffer_memory_used_bytes\{id="direct"\}/ { jd = $NF }
        /^proxy_connections_active / { cc = $NF }
        /^proxy_conn_pool_active\{/ { pa += $NF }
        /^proxy_conn_pool_idle\{/ { pi += $NF }
        /^proxy_conn_pool_pending\{/ { pp += $NF }
        /^proxy_upstream_connections_opened_total\{/ { uo += $NF }
        /^proxy_upstream_connections_closed_total\{/ { uc += $NF }
        /^proxy_requests_total\{/ { req += $NF }
        /^proxy_errors_total\{/ { err += $NF }
        /^proxy_config_generation / { gen = $NF }
        /^proxy_config_reloads_total\{result="failure"\}/ { rf = $NF }
        END {
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f", t, phase, rss, fds, sockets, threads, heap, heapc, nd, jd
            printf "\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%.0f\n", cc, pa, pi, pp, uo, uc, req, err, gen, rf, load, nonheap
        }' "$TMP/metrics.txt" >>"$SAMPLES"
    awk -v t="$t" '/^proxy_errors_total\{/ {
            route = $0; sub(/.*route="/, "", route); sub(/".*/, "", route)
            reason = $0; sub(/.*reason="/, "", reason); sub(/".*/, "", reason)
            printf "%s\t%s\t%s\t%.0f\n", t, route, reason, $NF
        }' "$TMP/metrics.txt" >>"$OUT_DIR/errors.tsv"
}

# A full GC now (jcmd GC.run: System.gc(), synchronous), then the heap that survived it, from the GC log's line
# "[165.891s][info][gc] GC(92) Pause Full (Diagnostic Command) 10M->9M(255M) 35.454ms" (the metrics would be
# read later, after more allocation).
forced_gc() {
    local before line
    before=$(grep -c '(Diagnostic Command).*->' "$OUT_DIR/gc.log" || true)
    "$JCMD" "$PROXY_PID" GC.run >/dev/null 2>&1 || { note "jcmd GC.run failed"; return 0; }
    line=$(grep '(Diagnostic Command).*->' "$OUT_DIR/gc.log" | tail -n 1 || true)
    if [[ $(grep -c '(Diagnostic Command).*->' "$OUT_DIR/gc.log" || true) -le $before ]]; then
        note "no GC line in $OUT_DIR/gc.log after jcmd GC.run"
        return 0
    fi
    printf '%s\t%s\n' "$(elapsed)" "$(sed -E 's/.*->([0-9]+)([KMG])\(.*/\1 \2/' <<<"$line" |
        awk '{ print $1 * ($2 == "K" ? 1024 : $2 == "M" ? 1048576 : 1073741824) }')" >>"$OUT_DIR/gc.tsv"
}

# reload N: the N-th variant of the file; every second one is also POSTed to the admin port at once.
RELOADS=0
RELOAD_POST_FAILURES=0
reload() {
    local n=$1 code
    write_config "$n"
    RELOADS=$((RELOADS + 1))
    if ((n % 2 == 0)); then
        code=$(curl -s -m 10 -o "$TMP/reload.json" -w '%{http_code}' -X POST "$ADMIN/config/reload" || true)
        [[ "$code" == 200 ]] || RELOAD_POST_FAILURES=$((RELOAD_POST_FAILURES + 1))
        event "reload $n (file + POST: $code)"
    else
        event "reload $n (file)"
    fi
}

# ---- machine -------------------------------------------------------------------------------

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
{
    echo "== soak $(date -u '+%Y-%m-%dT%H:%M:%SZ'), commit $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine:   $(nproc) CPUs ($CPU_MODEL), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "jvm:       $("$JAVA" -version 2>&1 | head -n 2 | tail -n 1)"
    echo "java_opts: $JAVA_OPTS -Dio.netty.leakDetection.level=$LEAK_LEVEL   event loops: $EVENT_LOOPS"
    echo "load:      $RATE req/s for $DURATION_S s (warm-up $WARMUP_S s), $ABORTERS aborting clients, hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null || true)"
    echo "faults:    503 bursts $BURST_FOR every $BURST_EVERY, backend 2 down $RESTART_DOWN every $RESTART_EVERY, reload every $RELOAD_EVERY, full GC every $GC_EVERY"
    echo "output:    $OUT_DIR"
} | tee "$OUT_DIR/summary.txt"

# ---- load ------------------------------------------------------------------------------------

T0="${EPOCHREALTIME/,/.}"
sample baseline
BASE_FDS=$(awk -F'\t' 'NR == 2 { print $4 }' "$SAMPLES")

# hey_route NAME SHARE_PERCENT WORKERS: hey on /NAME at SHARE_PERCENT of RATE, paced per worker (-q is per worker).
hey_route() {
    local name=$1 share=$2 workers=$3 q
    q=$(awk -v r="$RATE" -v s="$share" -v c="$workers" 'BEGIN { printf "%.3f", r * s / 100 / c }')
    hey -z "${DURATION_S}s" -c "$workers" -q "$q" -t 20 "$URL/$name" >"$OUT_DIR/hey-$name.txt" 2>&1 &
    LOAD_PIDS+=("$!")
}
# Workers so that each one's pace (1/q) is longer than its route's slowest answer: the rate holds.
hey_route ok 50 8
hey_route slow 10 40
hey_route reset 10 4
hey_route flaky 15 6
hey_route restart 10 4
hey_route drip 5 30

aborter() {
    local end=$((SECONDS + DURATION_S)) path
    while ((SECONDS < end)); do
        if ((RANDOM % 2)); then path=drip; else path=slow; fi
        curl -s -o /dev/null -m "0.$((RANDOM % 9 + 1))" "$URL/$path" || true
        sleep 0.2
    done
}
for ((i = 0; i < ABORTERS; i++)); do
    aborter &
    LOAD_PIDS+=("$!")
done
event "load started"

next_sample=$SAMPLE_S next_gc=$GC_EVERY_S next_reload=$RELOAD_EVERY_S next_kill=$RESTART_EVERY_S
next_start=$((DURATION_S * 10)) variant=0
while :; do
    now=$(elapsed)
    now=${now%.*}
    ((now < DURATION_S)) || break
    if ((now >= next_kill)); then
        kill -KILL "$B2_PID" 2>/dev/null || true
        wait "$B2_PID" 2>/dev/null || true
        event "backend 2 killed"
        next_start=$((now + RESTART_DOWN_S))
        next_kill=$((next_kill + RESTART_EVERY_S))
    fi
    if ((now >= next_start)); then
        start_b2
        event "backend 2 started"
        next_start=$((DURATION_S * 10))
    fi
    if ((now >= next_reload)); then
        variant=$((variant + 1))
        reload "$variant"
        next_reload=$((next_reload + RELOAD_EVERY_S))
    fi
    if ((now >= next_gc)); then
        forced_gc
        next_gc=$((next_gc + GC_EVERY_S))
    fi
    if ((now >= next_sample)); then
        sample load
        next_sample=$((next_sample + SAMPLE_S))
    fi
    sleep 0.25
done

# The load ends by itself (hey -z, the aborters' clock); give it a little while, then stop what is left.
if ((next_start < DURATION_S * 10)); then start_b2; event "backend 2 started"; fi
for pid in "${LOAD_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
LOAD_PIDS=()
LOAD_END=$(elapsed)
event "load stopped"

drain_end=$((${LOAD_END%.*} + DRAIN_WAIT_S))
while (($(elapsed | cut -d. -f1) < drain_end)); do
    sleep 1
    if (($(elapsed | cut -d. -f1) % SAMPLE_S == 0)); then sample drain; fi
done
sample drain
DRAIN_LINE=$(tail -n 1 "$SAMPLES")

# Let Netty's leak detector speak: a full GC collects leaked buffers, and the next allocations report them.
forced_gc
hey -n 400 -c 4 "$URL/ok" >/dev/null 2>&1 || true
sleep 1
forced_gc
hey -n 400 -c 4 "$URL/ok" >/dev/null 2>&1 || true
sleep 1
alive && PROXY_ALIVE=1 || PROXY_ALIVE=0
event "end"

# ---- charts ----------------------------------------------------------------------------------

# Charts of long runs draw every EVERY-th sample (at most about 200 points a line). gnuplot's libgd "png" terminal
# (no anti-aliasing, a palette) keeps a 30-minute run's charts under 20 KB each; pngcairo made them 110-125 KB.
EVERY=$(awk -F'\t' 'END { n = int((NR + 199) / 200); print (n < 1 ? 1 : n) }' "$SAMPLES")

# errors_rate.tsv: errors per second by reason (all routes) and requests per second, per EVERY sample intervals.
awk -F'\t' -v k="$EVERY" '
    FNR == 1 { next }
    FILENAME == ARGV[1] { if (!($3 in seen)) { seen[$3] = 1; reasons[++n] = $3 } cum[$1, $3] += $4; next }
    { t[++m] = $1; req[m] = $17 }
    END {
        printf "minutes\trequests/s"; for (i = 1; i <= n; i++) printf "\t%s", reasons[i]; printf "\n"
        for (j = 1 + k; j <= m; j += k) {
            dt = t[j] - t[j - k]; if (dt <= 0) continue
            printf "%.3f\t%.1f", t[j] / 60, (req[j] - req[j - k]) / dt
            for (i = 1; i <= n; i++) printf "\t%.2f", (cum[t[j], reasons[i]] - cum[t[j - k], reasons[i]]) / dt
            printf "\n"
        }
    }' "$OUT_DIR/errors.tsv" "$SAMPLES" >"$OUT_DIR/errors_rate.tsv"
N_ERR_COLS=$(head -n 1 "$OUT_DIR/errors_rate.tsv" | awk -F'\t' '{ print NF }')
awk -F'\t' '$2 ~ /^reload/ { print $1 }' "$OUT_DIR/events.tsv" >"$TMP/reloads.txt"
awk -F'\t' '$2 ~ /^backend 2 killed/ { print $1 }' "$OUT_DIR/events.tsv" >"$TMP/kills.txt"

gnuplot <<EOF || note "gnuplot failed: no charts"
set terminal png size 900,420 font "DejaVuSans,9" noenhanced
set datafile separator "\t"
set key outside right top
set grid
set xlabel "minutes since the load started"
set object 1 rect from first 0, graph 0 to first $WARMUP_S / 60.0, graph 1 behind fillcolor rgb "#eeeeee" fillstyle solid 1.0 noborder
set arrow 1 from first ${LOAD_END} / 60.0, graph 0 to first ${LOAD_END} / 60.0, graph 1 nohead dt 2 lc rgb "#888888"
set label 1 "warm-up" at first 0.05, graph 0.95
set label 2 "load stops" at first ${LOAD_END} / 60.0, graph 0.95 offset 0.5,0

set output "$OUT_DIR/memory.png"
set title "Proxy memory (MiB)"
set ylabel "MiB"
set yrange [0:*]
plot "$SAMPLES" every $EVERY using (\$1/60):(\$3/1024) skip 1 with lines lw 2 title "RSS", \
     "$SAMPLES" every $EVERY using (\$1/60):(\$7/1048576) skip 1 with lines title "heap used", \
     "$OUT_DIR/gc.tsv" using (\$1/60):(\$2/1048576) skip 1 with linespoints pt 7 ps 0.6 lw 2 title "heap after full GC", \
     "$SAMPLES" every $EVERY using (\$1/60):(\$9/1048576) skip 1 with lines lw 2 title "Netty direct", \
     "$SAMPLES" every $EVERY using (\$1/60):(\$10/1048576) skip 1 with lines title "JDK direct buffers", \
     "$SAMPLES" every $EVERY using (\$1/60):(\$22/1048576) skip 1 with lines title "JVM non-heap (metaspace, code)"

set output "$OUT_DIR/connections.png"
set title "Proxy descriptors, threads and connections"
set ylabel "count"
plot "$SAMPLES" every $EVERY using (\$1/60):4 skip 1 with lines lw 2 title "open fds", \
     "$SAMPLES" every $EVERY using (\$1/60):5 skip 1 with lines title "sockets", \
     "$SAMPLES" every $EVERY using (\$1/60):6 skip 1 with lines lw 2 title "threads", \
     "$SAMPLES" every $EVERY using (\$1/60):11 skip 1 with lines title "client connections", \
     "$SAMPLES" every $EVERY using (\$1/60):12 skip 1 with lines title "pool active", \
     "$SAMPLES" every $EVERY using (\$1/60):13 skip 1 with lines title "pool idle", \
     "$SAMPLES" every $EVERY using (\$1/60):(\$15-\$16) skip 1 with lines dt 3 title "upstream opened - closed"

set output "$OUT_DIR/errors.png"
set title "Requests and proxy errors per second, by reason"
set ylabel "errors/s"
set y2label "requests/s"
set y2tics
set ytics nomirror
set y2range [0:*]
plot "$OUT_DIR/errors_rate.tsv" using 1:2 axes x1y2 with lines lw 2 lc rgb "#bbbbbb" title "requests/s (right)", \
     for [i=3:$N_ERR_COLS] "$OUT_DIR/errors_rate.tsv" using 1:i with lines lw 2 title columnheader(i), \
     "$TMP/reloads.txt" using (\$1/60):(0) with points pt 2 ps 1.2 lc rgb "black" title "config reload", \
     "$TMP/kills.txt" using (\$1/60):(0) with points pt 9 ps 1.2 lc rgb "red" title "backend 2 killed"
EOF

# ---- criteria ----------------------------------------------------------------------------------

FAILED=0
check() {   # check OK? "what"
    if [[ "$1" == 1 ]]; then echo "PASS  $2"; else echo "FAIL  $2"; FAILED=1; fi
}
col() { awk -F'\t' -v c="$1" '{ print $c }' <<<"$DRAIN_LINE"; }

# median COLUMN FROM TO [FILE]: the median of a samples.tsv column over FROM <= t < TO (load samples only).
median() {
    awk -F'\t' -v c="$1" -v from="$2" -v to="$3" 'NR > 1 && $1 >= from && $1 < to && ($2 == "load" || NF == 2) { v[++n] = $c }
        END {
            if (n == 0) { print "NaN"; exit }
            for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > x + 0; j--) v[j + 1] = v[j]; v[j + 1] = x }
            print (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
        }' "${4:-$SAMPLES}"
}
MID=$(awk -v w="$WARMUP_S" -v e="$LOAD_END" 'BEGIN { printf "%.1f", (w + e) / 2 }')

# flat NAME COLUMN PCT FLOOR UNIT DIVISOR [FILE]: second-half median within the first's + max(PCT %, FLOOR).
flat() {
    local name=$1 column=$2 pct=$3 floor=$4 unit=$5 div=$6 file=${7:-$SAMPLES} first second verdict
    first=$(median "$column" "$WARMUP_S" "$MID" "$file")
    second=$(median "$column" "$MID" "$LOAD_END" "$file")
    verdict=$(awk -v a="$first" -v b="$second" -v p="$pct" -v f="$floor" -v d="$div" \
        'BEGIN { if (a == "NaN" || b == "NaN") { print 0; exit } allow = a * p / 100; if (allow < f * d) allow = f * d; print (b <= a + allow) ? 1 : 0 }')
    check "$verdict" "$(awk -v n="$name" -v a="$first" -v b="$second" -v p="$pct" -v f="$floor" -v u="$unit" -v d="$div" \
        'BEGIN { if (u != "") u = " " u
            printf "%s flat: median %.1f%s in the first half after warm-up, %.1f%s in the second (allowed: +max(%d %%, %s%s))", n, a / d, u, b / d, u, p, f, u }')"
}

# Last value of each (route, reason) counter.
FINAL_ERRORS=$(awk -F'\t' 'NR > 1 { last[$2 "\t" $3] = $4 } END { for (k in last) print k "\t" last[k] }' \
    "$OUT_DIR/errors.tsv" | sort)
unexpected=""
while IFS=$'\t' read -r route reason count; do
    [[ -n "$route" ]] || continue
    [[ "$reason" == client_closed ]] && continue
    [[ " ${EXPECTED[$route]:-} " == *" $reason "* ]] || unexpected+=" $route/$reason=$count"
done <<<"$FINAL_ERRORS"

# hey on /ok: its status lines are "  [200]	12345 responses"; errors are listed under "Error distribution".
OK_NON200=$(awk '/^[ \t]*\[[0-9]+\][ \t]+[0-9]+ responses/ { gsub(/[\[\]]/, "", $1); if ($1 != "200") s += $2 } END { print s + 0 }' \
    "$OUT_DIR/hey-ok.txt")
OK_ERRORS=$(awk '/Error distribution/ { on = 1; next } on && /^[ \t]*\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); s += $1 } END { print s + 0 }' \
    "$OUT_DIR/hey-ok.txt")
error_count() { awk -F'\t' -v r="$1" -v why="$2" '$1 == r && $2 == why { s += $3 } END { print s + 0 }' <<<"$FINAL_ERRORS"; }
attempts() { awk -v c="$1" -v o="$2" 'index($0, "proxy_upstream_attempts_total{") == 1 && index($0, "cluster=\"" c "\"") && index($0, "outcome=\"" o "\"") { s += $NF } END { printf "%.0f", s }' "$TMP/metrics.txt"; }
scrape || true
FLAKY_503=$(attempts flaky 5xx)
FLAKY_CONNECT=$(awk '/^proxy_upstream_connect_failures_total\{cluster="flaky"\}/ { printf "%.0f", $NF }' "$TMP/metrics.txt")
BREAKER_OPENED=$(awk '/^proxy_circuit_breaker_transitions_total\{.*cluster="flaky".*to="open"/ { s += $NF } END { printf "%.0f", s }' "$TMP/metrics.txt")
GENERATION=$(col 19)
LEAKS=$(grep -c 'LEAK:' "$OUT_DIR/proxy.log" || true)

{
    echo
    echo "== figures (load ${LOAD_END%.*} s, drain ${DRAIN_WAIT_S} s)"
    awk -F'\t' -v w="$WARMUP_S" 'NR == 2 { r0 = $3; f0 = $4 } NR > 1 && $2 == "load" { last = $0; n++ }
        END { split(last, a, "\t"); printf "samples: %d during the load; requests %.0f, proxy errors %.0f (%.2f %%)\n", n, a[17], a[18], a[17] ? 100 * a[18] / a[17] : 0 }' "$SAMPLES"
    echo "proxy errors by route and reason (final counts):"
    awk -F'\t' '{ printf "  %-8s %-28s %s\n", $1, $2, $3 }' <<<"$FINAL_ERRORS"
    echo "hey, status codes per route:"
    for f in "$OUT_DIR"/hey-*.txt; do
        n=$(basename "$f" .txt); n=${n#hey-}
        printf '  %-8s %s   p50 %s s, p99 %s s\n' "$n" \
            "$(awk '/^[ \t]*\[[0-9]+\][ \t]+[0-9]+ responses/ { printf "%s%s:%s", sep, $1, $2; sep = " " }' "$f")" \
            "$(awk '$1 == "50%%" || $1 == "50%" { print $3 }' "$f")" "$(awk '$1 == "99%%" || $1 == "99%" { print $3 }' "$f")"
    done
    echo "faults seen: flaky 503 attempts $FLAKY_503, flaky connect failures $FLAKY_CONNECT, breaker opened $BREAKER_OPENED times;"
    echo "             reloads $RELOADS (config generation $GENERATION), backend 2 killed $(grep -c 'backend 2 killed' "$OUT_DIR/events.tsv") times"
    echo "after drain: client connections $(col 11), pool active $(col 12), idle $(col 13), pending $(col 14);"
    echo "             upstream opened $(col 15), closed $(col 16); fds $(col 4) (before the load $BASE_FDS), sockets $(col 5), threads $(col 6)"
    echo "log lines: $(grep -c ' ERROR ' "$OUT_DIR/proxy.log" || true) ERROR, $(grep -c ' WARN ' "$OUT_DIR/proxy.log" || true) WARN, $LEAKS LEAK"
    # The distinct messages, without their time (access log lines are JSON and not counted above).
    grep -E '^[0-9:.]+ +(WARN|ERROR) ' "$OUT_DIR/proxy.log" | sed -E 's/^[0-9:.]+ +//' | cut -c1-150 | sort | uniq -c |
        sort -rn | head -n 5 | sed 's/^/  /' || true
    echo
    echo "== criteria"
    check "$([[ $(col 11) == 0 ]] && echo 1)" "no client connection left after the load (proxy_connections_active = $(col 11))"
    check "$([[ $(col 12) == 0 && $(col 14) == 0 ]] && echo 1)" "no upstream connection still busy or waited for (pool active $(col 12), pending $(col 14))"
    check "$([[ $(col 13) == 0 ]] && echo 1)" "idle upstream connections closed after maxIdleTime (pool idle $(col 13))"
    check "$([[ $(col 15) == "$(col 16)" ]] && echo 1)" "every upstream connection opened was closed ($(col 15) opened, $(col 16) closed)"
    check "$(($(col 4) <= BASE_FDS + FD_SLACK))" "open fds back to the level before the load ($(col 4), before: $BASE_FDS, allowed +$FD_SLACK)"
    check "$([[ $LEAKS == 0 ]] && echo 1)" "no Netty LEAK report in the proxy log (level $LEAK_LEVEL): $LEAKS"
    flat "RSS" 3 10 16 MiB 1024
    flat "heap after full GC" 2 20 4 MiB 1048576 "$OUT_DIR/gc.tsv"
    flat "Netty direct memory" 9 25 16 MiB 1048576
    flat "open fds" 4 20 10 "" 1
    flat "threads" 6 0 2 "" 1
    check "$([[ -z "$unexpected" ]] && echo 1)" "every proxy error explained by an injected fault${unexpected:+; unexpected:$unexpected}"
    check "$([[ $OK_NON200 == 0 && $OK_ERRORS == 0 ]] && echo 1)" "the control route /ok answered 200 only ($OK_NON200 other statuses, $OK_ERRORS client errors)"
    check "$([[ $(error_count slow upstream_response_timeout) -gt 0 && $(error_count reset upstream_reset) -gt 0 &&
        $(error_count restart upstream_connect_failure) -gt 0 && $FLAKY_503 -gt 0 && ${FLAKY_CONNECT:-0} -gt 0 &&
        $(awk -F'\t' '$2 == "client_closed" { s += $3 } END { print s + 0 }' <<<"$FINAL_ERRORS") -gt 0 ]] && echo 1)" \
        "each fault showed up (slow timeouts, resets, refused connects, 503 bursts, client aborts)"
    check "$([[ $(col 20) == 0 && $RELOAD_POST_FAILURES == 0 && $GENERATION == $((RELOADS + 1)) ]] && echo 1)" \
        "every reload applied: $RELOADS file changes, generation $GENERATION, $(col 20) rejected, $RELOAD_POST_FAILURES POSTs not 200"
    check "$PROXY_ALIVE" "the proxy was alive to the end"
    echo
    echo "charts: $(cd "$OUT_DIR" && echo ./*.png)"
    if ((FAILED)); then echo "SOAK FAILED"; else echo "SOAK PASSED"; fi
} | tee -a "$OUT_DIR/summary.txt"

grep -q '^SOAK PASSED' "$OUT_DIR/summary.txt" || exit 1
