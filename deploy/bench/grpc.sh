#!/usr/bin/env bash
# gRPC throughput through the proxy against direct: h2load sends unary gRPC calls (EmptyCall, and UnaryCall asking
# for a 1 KiB and a 1 MiB response) to grpc-java's interop server (TestServiceServer, h2c), once directly and once
# through the proxy (an h2c listener, a `protocol: h2` cluster), REPEAT times each, alternating; prints every run and
# the median with its spread (min-max) per target and call.
#
#   mvn -B -DskipTests package                    # the proxy jar, once
#   deploy/bench/grpc.sh                          # from the repo root
#   REPEAT=5 REQUESTS=50000 deploy/bench/grpc.sh
#
# Environment (defaults in brackets):
#   JAR          the proxy's runnable jar [proxy-server/target/proxy-server.jar]
#   JAVA         java binary [java]
#   EVENT_LOOPS  server.eventLoops of the proxy [1]
#   CLIENTS      h2load -c: connections [4]
#   STREAMS      h2load -m: concurrent streams per connection [10]
#   REQUESTS     h2load -n for EmptyCall and the 1 KiB UnaryCall; a tenth of it for 1 MiB [20000]
#   REPEAT       measured runs per target and call [3]
# The server is grpc-interop-testing at the version proxy-server's tests use, resolved by Maven from a throwaway pom.
set -euo pipefail
cd "$(dirname "$0")/../.."
die() { echo "grpc.sh: $*" >&2; exit 1; }
. deploy/bench/lib.sh

JAR=${JAR:-proxy-server/target/proxy-server.jar}
JAVA=${JAVA:-java}
EVENT_LOOPS=${EVENT_LOOPS:-1}
CLIENTS=${CLIENTS:-4}
STREAMS=${STREAMS:-10}
REQUESTS=${REQUESTS:-20000}
REPEAT=${REPEAT:-3}
command -v h2load >/dev/null || die "h2load not found (Debian package nghttp2-client)"
[[ -f "$JAR" ]] || die "no $JAR: run mvn -B -DskipTests package first"

TMP=$(mktemp -d /tmp/grpc-bench.XXXXXX)
PIDS=()
trap 'stop_processes "${PIDS[@]}"; rm -rf "$TMP"' EXIT

INTEROP_VERSION=$(sed -n '/<artifactId>grpc-interop-testing</{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' \
    proxy-server/pom.xml)
[[ -n "$INTEROP_VERSION" ]] || die "no grpc-interop-testing version in proxy-server/pom.xml"
cat >"$TMP/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>interop-server</artifactId><version>1</version>
  <dependencies><dependency><groupId>io.grpc</groupId><artifactId>grpc-interop-testing</artifactId>
    <version>$INTEROP_VERSION</version></dependency></dependencies></project>
EOF
mvn -B -q -f "$TMP/pom.xml" dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt" >"$TMP/mvn.log" 2>&1 \
    || { cat "$TMP/mvn.log" >&2; die "could not resolve the interop server's classpath"; }
free_port SERVER_PORT
free_port PROXY_PORT
free_port ADMIN_PORT
"$JAVA" -cp "$(cat "$TMP/cp.txt")" io.grpc.testing.integration.TestServiceServer \
    --port="$SERVER_PORT" --use_tls=false --address_type=IPV4 >"$TMP/server.log" 2>&1 &
PIDS+=($!)
cat >"$TMP/proxy.yaml" <<EOF
server:
  listen: 127.0.0.1:$PROXY_PORT
  admin: { listen: 127.0.0.1:$ADMIN_PORT }
  eventLoops: $EVENT_LOOPS
observability:
  accessLog: { enabled: false }
clusters:
  - name: interop
    endpoints: [ { address: 127.0.0.1:$SERVER_PORT } ]
    protocol: h2
routes:
  - name: all
    match: { pathPrefix: / }
    cluster: interop
    timeout: 1m
EOF
"$JAVA" -jar "$JAR" --config "$TMP/proxy.yaml" >"$TMP/proxy.log" 2>&1 &
PIDS+=($!)
wait_ready proxy "${PIDS[1]}" "http://127.0.0.1:$ADMIN_PORT/readyz" "$TMP/proxy.log"
for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null && break
    sleep 0.1
done

# gRPC frames: a 0 flag byte, a 4-byte length, the protobuf message (SimpleRequest field 2, response_size)
printf '\x00\x00\x00\x00\x00' >"$TMP/empty.bin"
printf '\x00\x00\x00\x00\x03\x10\x80\x08' >"$TMP/1k.bin"
printf '\x00\x00\x00\x00\x04\x10\x80\x80\x40' >"$TMP/1m.bin"

run() { # target port call body requests -> prints "req/s MB/s"
    local out
    out=$(h2load -n "$5" -c "$CLIENTS" -m "$STREAMS" -d "$4" \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$2/grpc.testing.TestService/$3" 2>&1)
    grep -q " 0 failed, 0 errored" <<<"$out" || { echo "$out" >&2; die "$1 $3: errors"; }
    awk '/^finished in/ { rps = $4; bw = $6 }
         END { f = bw ~ /GB/ ? 1024 : bw ~ /MB/ ? 1 : bw ~ /KB/ ? 1 / 1024 : 1 / 1048576; printf "%s %.3f\n", rps, (bw + 0) * f }' <<<"$out"
}

median_spread() { # values... -> "median (min-max)"
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

echo "h2load -c $CLIENTS -m $STREAMS; proxy eventLoops $EVENT_LOOPS; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD)"
printf '%-10s %-8s %-6s %s\n' call target run 'req/s MB/s'
for call in EmptyCall:empty:1 UnaryCall:1k:1 UnaryCall:1m:10; do
    IFS=: read -r method body div <<<"$call"
    n=$((REQUESTS / div))
    # warm both JITs once, unmeasured
    run direct "$SERVER_PORT" "$method" "$TMP/$body.bin" "$n" >/dev/null
    run proxy "$PROXY_PORT" "$method" "$TMP/$body.bin" "$n" >/dev/null
    declare -A rps=() mbs=()
    for i in $(seq "$REPEAT"); do
        for target in direct proxy; do
            port=$SERVER_PORT
            [[ $target == proxy ]] && port=$PROXY_PORT
            read -r r m < <(run "$target" "$port" "$method" "$TMP/$body.bin" "$n")
            printf '%-10s %-8s %-6s %s %s\n' "$method/$body" "$target" "$i" "$r" "$m"
            rps[$target]+="$r "
            mbs[$target]+="$m "
        done
    done
    for target in direct proxy; do
        # shellcheck disable=SC2086
        printf 'median %-10s %-8s req/s %s  MB/s %s\n' "$method/$body" "$target" \
            "$(median_spread ${rps[$target]})" "$(median_spread ${mbs[$target]})"
    done
    unset rps mbs
done
