#!/usr/bin/env bash
# The proxy's footprint: how long from `java -jar` to the first served request, and how much memory
# it holds for many idle keep-alive client connections. Runs the real jar with its --demo backends
# on loopback; no load generator needed.
#
#   deploy/bench/footprint.sh                        # from the repo root, after `mvn -DskipTests package`
#   STARTS=9 IDLE_CONNECTIONS=10000 deploy/bench/footprint.sh
#   BASELINE_JAR=/tmp/main.jar deploy/bench/footprint.sh   # this build's starts against another's, in one run
#
# Environment (defaults in brackets):
#   JAR               the proxy's runnable jar [proxy-server/target/proxy-server.jar]
#   JAVA              java binary [java]
#   JAVA_OPTS         JVM flags [the image's in a 768 MiB pod: deploy/Dockerfile's ENTRYPOINT with
#                     -XX:MaxRAM=768m, as bench.sh's IMAGE_JAVA_OPTS; without it the JVM sizes its heap and picks
#                     its collector from the host's RAM]
#   STARTS            cold starts to time; the median is reported [5]
#   CDS=1             also time starts with an application class-data archive made by one training
#                     run (-XX:ArchiveClassesAtExit), as the image ships [1]
#   BASELINE_JAR      another build's jar (say, main's) to time beside JAR: the starts alternate between
#                     them, start for start, so that a shared host's changing load falls on both alike;
#                     each jar gets its own training run. The idle connections are measured on JAR only []
#   IDLE_CONNECTIONS  keep-alive client connections opened and held idle [10000]
#   EVENT_LOOPS       server.eventLoops [0 = one per core]
#
# "start" is wall-clock time from launching the JVM until `GET /hello` through the proxy first
# answers 200, polled every 10 ms with curl (so it includes the JVM's own start, the config load,
# the demo backends and the first request's class loading). "idle" opens IDLE_CONNECTIONS client
# connections, sends one request on each and keeps them open, then reads the proxy's RSS from
# /proc, and its heap (after a full GC) and direct memory from its own /metrics.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
JAR="${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar}"
JAVA="${JAVA:-java}"
JAVA_OPTS="${JAVA_OPTS:--XX:MaxRAM=768m -XX:+UseSerialGC -XX:MaxRAMPercentage=50 -XX:MaxDirectMemorySize=128m -XX:+ExitOnOutOfMemoryError}"
STARTS="${STARTS:-5}"
CDS="${CDS:-1}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
EVENT_LOOPS="${EVENT_LOOPS:-0}"
BASELINE_JAR="${BASELINE_JAR:-}"

die() { echo "footprint: $*" >&2; exit 1; }
note() { echo "footprint: $*" >&2; }

[[ -f "$JAR" ]] || die "proxy jar not found: $JAR (build it with: mvn -B -q -DskipTests package)"
[[ -z "$BASELINE_JAR" || -f "$BASELINE_JAR" ]] || die "baseline jar not found: $BASELINE_JAR"
command -v curl >/dev/null || die "curl is not installed"
command -v python3 >/dev/null || die "python3 is needed for the idle connections"
# the jcmd of the JDK that runs the proxy (one JDK's jcmd may not attach to another's JVM)
JCMD="${JCMD:-$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd}"
[[ -x "$JCMD" ]] || JCMD=jcmd
command -v "$JCMD" >/dev/null || die "jcmd (from the JDK) is needed to force a GC before reading the heap"
[[ "$STARTS" =~ ^[1-9][0-9]*$ ]] || die "STARTS must be a positive integer, got '$STARTS'"
(( $(ulimit -n) > IDLE_CONNECTIONS + 1000 )) || ulimit -n $((IDLE_CONNECTIONS + 2000)) 2>/dev/null \
    || die "ulimit -n is $(ulimit -n): too low for $IDLE_CONNECTIONS connections"

TMP="$(mktemp -d /tmp/footprint.XXXXXX)"
PROXY_PID=""
CLIENT_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -z "$CLIENT_PID" ]] || kill -KILL "$CLIENT_PID" 2>/dev/null || true
    stop_proxy
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=deploy/bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

free_port PORT; free_port ADMIN; free_port DEMO1; free_port DEMO2
cat >"$TMP/proxy.yaml" <<EOF
server:
  listen: 127.0.0.1:$PORT
  admin: { listen: 127.0.0.1:$ADMIN }
  eventLoops: $EVENT_LOOPS
  limits: { maxConnections: $((IDLE_CONNECTIONS + 1000)), idleTimeout: 10m }
observability:
  accessLog: { enabled: false }
clusters:
  - name: demo
    endpoints: [ { address: 127.0.0.1:$DEMO1 }, { address: 127.0.0.1:$DEMO2 } ]
routes:
  - name: demo
    match: { pathPrefix: / }
    cluster: demo
EOF

# start_proxy JAR EXTRA_FLAGS...: launches the proxy; sets PROXY_PID and START_NANOS
start_proxy() {
    local jar=$1; shift
    START_NANOS=$(date +%s%N)
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
    "$JAVA" $JAVA_OPTS "$@" -jar "$jar" --config "$TMP/proxy.yaml" --demo >"$TMP/proxy.log" 2>&1 &
    PROXY_PID=$!
}

stop_proxy() {
    [[ -n "$PROXY_PID" ]] || return 0
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
}

# Milliseconds from START_NANOS until the proxy served /hello; fails after 60 s.
first_served_ms() {
    for _ in $(seq 6000); do
        kill -0 "$PROXY_PID" 2>/dev/null || { tail -n 20 "$TMP/proxy.log" >&2; die "the proxy exited during startup"; }
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/hello")" == 200 ]]; then
            echo $(( ($(date +%s%N) - START_NANOS) / 1000000 ))
            return 0
        fi
        sleep 0.01
    done
    die "no 200 from the proxy within 60 s"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

# The ways to start that are timed, each "label|jar|extra JVM flags".
VARIANTS=()

# add_variants NAME JAR: the jar's plain start and, with CDS=1, its start with an archive of its own
add_variants() {
    local name=$1 jar=$2 jsa
    VARIANTS+=("${name:+$name, }plain|$jar|")
    [[ "$CDS" == 1 ]] || return 0
    jsa="$TMP/app${name:+-$name}.jsa"
    # the training run: start, serve, stop normally (SIGTERM runs the shutdown hook, then the archive is written)
    start_proxy "$jar" -XX:ArchiveClassesAtExit="$jsa"
    first_served_ms >/dev/null
    stop_proxy
    [[ -s "$jsa" ]] || die "no class-data archive was written (log: $(tail -n 5 "$TMP/proxy.log"))"
    note "class-data archive${name:+ of $name}: $(du -h "$jsa" | cut -f1)"
    VARIANTS+=("${name:+$name, }with AppCDS archive|$jar|-XX:SharedArchiveFile=$jsa")
}

# STARTS rounds, each starting every variant once in turn
time_starts() {
    local -A times=()
    local v label jar flags
    for _ in $(seq "$STARTS"); do
        for v in "${VARIANTS[@]}"; do
            IFS='|' read -r label jar flags <<<"$v"
            # shellcheck disable=SC2086 # flags is a list of flags
            start_proxy "$jar" $flags
            times[$label]+="$(first_served_ms) "
            stop_proxy
        done
    done
    for v in "${VARIANTS[@]}"; do
        label=${v%%|*}
        printf '%-32s median %5d ms   runs: %s\n' "$label" "$(tr ' ' '\n' <<<"${times[$label]}" | grep . | median)" \
            "${times[$label]% }"
    done
}

echo "machine: $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jvm flags: $JAVA_OPTS"
echo
echo "== start to first served request ($STARTS cold starts each${BASELINE_JAR:+, alternating with the baseline})"
[[ -z "$BASELINE_JAR" ]] || echo "baseline: $BASELINE_JAR"
[[ -z "$BASELINE_JAR" ]] || add_variants baseline "$BASELINE_JAR"
add_variants "" "$JAR"
time_starts

echo
echo "== $IDLE_CONNECTIONS idle keep-alive client connections"
start_proxy "$JAR"
first_served_ms >/dev/null
metric() { # metric NAME_REGEX: the sum of matching samples of the proxy's /metrics
    curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v re="$1" '$0 !~ /^#/ && $0 ~ re {s += $NF} END {printf "%.0f", s}'
}
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
rss_kib() { awk -v f="${1:-VmRSS}" '$1 == f ":" {print $2}' "/proc/$PROXY_PID/status"; }   # VmRSS, or VmHWM: the peak
report() {
    "$JCMD" "$PROXY_PID" GC.run >/dev/null
    local heap direct netty rss peak
    heap=$(metric '^jvm_memory_used_bytes\{.*area="heap"')
    direct=$(metric '^jvm_buffer_memory_used_bytes\{.*id="direct"')
    netty=$(metric '^netty_allocator_memory_used\{.*memory_type="direct"')
    rss=$(rss_kib) peak=$(rss_kib VmHWM)
    printf '%-28s heap after GC %7s MiB   direct (JDK buffers) %6s MiB   netty direct %6s MiB   RSS %7s MiB   peak RSS %7s MiB\n' \
        "$1" "$(mib "$heap")" "$(mib "$direct")" "$(mib "$netty")" "$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')" \
        "$(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}')"
}
report "before"
python3 - "$PORT" "$IDLE_CONNECTIONS" >"$TMP/client.out" 2>&1 <<'EOF' &
import asyncio, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
async def one(held):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET /hello HTTP/1.1\r\nHost: footprint\r\n\r\n")
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length"))
    await r.readexactly(length)
    held.append(w)
async def main():
    held = []
    sem = asyncio.Semaphore(200)
    async def limited():
        async with sem:
            await one(held)
    await asyncio.gather(*(limited() for _ in range(n)))
    print(f"holding {len(held)}", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
EOF
CLIENT_PID=$!
disown "$CLIENT_PID"   # no "Killed" notice when it is stopped below
for _ in $(seq 1200); do
    grep -q holding "$TMP/client.out" 2>/dev/null && break
    kill -0 "$CLIENT_PID" 2>/dev/null || { cat "$TMP/client.out" >&2; die "the client failed"; }
    sleep 0.1
done
grep -q holding "$TMP/client.out" || die "the client did not open its connections within 120 s"
open=$(metric '^proxy_connections_active')
report "holding $(grep -o '[0-9]*' "$TMP/client.out" | head -1) (proxy counts $open)"
kill -KILL "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=""
