#!/usr/bin/env bash
# Screen benchmark: what the cell screen adds to conversion.
#
#   benches/screen.sh [ROWS...]           # default: 1000000
#
# The honest measure is the run's own single pass: one read feeding the cell screen and
# the CSV writer through a Tee (examples/convert_screened.rs, as run/build.rs does),
# against the same pass without the screen (--no-screen), and the screen on the reading
# thread (--inline) rather than a second one. Also shown: `ogpipe convert`
# and `ogpipe screen` on their own. Inputs: the corpus CSV and xlsx.
# Median wall time and peak RSS of RUNS runs (default 3), the variants of a run taking
# turns so that a change in the machine's load falls on all of them alike.
# Environment: as benches/convert.sh (CARGO_TARGET_DIR, CORPUS, RUNS, TIMEOUT), and
# FORMATS (default "csv xlsx").
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
CORPUS=${CORPUS:-/tmp/ogpipe-corpus}
RUNS=${RUNS:-3}
FORMATS=${FORMATS:-csv xlsx}
TIMEOUT=${TIMEOUT:-900}
ROWS_LIST=("$@")
[ ${#ROWS_LIST[@]} -eq 0 ] && ROWS_LIST=(1000000)

cargo build --release --quiet --bin ogpipe --example gen_corpus --example convert_screened
OG=$CARGO_TARGET_DIR/release/ogpipe
GEN=$CARGO_TARGET_DIR/release/examples/gen_corpus
PASS=$CARGO_TARGET_DIR/release/examples/convert_screened

RESULTS=$CORPUS/screen-results.tsv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$CORPUS"
: >"$RESULTS"

# measure BENCH ROWS -- TOOL CMD... [-- TOOL CMD...]: the commands run in turn, RUNS rounds.
measure() {
    local bench=$1 rows=$2
    shift 3
    local tools=() cmds=() cmd=() i j w m code
    while [ $# -gt 0 ]; do
        tools+=("$1")
        shift
        cmd=()
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do
            cmd+=("$1")
            shift
        done
        [ $# -gt 0 ] && shift
        cmds+=("$(printf '%q ' "${cmd[@]}")")
    done
    local -A walls=() rsss=() failed=()
    for ((i = 0; i < RUNS; i++)); do
        for j in "${!tools[@]}"; do
            code=0
            timeout "$TIMEOUT" /usr/bin/time -f "%e %M" -o "$TMP/time" bash -c "${cmds[$j]}" >"$TMP/out" 2>"$TMP/err" || code=$?
            if [ "$code" -ne 0 ]; then
                echo "  $bench/$rows/${tools[$j]}: exit $code: $(tail -c 300 "$TMP/err")" >&2
                failed[$j]=1
                continue
            fi
            read -r w m < <(tail -n 1 "$TMP/time")
            walls[$j]+="$w "
            rsss[$j]+="$m "
        done
    done
    for j in "${!tools[@]}"; do
        if [ -n "${failed[$j]:-}" ]; then
            printf '%s\t%s\t%s\tNA\tNA\n' "$bench" "$rows" "${tools[$j]}" >>"$RESULTS"
            continue
        fi
        w=$(printf '%s\n' ${walls[$j]} | sort -g | sed -n "$(((RUNS + 1) / 2))p")
        m=$(printf '%s\n' ${rsss[$j]} | sort -g | sed -n "$(((RUNS + 1) / 2))p")
        echo "  ${tools[$j]}: ${walls[$j]}" >&2
        printf '%s\t%s\t%s\t%s\t%s\n' "$bench" "$rows" "${tools[$j]}" "$w" "$((m / 1024))" | tee -a "$RESULTS"
    done
}

for rows in "${ROWS_LIST[@]}"; do
    dir=$CORPUS/$rows
    [ -f "$dir/corpus.xlsx" ] || "$GEN" "$dir" "$rows"
    echo "== $rows rows ($dir)" >&2
    for ext in $FORMATS; do
        measure "$ext" "$rows" -- \
            "convert (ogpipe convert)" "$OG" convert "$dir/corpus.$ext" -o "$TMP/a.csv" -- \
            "one pass, no screen" "$PASS" "$dir/corpus.$ext" "$TMP/b.csv" --no-screen -- \
            "one pass, screened" "$PASS" "$dir/corpus.$ext" "$TMP/c.csv" -- \
            "one pass, screened inline" "$PASS" "$dir/corpus.$ext" "$TMP/d.csv" --inline
    done
    measure csv "$rows" -- "ogpipe screen" "$OG" screen "$dir/corpus.csv"
done

python3 - "$RESULTS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
base = {(b, r): float(w) for b, r, t, w, m in rows if t == "one pass, no screen" and w != "NA"}
print("| input | rows | command | wall s | peak RSS MB | vs one pass without screen |")
print("|---|---:|---|---:|---:|---:|")
for b, r, t, w, m in rows:
    extra = ""
    if w != "NA" and (b, r) in base and t != "one pass, no screen":
        extra = f"{(float(w) / base[(b, r)] - 1) * 100:+.1f} %"
    print(f"| {b} | {int(r):,} | {t} | {w} | {m} | {extra} |")
PY
