#!/usr/bin/env bash
# Runs a JMH benchmark class from a module's test classes.
#
# Usage: deploy/bench/jmh.sh MODULE BENCHMARK [JMH args...]
#   MODULE     a Maven module directory, e.g. proxy-core
#   BENCHMARK  a benchmark class, simple or fully qualified name (JMH reads it as a regular expression)
#   JMH args   passed to org.openjdk.jmh.Main as they are, e.g. -f 1 -wi 2 -i 3 -w 1s -r 1s -p routes=1000
#
# Example: deploy/bench/jmh.sh proxy-core RouteTableBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
#
# Compiles the module's test classes (the JMH annotation processor generates the benchmark code there) and writes
# its test classpath in the same Maven run, so sibling modules resolve to their fresh target/ directories. The
# module's classes are copied to a temporary directory first, so a build running meanwhile (which rewrites
# target/) cannot pull classes from under the forked benchmark JVMs.
# Maven runs offline by default; set MVN_FLAGS= (empty) to let it download a missing plugin.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi

module=$1
benchmark=$2
shift 2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
if [[ ! -f "$module/pom.xml" ]]; then
    echo "jmh.sh: no module '$module' in $root" >&2
    exit 2
fi

classpath_file="$root/$module/target/jmh.classpath"
# shellcheck disable=SC2086 # MVN_FLAGS holds several flags, split on purpose
mvn -B -q ${MVN_FLAGS--o} -pl "$module" -am test-compile dependency:build-classpath \
    -DskipTests -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath

snapshot=$(mktemp -d "${TMPDIR:-/tmp}/jmh.XXXXXX")
trap 'rm -rf "$snapshot"' EXIT
cp -r "$module/target/test-classes" "$snapshot/test-classes"
cp -r "$module/target/classes" "$snapshot/classes"

java -cp "$snapshot/test-classes:$snapshot/classes:$(cat "$classpath_file")" \
    org.openjdk.jmh.Main "$benchmark" "$@"
