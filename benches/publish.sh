#!/usr/bin/env bash
# Publishing benchmark: N datasets x 3 CSV resources, published by `ogpipe run` to the
# mock portal (`ogpipe portal serve`, open-canada profile) on a loopback port.
#
# For each of REPEATS rounds, on a fresh portal and a fresh output folder:
#   first   `ogpipe run`: builds 3N packages' files and publishes all N datasets
#   re-run  `ogpipe run`: nothing changed; must make zero write calls
#   publish `ogpipe publish`: the same no-change check without building packages
# Writes are counted from the portal's own request log (GET /_mock/requests).
# Prints each time and the median.
#
# usage: benches/publish.sh [N=500] [REPEATS=3]
# env:   CARGO_TARGET_DIR (default ./target); OGPIPE_BIN=path skips the build;
#        KEEP=1 keeps the temp folder
set -euo pipefail

N=${1:-500}
REPEATS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${OGPIPE_BIN:-$TARGET/release/ogpipe}
AS_OF=2026-11-28
export OGPIPE_PORTAL_TOKEN=bench-token-not-secret

if [ -z "${OGPIPE_BIN:-}" ]; then cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"; fi

WORK=$(mktemp -d)
PORTAL_PID=
cleanup() {
    if [ -n "$PORTAL_PID" ]; then kill "$PORTAL_PID" 2>/dev/null || true; wait "$PORTAL_PID" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

start_portal() {
    rm -rf "$WORK/portal"
    "$BIN" portal serve --port 0 --state "$WORK/portal" --token "$OGPIPE_PORTAL_TOKEN" \
        > "$WORK/portal.out" 2> "$WORK/portal.err" &
    PORTAL_PID=$!
    for _ in $(seq 100); do
        URL=$(sed -n 's/^mock CKAN portal at \(http:[^ ]*\).*/\1/p' "$WORK/portal.out")
        [ -n "$URL" ] && return
        sleep 0.05
    done
    echo "portal did not start" >&2; cat "$WORK/portal.err" >&2; exit 1
}

stop_portal() {
    kill "$PORTAL_PID"; wait "$PORTAL_PID" 2>/dev/null || true; PORTAL_PID=
}

writes() {
    curl -sf "$URL/_mock/requests" | python3 -c '
import json, sys
log = json.load(sys.stdin)
print(sum(1 for r in log if r["action"].split("_")[-1] in ("create", "update", "patch", "delete")))'
}

# Seconds (3 decimals) a command takes; its output goes to $WORK/last.{out,err}.
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$WORK/bench" && "$@" > "$WORK/last.out" 2> "$WORK/last.err") || {
        echo "failed: $*" >&2; tail -20 "$WORK/last.out" "$WORK/last.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "ogpipe publish benchmark: $N datasets x 3 resources, $REPEATS rounds, $(nproc) CPUs"
FIRST=(); RERUN=(); PUBLISH=()
for round in $(seq "$REPEATS"); do
    start_portal
    rm -rf "$WORK/bench"
    python3 "$ROOT/benches/publish_gen.py" "$WORK/bench" "$N" "$URL"
    first=$(timed "$BIN" run --as-of "$AS_OF")
    grep -q "^$N published, 0 unchanged" "$WORK/last.out" || { tail -5 "$WORK/last.out"; exit 1; }
    w0=$(writes)
    rerun=$(timed "$BIN" run --as-of "$AS_OF")
    grep -q "^0 published, $N unchanged" "$WORK/last.out" || { tail -5 "$WORK/last.out"; exit 1; }
    w1=$(writes)
    publish=$(timed "$BIN" publish --as-of "$AS_OF")
    grep -q "^0 published, $N unchanged" "$WORK/last.out" || { tail -5 "$WORK/last.out"; exit 1; }
    w2=$(writes)
    echo "round $round: first run ${first}s ($w0 writes), re-run ${rerun}s ($((w1 - w0)) writes), publish ${publish}s ($((w2 - w1)) writes)"
    if [ "$w1" != "$w0" ] || [ "$w2" != "$w1" ]; then echo "a no-change run wrote to the portal" >&2; exit 1; fi
    FIRST+=("$first"); RERUN+=("$rerun"); PUBLISH+=("$publish")
    stop_portal
done
echo "median: first run $(median "${FIRST[@]}")s, re-run $(median "${RERUN[@]}")s, publish $(median "${PUBLISH[@]}")s"

# ckanapi comparison: the same datasets as JSON lines, loaded by `ckanapi load datasets`
# with 4 processes (ogpipe's concurrency), its files downloaded from a local HTTP server.
if ! command -v ckanapi > /dev/null; then
    echo "ckanapi: not installed (pip install ckanapi); comparison skipped"
    exit 0
fi
python3 -m http.server 0 --bind 127.0.0.1 --directory "$WORK/bench/data" > "$WORK/files.out" 2>&1 &
FILES_PID=$!
trap 'kill $FILES_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 100); do
    FILES_URL=$(sed -n 's|.*(\(http://[0-9.:]*\)/).*|\1|p' "$WORK/files.out")
    [ -n "$FILES_URL" ] && break
    sleep 0.05
done
python3 "$ROOT/benches/publish_ckanapi.py" "$N" "$FILES_URL" > "$WORK/datasets.jsonl"
CK_FIRST=(); CK_RERUN=()
for round in $(seq "$REPEATS"); do
    start_portal
    ck() { timed ckanapi load datasets --upload-resources -p 4 -q -I "$WORK/datasets.jsonl" \
        -r "$URL" -a "$OGPIPE_PORTAL_TOKEN"; }
    first=$(ck); w0=$(writes)
    errors=$(grep -c '"error": "[A-Z]' "$WORK/last.out" || true)
    rerun=$(ck); w1=$(writes)
    echo "ckanapi round $round: first load ${first}s ($w0 writes, $errors errors), re-load ${rerun}s ($((w1 - w0)) writes)"
    CK_FIRST+=("$first"); CK_RERUN+=("$rerun")
    stop_portal
done
echo "ckanapi median: first load $(median "${CK_FIRST[@]}")s, re-load $(median "${CK_RERUN[@]}")s"
