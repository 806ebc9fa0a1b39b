#!/usr/bin/env bash
# End-to-end benchmark: our proxy next to HAProxy and NGINX, all in front of the same nginx backend on loopback,
# all measured in one run, in independent rounds, with CPU per request and the spread. docs/benchmarks.md
# ("Method") explains the choices; this header lists the knobs.
#
#   ./mvnw -B -q -o package -DskipTests -Denforcer.skip     # proxy-server/target/proxy-server.jar
#   deploy/bench/bench.sh --quick                            # a 2 s x 1 round check that everything runs
#   deploy/bench/bench.sh --chain --open-loop                # the full measurement (3 rounds; ~30 min)
#   deploy/bench/bench.sh --rev-a REV --rev-b HEAD           # A/B: two builds of the proxy in one run
#   deploy/bench/bench.sh --jar-a /tmp/old.jar --jar-b proxy-server/target/proxy-server.jar
#
# Options (defaults in brackets; --quick's in braces):
#   --rounds N          independent rounds; every target is a fresh process in each round, the targets' order
#                       rotates from round to round [3] {1}
#   --duration D        each measured wrk run [10s] {2s}
#   --warmup D          an unmeasured wrk run before each measured one [5s] {1s}
#   --jit-warmup D      an unmeasured wrk run per path, and one h2load run (unless --no-h2), after each start (the
#                       JVM's JIT; everyone gets it) [10s] {2s}
#   --h2-duration D     each measured h2load run [8s] {2s}
#   --connections N     wrk -c [64]            --threads N   wrk -t [1]
#   --h2-clients N      h2load -c [16]         --h2-streams N   h2load -m [10]
#   --paths "P..."      backend paths, from /small and /large [/small /large]
#   --targets "T..."    which targets [direct haproxy nginx proxy, plus proxy-chain with --chain; in A/B mode
#                       proxy-a proxy-b (and chain-a chain-b) instead of proxy (and proxy-chain)]
#   --chain             add proxy-chain: the proxy with the default filter chain on (proxy-chain.yaml.tmpl)
#   --jar PATH          the proxy's jar [proxy-server/target/proxy-server.jar]
#   --jar-a PATH, --jar-b PATH   A/B mode: two jars measured side by side in every round
#   --rev-a REV, --rev-b REV     A/B mode: build the jar of a git revision (git archive into a temp directory,
#                       ./mvnw package there; MVN_ARGS overrides the build's arguments)
#   --java-opts "..."   the proxy's JVM flags [the image's effective flags in a 768 MiB pod, see IMAGE_JAVA_OPTS below]
#   --java PATH         the proxy's java binary [$JAVA, else java]
#   --java-opts-b "...", --java-b PATH   A/B mode for the JVM: proxy-b (and chain-b) run with these flags or this
#                       java, proxy-a (and chain-a) with --java-opts and --java; without --jar-a/--jar-b or
#                       --rev-a/--rev-b both sides run --jar
#   --loops N           the proxy's event loops, HAProxy's nbthread and NGINX's worker_processes [1]
#   --layout L          split: the target under test alone on its core(s), the load generator and the backend on
#                       the others (taskset); shared: nothing pinned [split when the machine has a core more than
#                       --loops, else shared]
#   --no-h2             skip the HTTP/2 (h2load, h2c) measurement
#   --open-loop         add the open-loop phase: OpenLoop.java at a fixed rate, p99 against direct's
#   --open-rate N       its rate in req/s [half of HAProxy's median req/s of the same run, per path]
#   --min-direct-ratio R   the run is INVALID when direct's median req/s is below R x the fastest proxy's [2.5]
#   --out DIR           results: runs.csv, summary.md, summary.json, raw outputs, logs [a new /tmp/bench-results.*]
#   --quick             short runs to check the script, not to measure (the braces above)
#   --keep-tmp          keep the generated configs and the servers' logs
#   --no-cds            run the proxy targets without a class-data archive [each proxy target gets one, made by a
#                       training run of its own jar and JVM before the rounds, as deploy/Dockerfile ships the image's]
#
# Every target (and, for `direct`, a backend nginx of its own) runs on the target core(s); every measured run
# records req/s, p50/p99 (wrk --latency; h2load gives the mean only), the CPU time (utime+stime from /proc/PID/stat,
# children included) the target used per request, its share of its core, how busy the other cores were (the load
# generator, the backend, the neighbours) and the target's peak RSS (VmHWM, summed over nginx's processes).
# Everything listens on 127.0.0.1 on free ports; every process started here is stopped on exit.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# The image's JVM flags (deploy/Dockerfile's ENTRYPOINT, without its class-data archive) as the JVM applies them in
# the 768 MiB pod docs/operations.md recommends: -XX:MaxRAM=768m makes the JVM size itself from 768 MiB as it does
# from the cgroup's limit, without a cgroup: a 384 MiB heap max (MaxRAMPercentage=50) that STARTS at 12 MiB
# (1/64 of 768 MiB) and grows with the live set. Not -Xmx384m alone: on this 24 GiB host the heap would start at
# 1/64 of the host's RAM, 378 MiB with a 126 MiB young generation that the load fills, which the pod never does
# (229 MiB peak RSS against 125, and 0.74-0.85x the CPU per request; docs/benchmarks.md, "Peak memory, 2026-12-08").
IMAGE_JAVA_OPTS="-XX:MaxRAM=768m -XX:+UseSerialGC -XX:MaxRAMPercentage=50 -XX:MaxDirectMemorySize=128m -XX:+ExitOnOutOfMemoryError"

ROUNDS="" DURATION="" WARMUP="" JIT_WARMUP="" H2_DURATION="" CONNECTIONS=64 THREADS=1 H2_CLIENTS=16 H2_STREAMS=10
PATHS="/small /large" TARGETS="" CHAIN=0 JAR="" JAR_A="" JAR_B="" REV_A="" REV_B="" JAVA_OPTS="$IMAGE_JAVA_OPTS"
JAVA_OPTS_B="" JAVA_B="" PROXY_JAVA=""
LOOPS=1 LAYOUT="" H2=1 OPEN_LOOP=0 OPEN_RATE="" MIN_DIRECT_RATIO=2.5 OUT_DIR="" QUICK=0 KEEP_TMP=0 CDS=1
COMMAND_LINE="deploy/bench/bench.sh $*"

while [[ $# -gt 0 ]]; do
    opt=$1
    case "$opt" in
    --quick) QUICK=1; shift; continue ;;
    --chain) CHAIN=1; shift; continue ;;
    --no-h2) H2=0; shift; continue ;;
    --open-loop) OPEN_LOOP=1; shift; continue ;;
    --keep-tmp) KEEP_TMP=1; shift; continue ;;
    --no-cds) CDS=0; shift; continue ;;
    -h|--help) usage ;;
    esac
    [[ $# -ge 2 ]] || die "$opt needs a value (--help lists the options)"
    val=$2
    shift 2
    case "$opt" in
    --rounds) ROUNDS=$val ;;
    --duration) DURATION=$val ;;
    --warmup) WARMUP=$val ;;
    --jit-warmup) JIT_WARMUP=$val ;;
    --h2-duration) H2_DURATION=$val ;;
    --connections) CONNECTIONS=$val ;;
    --threads) THREADS=$val ;;
    --h2-clients) H2_CLIENTS=$val ;;
    --h2-streams) H2_STREAMS=$val ;;
    --paths) PATHS=$val ;;
    --targets) TARGETS=$val ;;
    --jar) JAR=$val ;;
    --jar-a) JAR_A=$val ;;
    --jar-b) JAR_B=$val ;;
    --rev-a) REV_A=$val ;;
    --rev-b) REV_B=$val ;;
    --java-opts) JAVA_OPTS=$val ;;
    --java-opts-b) JAVA_OPTS_B=$val ;;
    --java) PROXY_JAVA=$val ;;
    --java-b) JAVA_B=$val ;;
    --loops) LOOPS=$val ;;
    --layout) LAYOUT=$val ;;
    --open-rate) OPEN_RATE=$val ;;
    --min-direct-ratio) MIN_DIRECT_RATIO=$val ;;
    --out) OUT_DIR=$val ;;
    *) die "unknown option '$opt' (--help lists the options)" ;;
    esac
done

if [[ $QUICK == 1 ]]; then
    : "${ROUNDS:=1}" "${DURATION:=2s}" "${WARMUP:=1s}" "${JIT_WARMUP:=2s}" "${H2_DURATION:=2s}"
else
    : "${ROUNDS:=3}" "${DURATION:=10s}" "${WARMUP:=5s}" "${JIT_WARMUP:=10s}" "${H2_DURATION:=8s}"
fi

# ---- checks --------------------------------------------------------------------------------------------------------

JAVA="${JAVA:-java}"
PROXY_JAVA="${PROXY_JAVA:-$JAVA}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
HAPROXY="${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}"
for tool in wrk curl taskset "$JAVA" "$PROXY_JAVA" ${JAVA_B:+"$JAVA_B"}; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x "$NGINX" ]] || die "nginx is needed (the backend) and was not found (apt-get install nginx)"
[[ $H2 == 0 ]] || command -v h2load >/dev/null || die "h2load is not installed (apt-get install nghttp2-client), or pass --no-h2"
[[ $OPEN_LOOP == 0 ]] || command -v javac >/dev/null || die "--open-loop needs javac (a JDK) for deploy/bench/OpenLoop.java"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds: a positive integer, got '$ROUNDS'"
[[ "$LOOPS" =~ ^[1-9][0-9]*$ ]] || die "--loops: a positive integer, got '$LOOPS'"
[[ -z "$OPEN_RATE" || "$OPEN_RATE" =~ ^[1-9][0-9]*$ ]] || die "--open-rate: requests per second, got '$OPEN_RATE'"
for d in "$DURATION" "$WARMUP" "$JIT_WARMUP" "$H2_DURATION"; do
    [[ "$d" =~ ^[1-9][0-9]*s$ ]] || die "durations are whole seconds like 10s, got '$d'"
done
for path in $PATHS; do
    [[ "$path" == /small || "$path" == /large ]] || die "--paths: unknown path '$path' (the backend has /small and /large)"
done

# A/B mode: the two jars (given, or built from a git revision further down)
AB=0
if [[ -n "$JAR_A$JAR_B$REV_A$REV_B" ]]; then
    AB=1
elif [[ -n "$JAVA_OPTS_B$JAVA_B" ]]; then
    AB=1 JAR_A=${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar} JAR_B=${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar}
fi
if [[ $AB == 1 ]]; then
    if [[ -z "$JAR_A$REV_A" || -z "$JAR_B$REV_B" ]]; then
        die "A/B mode needs both sides: --jar-a or --rev-a, and --jar-b or --rev-b"
    fi
    if [[ -n "$JAR_A" && -n "$REV_A" ]] || [[ -n "$JAR_B" && -n "$REV_B" ]]; then die "give --jar-X or --rev-X, not both"; fi
fi
if [[ -z "$TARGETS" ]]; then
    TARGETS="direct haproxy nginx"
    if [[ $AB == 1 ]]; then TARGETS+=" proxy-a proxy-b"; else TARGETS+=" proxy"; fi
    if [[ $CHAIN == 1 ]]; then
        if [[ $AB == 1 ]]; then TARGETS+=" chain-a chain-b"; else TARGETS+=" proxy-chain"; fi
    fi
fi
for target in $TARGETS; do
    case "$target" in
    direct|haproxy|nginx|proxy|proxy-chain) ;;
    proxy-a|proxy-b|chain-a|chain-b) [[ $AB == 1 ]] || die "target $target needs --jar-a/--jar-b, --rev-a/--rev-b or --java-opts-b/--java-b" ;;
    *) die "unknown target '$target' (direct haproxy nginx proxy proxy-chain proxy-a proxy-b chain-a chain-b)" ;;
    esac
    [[ $target != haproxy || -x "$HAPROXY" ]] || die "haproxy is not installed: drop it from --targets"
done

# shellcheck source=deploy/bench/lib.sh
source "$SCRIPT_DIR/lib.sh"

# ---- CPU layout ----------------------------------------------------------------------------------------------------

# The CPUs this script may use, expanded ("0-2,4" -> "0 1 2 4").
CPUS=()
IFS=, read -ra ranges <<<"$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)"
for r in "${ranges[@]}"; do
    if [[ $r == *-* ]]; then for ((c = ${r%-*}; c <= ${r#*-}; c++)); do CPUS+=("$c"); done; else CPUS+=("$r"); fi
done
if [[ -z "$LAYOUT" ]]; then
    if ((${#CPUS[@]} > LOOPS)); then LAYOUT="split"; else LAYOUT="shared"; fi
fi
case "$LAYOUT" in
split)
    ((${#CPUS[@]} > LOOPS)) || die "--layout split needs more CPUs than --loops (${#CPUS[@]} available)"
    # the target gets the last LOOPS CPUs, the load generator and the backend the others
    TARGET_CPUS=$(IFS=,; echo "${CPUS[*]: -LOOPS}")
    SUPPORT_CPUS=$(IFS=,; echo "${CPUS[*]:0:${#CPUS[@]}-LOOPS}")
    SUPPORT_COUNT=$((${#CPUS[@]} - LOOPS))
    ;;
shared)
    TARGET_CPUS=$(IFS=,; echo "${CPUS[*]}") SUPPORT_CPUS=$TARGET_CPUS SUPPORT_COUNT=${#CPUS[@]}
    ;;
*) die "--layout: split or shared, got '$LAYOUT'" ;;
esac

# Run these only in a subshell or in the background: they replace the shell they run in, so $! is the command's
# PID (taskset execs the command in turn).
exec_on_target() { if [[ $LAYOUT == split ]]; then exec taskset -c "$TARGET_CPUS" "$@"; else exec "$@"; fi; }
exec_on_support() { if [[ $LAYOUT == split ]]; then exec taskset -c "$SUPPORT_CPUS" "$@"; else exec "$@"; fi; }

# ---- temp dir, process bookkeeping, cleanup ------------------------------------------------------------------------

TMP="$(mktemp -d /tmp/bench.XXXXXX)"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/bench-results.XXXXXX)}"
mkdir -p "$OUT_DIR/raw" "$OUT_DIR/logs"
PIDS=()      # the servers running now
LOAD_PID=""  # the load generator's run in progress

cleanup() {
    local rc=$? i reversed=()
    trap - EXIT INT TERM
    [[ -z "$LOAD_PID" ]] || kill -TERM "$LOAD_PID" 2>/dev/null || true
    # in reverse start order: the proxies before the backend they drain to
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do reversed+=("${PIDS[i]}"); done
    stop_processes "${reversed[@]}"
    if [[ $KEEP_TMP == 1 ]]; then note "kept temp dir $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() {   # forget_pid PID: stopped by us; no longer cleanup's business
    local p kept=()
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
    PIDS=("${kept[@]}")
}

# A load generator in the background plus `wait`: bash runs a signal trap only after a foreground command ends,
# so a plain `wrk -d10s` would delay Ctrl-C by a whole run.
run_load() {   # run_load OUTFILE CMD...: CMD on the support CPUs, its stdout to OUTFILE
    local out=$1
    shift
    (exec_on_support "$@") >"$out" 2>&1 &
    LOAD_PID=$!
    wait "$LOAD_PID" || { LOAD_PID=""; tail -n 5 "$out" >&2; die "$1 failed (output: $out)"; }
    LOAD_PID=""
}

# ---- the jars ------------------------------------------------------------------------------------------------------

build_rev() {   # build_rev REV NAME -> prints the built jar's path
    local rev=$1 dir="$TMP/build-$2"
    git -C "$REPO_ROOT" rev-parse --verify -q "$rev^{commit}" >/dev/null || die "not a git revision: $rev"
    mkdir -p "$dir"
    git -C "$REPO_ROOT" archive --format=tar "$rev" | tar -x -C "$dir"
    note "building $rev in $dir (./mvnw ${MVN_ARGS:--B -q -o package -DskipTests -Denforcer.skip})"
    # MVN_ARGS is a list of arguments on purpose.
    # shellcheck disable=SC2086
    (cd "$dir" && ./mvnw ${MVN_ARGS:--B -q -o package -DskipTests -Denforcer.skip}) >"$OUT_DIR/logs/build-$2.log" 2>&1 \
        || die "the build of $rev failed (log: $OUT_DIR/logs/build-$2.log)"
    echo "$dir/proxy-server/target/proxy-server.jar"
}
JAR="${JAR:-$REPO_ROOT/proxy-server/target/proxy-server.jar}"
if [[ $AB == 1 ]]; then
    [[ -z "$REV_A" ]] || JAR_A=$(build_rev "$REV_A" a)
    [[ -z "$REV_B" ]] || JAR_B=$(build_rev "$REV_B" b)
fi
declare -A JAR_OF=([proxy]="$JAR" [proxy-chain]="$JAR" [proxy-a]="$JAR_A" [chain-a]="$JAR_A" [proxy-b]="$JAR_B"
    [chain-b]="$JAR_B")
# the B side's JVM: its own flags or java where given, else the A side's
declare -A JAVA_OF=([proxy-b]="${JAVA_B:-$PROXY_JAVA}" [chain-b]="${JAVA_B:-$PROXY_JAVA}")
declare -A OPTS_OF=([proxy-b]="${JAVA_OPTS_B:-$JAVA_OPTS}" [chain-b]="${JAVA_OPTS_B:-$JAVA_OPTS}")
declare -A TEMPLATE_OF=([proxy]=proxy [proxy-a]=proxy [proxy-b]=proxy [proxy-chain]=proxy-chain [chain-a]=proxy-chain
    [chain-b]=proxy-chain)
for target in $TARGETS; do
    [[ -z "${JAR_OF[$target]:-}" || -f "${JAR_OF[$target]}" ]] || die "$target: jar not found: ${JAR_OF[$target]}
  build it with:  ./mvnw -B -q -o package -DskipTests -Denforcer.skip"
done

# ---- the backend (the proxies' upstream: on the support CPUs, running through the whole benchmark) -----------------

# nginx honours `user` only when started as root; then keep the workers as root, who can read $TMP.
if [[ $EUID -eq 0 ]]; then USER_LINE="user $(id -un);"; else USER_LINE=""; fi
SMALL_BODY=$(head -c 128 /dev/zero | tr '\0' 's')
WWW="$TMP/www"
mkdir -p "$WWW"
printf '%s' "$SMALL_BODY" >"$WWW/small"      # what /small answers (from memory); the file is only the reference
head -c 65536 /dev/zero | tr '\0' 'L' >"$WWW/large"

start_nginx() {   # start_nginx NAME TEMPLATE WHERE(target|support) PORT H2_PORT [render args...] -> LAST_PID
    local template=$2 where=$3 port=$4 h2_port=$5 dir="$TMP/$1"
    shift 5
    mkdir -p "$dir"
    render "$template" "$dir/nginx.conf" DIR="$dir" PORT="$port" H2_PORT="$h2_port" USER_LINE="$USER_LINE" "$@"
    # -e: the error log used before the config is read (else a compiled-in /var/log path).
    ("exec_on_$where" "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;') \
        >"$dir/stdout.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

free_port BACKEND_PORT
free_port BACKEND_H2_PORT
# "Enough workers": one per core it may use (in the split layout the target's core is not among them).
start_nginx backend "$SCRIPT_DIR/nginx-backend.conf.tmpl" support "$BACKEND_PORT" "$BACKEND_H2_PORT" \
    WORKERS="$SUPPORT_COUNT" WWW="$WWW" SMALL_BODY="$SMALL_BODY"
BACKEND_PID=$LAST_PID
wait_ready "backend nginx" "$BACKEND_PID" "http://127.0.0.1:$BACKEND_PORT/small" "$TMP/backend/error.log"
[[ $(curl -s "http://127.0.0.1:$BACKEND_PORT/small") == "$SMALL_BODY" ]] || die "backend /small is not the 128-byte body"
[[ $(curl -s "http://127.0.0.1:$BACKEND_PORT/large" | wc -c) -eq 65536 ]] || die "backend /large is not 64 KiB"

# ---- the targets: started afresh in each round, one at a time ------------------------------------------------------

# start_target NAME ROUND: start it on the target CPUs and wait until it serves; sets T_PID, T_URL, T_H2URL.
start_target() {
    local target=$1 round=$2 port h2_port admin_port log
    free_port port
    free_port h2_port
    case "$target" in
    direct)
        if [[ $LAYOUT == split ]]; then
            # The backend itself is the target: an instance of its own on the target's core, as a proxy gets it.
            start_nginx "direct-$round" "$SCRIPT_DIR/nginx-backend.conf.tmpl" target "$port" "$h2_port" \
                WORKERS="$LOOPS" WWW="$WWW" SMALL_BODY="$SMALL_BODY"
            T_PID=$LAST_PID
            wait_ready direct "$T_PID" "http://127.0.0.1:$port/small" "$TMP/direct-$round/error.log"
        else
            T_PID=$BACKEND_PID port=$BACKEND_PORT h2_port=$BACKEND_H2_PORT
        fi
        ;;
    haproxy)
        mkdir -p "$TMP/haproxy-$round"
        render "$SCRIPT_DIR/haproxy.cfg.tmpl" "$TMP/haproxy-$round/haproxy.cfg" DIR="$TMP/haproxy-$round" PORT="$port" \
            H2_PORT="$h2_port" WORKERS="$LOOPS" BACKEND_PORT="$BACKEND_PORT"
        "$HAPROXY" -c -q -f "$TMP/haproxy-$round/haproxy.cfg" || die "haproxy rejected its config"
        log="$OUT_DIR/logs/haproxy-$round.log"
        # -db: in the foreground, so that $! is the process to stop.
        (exec_on_target "$HAPROXY" -db -f "$TMP/haproxy-$round/haproxy.cfg") >"$log" 2>&1 &
        T_PID=$!
        PIDS+=("$T_PID")
        wait_ready haproxy "$T_PID" "http://127.0.0.1:$port/small" "$log"
        ;;
    nginx)
        start_nginx "nginx-$round" "$SCRIPT_DIR/nginx-proxy.conf.tmpl" target "$port" "$h2_port" \
            BACKEND_PORT="$BACKEND_PORT" WORKERS="$LOOPS"
        T_PID=$LAST_PID
        wait_ready "nginx proxy" "$T_PID" "http://127.0.0.1:$port/small" "$TMP/nginx-$round/error.log"
        ;;
    *)
        free_port admin_port
        h2_port=$port   # a plain listener takes h2c (prior knowledge) and HTTP/1.1 on the same port
        mkdir -p "$TMP/$target-$round"
        render "$SCRIPT_DIR/${TEMPLATE_OF[$target]}.yaml.tmpl" "$TMP/$target-$round/proxy.yaml" PORT="$port" \
            ADMIN_PORT="$admin_port" BACKEND_PORT="$BACKEND_PORT" EVENT_LOOPS="$LOOPS"
        log="$OUT_DIR/logs/$target-$round.log"
        # the flags are a list on purpose.
        # shellcheck disable=SC2086
        (exec_on_target "${JAVA_OF[$target]:-$PROXY_JAVA}" ${OPTS_OF[$target]:-$JAVA_OPTS} ${CDS_OF[$target]:-} -jar "${JAR_OF[$target]}" --config "$TMP/$target-$round/proxy.yaml") \
            >"$log" 2>&1 &
        T_PID=$!
        PIDS+=("$T_PID")
        wait_ready "$target" "$T_PID" "http://127.0.0.1:$admin_port/readyz" "$log"
        wait_ready "$target (traffic)" "$T_PID" "http://127.0.0.1:$port/small" "$log"
        ;;
    esac
    T_URL="http://127.0.0.1:$port" T_H2URL="http://127.0.0.1:$h2_port"
}

stop_target() {   # stop_target PID (not the shared backend)
    [[ $1 != "$BACKEND_PID" ]] || return 0
    stop_processes "$1"
    forget_pid "$1"
}

# Several requests on ONE keep-alive connection must return the full bodies (wrk counts a response that stalls
# half-way neither as an error nor as a timeout), and h2c must answer too.
SANITY_FAILURES=0
sanity_check() {   # sanity_check TARGET
    local path want got
    for path in $PATHS; do
        want=$(stat -c %s "$WWW$path")
        got=$(curl -s -m 5 -w '%{http_code}:%{size_download} ' -o /dev/null "$T_URL$path" -o /dev/null "$T_URL$path" \
            -o /dev/null "$T_URL$path" -o /dev/null "$T_URL$path" || true)
        if [[ "$got" != "$(printf "200:$want %.0s" 1 2 3 4)" ]]; then
            SANITY_FAILURES=$((SANITY_FAILURES + 1))
            echo "!! $1 $path: 4 keep-alive requests gave (status:bytes) '$got', expected 200:$want each"
        fi
    done
    if [[ $H2 == 1 ]]; then
        got=$(curl -s -m 5 --http2-prior-knowledge -w '%{http_version}:%{http_code}:%{size_download}' -o /dev/null \
            "$T_H2URL/small" || true)
        [[ "$got" == "2:200:128" ]] || { SANITY_FAILURES=$((SANITY_FAILURES + 1)); echo "!! $1 h2c /small gave '$got'"; }
    fi
}

# ---- measuring -----------------------------------------------------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

proc_ticks() {   # CPU clock ticks (utime + stime) used so far by PID and its children (nginx's workers)
    local p total=0 t
    for p in "$1" $(pgrep -P "$1" || true); do
        # the fields after the ")" that closes the command name: utime and stime are the 12th and 13th
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

peak_rss_mib() {   # VmHWM of PID and its children, summed (nginx: master + workers; shared pages counted twice)
    local p total=0 kb
    for p in "$1" $(pgrep -P "$1" || true); do
        kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null) || kb=0
        total=$((total + ${kb:-0}))
    done
    awk -v kb="$total" 'BEGIN { printf "%.1f", kb / 1024 }'
}

cpu_busy() {   # cpu_busy "0,1": "busy total" jiffies so far, summed over those CPUs (/proc/stat)
    awk -v list=",$1," '$1 ~ /^cpu[0-9]+$/ && index(list, "," substr($1, 4) ",") {
        busy += $2 + $3 + $4 + $7 + $8 + $9; total += $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }
        END { print busy, total }' /proc/stat
}

to_ms() {   # wrk and h2load print 812.00us / 1.23ms / 1.02s
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "NaN" }'
}

CSV="$OUT_DIR/runs.csv"
echo "phase,round,target,path,req_s,p50_ms,p99_ms,mean_ms,requests,errors,cpu_us_per_req,target_cores,support_busy_pct,backend_cpu_us_per_req,peak_rss_mib,load1,rate" \
    >"$CSV"

# measure PHASE ROUND TARGET PATH RATE CMD...: run CMD (wrk, h2load or OpenLoop) on the support CPUs against the
# running target (T_PID) and append one row to runs.csv.
measure() {
    local phase=$1 round=$2 target=$3 path=$4 rate=$5
    shift 5
    local raw="$OUT_DIR/raw/$phase-$target-${path#/}-$round.txt" load t0 t1 tick0 tick1 bt0 bt1 s0 s1
    local rps p50 p99 mean requests errors cpu_us cores support backend_us rss backlog is_direct
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r -a s0 <<<"$(cpu_busy "$SUPPORT_CPUS")"
    tick0=$(proc_ticks "$T_PID") bt0=$(proc_ticks "$BACKEND_PID") t0=$(date +%s.%N)
    run_load "$raw" "$@"
    t1=$(date +%s.%N) tick1=$(proc_ticks "$T_PID") bt1=$(proc_ticks "$BACKEND_PID")
    read -r -a s1 <<<"$(cpu_busy "$SUPPORT_CPUS")"
    kill -0 "$T_PID" 2>/dev/null || die "$target died during the $phase $path run"
    if [[ $phase == h2 ]]; then
        rps=$(awk '/^finished in/ {print $4}' "$raw")
        requests=$(awk '/^requests:/ {print $8}' "$raw")
        errors=$(awk '/^requests:/ {print $10 + $12 + $14}' "$raw")
        mean=$(to_ms "$(awk '/^time for request:/ {print $6}' "$raw")")
        # "status codes: 90000 2xx, 0 3xx, 0 4xx, 0 5xx"
        errors=$((errors + $(awk '/^status codes:/ {print $5 + $7 + $9}' "$raw")))
        p50=NaN p99=NaN
    else
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw")
        requests=$(awk '/requests in/ {print $1}' "$raw")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$raw")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")
        mean=$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' "$raw")")
        # "Socket errors: connect 0, read 0, write 0, timeout 0" appears only when one is not 0
        errors=$(awk '/Socket errors:/ {gsub(",", ""); s = $4 + $6 + $8 + $10} /Non-2xx or 3xx/ {n = $NF}
            END {print s + n}' "$raw")
        # open loop: requests that fell due but were never sent (the target could not keep the rate)
        backlog=$(awk '/scheduled but not sent/ {print $5}' "$raw")
        [[ -z "$backlog" || "$backlog" == 0 ]] || errors=$((errors + backlog))
    fi
    [[ -n "$rps" && -n "$requests" ]] || die "no result in $raw"
    is_direct=0
    [[ $target != direct ]] || is_direct=1   # no proxy in between: the backend's share is the target's, or nil
    read -r cpu_us cores support backend_us < <(awk -v t=$((tick1 - tick0)) -v b=$((bt1 - bt0)) -v hz="$CLK_TCK" \
        -v n="$requests" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
        -v sb=$((s1[0] - s0[0])) -v st=$((s1[1] - s0[1])) -v direct="$is_direct" \
        'BEGIN { printf "%s %.2f %.0f %s\n", n ? sprintf("%.2f", t / hz * 1e6 / n) : "NaN", t / hz / w, st ? 100 * sb / st : 0,
                 (direct || !n) ? "NaN" : sprintf("%.2f", b / hz * 1e6 / n) }')
    rss=$(peak_rss_mib "$T_PID")
    echo "$phase,$round,$target,$path,$rps,$p50,$p99,$mean,$requests,$errors,$cpu_us,$cores,$support,$backend_us,$rss,$load,$rate" \
        >>"$CSV"
    printf '%-6s %-3s %-12s %-7s %10.0f %8s %8s %11s %7s %7s%% %8s  %s\n' "$phase" "$round" "$target" "$path" "$rps" \
        "$p50" "$p99" "$cpu_us" "$cores" "$support" "$rss" "$([[ $errors == 0 ]] && echo - || echo "$errors")"
}

wrk_cmd() { echo wrk -t"$THREADS" -c"$CONNECTIONS" "$@"; }   # the common wrk arguments

jit_warmup() {   # one unmeasured run per path after a start: the JVM's JIT needs it; the native servers get it too
    local path
    for path in $PATHS; do
        # shellcheck disable=SC2046
        run_load "$OUT_DIR/raw/warmup.txt" $(wrk_cmd -d"$JIT_WARMUP") "$T_URL$path"
    done
    if [[ $H2 == 1 ]]; then
        # HTTP/2's code (frame codec, stream channels) is not what wrk warmed up: without its own run the JIT
        # compiles it during the measured h2load run, and the proxy's CPU per request counts the compiler's work
        run_load "$OUT_DIR/raw/warmup.txt" h2load -c "$H2_CLIENTS" -m "$H2_STREAMS" -D "$JIT_WARMUP" "$T_H2URL/small"
    fi
}

rotate() {   # rotate N WORD...: the words, starting at the (N mod count)-th
    local n=$1
    shift
    local words=("$@") i
    for ((i = 0; i < ${#words[@]}; i++)); do echo -n "${words[(i + n) % ${#words[@]}]} "; done
}

# ---- the header ----------------------------------------------------------------------------------------------------

jar_version() { "$PROXY_JAVA" -jar "$1" --version 2>/dev/null | head -n 1 || echo "?"; }
{
    echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "command:   $COMMAND_LINE"
    echo "tree:      $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)')"
    echo "machine:   ${#CPUS[@]} CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "layout:    $LAYOUT: targets on CPU $TARGET_CPUS, load generator and backend ($SUPPORT_COUNT nginx worker(s)) on CPU $SUPPORT_CPUS"
    echo "jvm:       $("$PROXY_JAVA" -version 2>&1 | head -n 2 | tail -n 1); flags: $JAVA_OPTS; event loops: $LOOPS; class-data archive: $([[ $CDS == 1 ]] && echo "one per target, from a training run" || echo none)"
    [[ -z "$JAVA_OPTS_B$JAVA_B" ]] || echo "jvm (B):   $("${JAVA_B:-$PROXY_JAVA}" -version 2>&1 | head -n 2 | tail -n 1); flags: ${JAVA_OPTS_B:-$JAVA_OPTS}"
    for target in $TARGETS; do
        [[ -z "${JAR_OF[$target]:-}" ]] || echo "jar:       $target: ${JAR_OF[$target]} ($(jar_version "${JAR_OF[$target]}"))"
    done
    echo "peers:     $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), ${LOOPS} worker(s); $("$HAPROXY" -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3), nbthread $LOOPS"
    echo "load:      wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up $WARMUP before each, $JIT_WARMUP per path, and one h2load run, after each start); $ROUNDS round(s)"
    [[ $H2 == 0 ]] || echo "http/2:    h2load -c $H2_CLIENTS -m $H2_STREAMS -D $H2_DURATION --warm-up-time $WARMUP, h2c (prior knowledge), /small"
    echo "results:   $OUT_DIR"
} | tee "$OUT_DIR/header.txt"
echo
printf '%-6s %-3s %-12s %-7s %10s %8s %8s %11s %7s %8s %8s  %s\n' phase rnd target path "req/s" "p50 ms" "p99 ms" \
    "cpu us/req" cores "support" "rss MiB" "errors"

# ---- class-data archives: the image's start, mirrored -----------------------------------------------------------

# The image maps an archive of the classes its training run loaded (deploy/cds-train.sh); its pages count in the RSS
# in place of those classes' metadata (a few MiB less peak RSS than without; docs/benchmarks.md, "Peak memory,
# 2026-12-08"). One training run per proxy target before the rounds: start, serve each path for 2 s, SIGTERM; the
# JVM writes the archive as it exits.
declare -A CDS_OF=()
if [[ $CDS == 1 ]]; then
    for target in $TARGETS; do
        [[ -n "${JAR_OF[$target]:-}" ]] || continue
        CDS_OF[$target]="-XX:ArchiveClassesAtExit=$TMP/$target.jsa"
        start_target "$target" cds
        for path in $PATHS; do run_load "$OUT_DIR/raw/cds-train.txt" wrk -t1 -c4 -d2s "$T_URL$path"; done
        kill -TERM "$T_PID" 2>/dev/null || true
        for _ in $(seq 600); do kill -0 "$T_PID" 2>/dev/null || break; sleep 0.1; done   # up to 60 s to write it
        stop_target "$T_PID"
        [[ -s "$TMP/$target.jsa" ]] || die "$target: the class-data training run wrote no archive (log: $OUT_DIR/logs/$target-cds.log)"
        CDS_OF[$target]="-XX:SharedArchiveFile=$TMP/$target.jsa"
    done
fi

# ---- closed loop (wrk) and HTTP/2 (h2load), round by round ---------------------------------------------------------

for ((round = 1; round <= ROUNDS; round++)); do
    # shellcheck disable=SC2086
    for target in $(rotate $((round - 1)) $TARGETS); do
        start_target "$target" "$round"
        sanity_check "$target"
        jit_warmup
        for path in $PATHS; do
            # shellcheck disable=SC2046
            run_load "$OUT_DIR/raw/warmup.txt" $(wrk_cmd -d"$WARMUP") "$T_URL$path"
            # shellcheck disable=SC2046
            measure http1 "$round" "$target" "$path" "" $(wrk_cmd -d"$DURATION" --latency) "$T_URL$path"
        done
        if [[ $H2 == 1 ]]; then
            measure h2 "$round" "$target" /small "" h2load -c "$H2_CLIENTS" -m "$H2_STREAMS" -D "$H2_DURATION" \
                --warm-up-time "$WARMUP" "$T_H2URL/small"
        fi
        stop_target "$T_PID"
    done
done

# ---- open loop (OpenLoop.java at a fixed rate) ---------------------------------------------------------------------

median_of() {   # median_of PHASE TARGET PATH: the median req/s in runs.csv so far
    awk -F, -v ph="$1" -v t="$2" -v p="$3" '$1 == ph && $3 == t && $4 == p {v[++n] = $5}
        END { if (!n) exit; for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
              printf "%d", n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }' "$CSV"
}

if [[ $OPEN_LOOP == 1 ]]; then
    javac -d "$TMP/openloop" "$SCRIPT_DIR/OpenLoop.java" || die "deploy/bench/OpenLoop.java does not compile"
    declare -A RATE_OF=()
    for path in $PATHS; do
        RATE_OF[$path]=$OPEN_RATE
        if [[ -z "$OPEN_RATE" ]]; then
            hap=$(median_of http1 haproxy "$path")
            [[ -n "$hap" ]] || die "--open-loop without --open-rate needs haproxy among the targets (half its req/s)"
            RATE_OF[$path]=$((hap / 2))
        fi
    done
    echo
    echo "open loop: $(for p in $PATHS; do echo -n "$p at ${RATE_OF[$p]} req/s "; done)over $CONNECTIONS connections, $DURATION each (+2 s unmeasured)"
    for ((round = 1; round <= ROUNDS; round++)); do
        # shellcheck disable=SC2086
        for target in $(rotate $((round - 1)) $TARGETS); do
            start_target "$target" "open$round"
            jit_warmup
            for path in $PATHS; do
                measure open "$round" "$target" "$path" "${RATE_OF[$path]}" "$JAVA" -XX:+UseSerialGC -cp "$TMP/openloop" \
                    OpenLoop "$T_URL$path" "${RATE_OF[$path]}" "$CONNECTIONS" "${DURATION%s}" 2
            done
            stop_target "$T_PID"
        done
    done
fi

# ---- the report ----------------------------------------------------------------------------------------------------

AB_PAIRS=""
if [[ $AB == 1 ]]; then AB_PAIRS="proxy-a:proxy-b chain-a:chain-b"; fi
echo
awk -F, -f "$SCRIPT_DIR/report.awk" -v targets="$TARGETS" -v paths="$PATHS" -v rounds="$ROUNDS" \
    -v min_ratio="$MIN_DIRECT_RATIO" -v layout="$LAYOUT" -v loops="$LOOPS" -v pairs="$AB_PAIRS" \
    -v sanity_failures="$SANITY_FAILURES" -v header="$OUT_DIR/header.txt" -v json="$OUT_DIR/summary.json" \
    "$CSV" | tee "$OUT_DIR/summary.md"
echo
echo "results: $OUT_DIR (summary.md, summary.json, runs.csv, raw/, logs/)"
if grep -q '^\*\*INVALID' "$OUT_DIR/summary.md"; then exit 3; fi
