# shellcheck shell=bash
# Helpers shared by bench.sh, soak.sh and footprint.sh; sourced, not run. The sourcing script defines die()
# (print and exit) before it sources this.

USED_PORTS=" "   # ports handed out so far (none is bound until its server starts)

# free_port VAR: set VAR to a free loopback TCP port, a random one nobody answers on and that we
# have not handed out yet, below the ephemeral range (32768+) where outgoing connections take
# theirs. (Not `$(free_port)`: the subshell would lose USED_PORTS. A tiny race with other programs
# remains; the servers then fail loudly on bind and we stop.)
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 12000))
        [[ "$USED_PORTS" == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            USED_PORTS+="$p "
            printf -v "$1" '%s' "$p"
            return 0
        fi
    done
    die "no free loopback port found"
}

# wait_ready NAME PID URL LOG: poll URL until it answers 200, for at most ~30 s; fail at once if PID
# died meanwhile, showing the end of LOG.
wait_ready() {
    local name=$1 pid=$2 url=$3 log=$4 code
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2 || true; die "$name exited during startup (log: $log)"; }
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
        [[ "$code" == 200 ]] && return 0
        sleep 0.1
    done
    tail -n 30 "$log" >&2 || true
    die "$name not ready after 30 s ($url; log: $log)"
}

# render TEMPLATE OUT NAME=value...: fill the template's @NAME@ placeholders; one left unfilled is an error.
render() {
    local template=$1 out=$2 kv expr=()
    shift 2
    for kv in "$@"; do
        expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
    done
    sed "${expr[@]}" "$template" >"$out"
    ! grep -q '@[A-Z_0-9]*@' "$out" || die "unfilled placeholder in $out"
}

# stop_processes PID...: SIGTERM to each, in the order given (a JVM runs its shutdown hook, nginx and haproxy stop
# their workers), then up to ~5 s for each to exit before SIGKILL; reaps them. For the scripts' EXIT traps.
stop_processes() {
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
