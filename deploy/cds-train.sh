#!/usr/bin/env bash
# The image's class-data training run (deploy/Dockerfile runs it once, at build time): starts the proxy on the
# bundled routes file with --demo, sends requests through it to the demo backends, then stops it with SIGTERM, and
# the JVM writes at its exit an archive of every class it loaded, the first requests' included. At each start the
# JVM then maps the archive instead of loading those classes from the jar (docs/benchmarks.md, "Footprint").
#
#   deploy/cds-train.sh ARCHIVE JAR CONFIG [PORT]     PORT: CONFIG's server.listen port [8080]
#
# Fails, printing the proxy's log, unless a request was served and the archive written. Needs bash (its /dev/tcp:
# the JRE image has no curl) and coreutils' timeout.
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 ARCHIVE JAR CONFIG [PORT]" >&2; exit 2; }
archive=$1 jar=$2 config=$3 port=${4:-8080}
requests=20
log=$(mktemp)

java -XX:ArchiveClassesAtExit="$archive" -jar "$jar" --config "$config" --demo >"$log" 2>&1 &
pid=$!

# get: the status line of GET / through the proxy, or nothing; bounded, as a proxy that hangs must not hang the build
get() {
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3
        head -n 1 <&3' "$port" 2>/dev/null || true
}

served=0
for _ in $(seq 300); do   # up to about 30 s for the proxy and the demo backends to come up
    kill -0 "$pid" 2>/dev/null || break
    if [[ "$(get)" == "HTTP/1.1 200"* ]]; then
        served=$((served + 1))
        [[ $served -lt $requests ]] && continue || break
    fi
    sleep 0.1
done

# SIGTERM: the shutdown hook drains (nothing is in flight) and the JVM writes the archive as it exits
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
if [[ $served -eq 0 || ! -s "$archive" ]]; then
    cat "$log" >&2
    echo "cds-train: $served requests served, archive $( [[ -s "$archive" ]] && echo written || echo missing )" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "cds-train: $served requests served; archive $archive ($(du -h "$archive" | cut -f1))"
