#!/usr/bin/env bash
# Validation benchmark: the corpus CSV against its Table Schema.
#
#   benches/validate.sh [ROWS...]         # default: 1000000
#
# ogpipe validate (Table Schema) vs qsv validate (the equivalent JSON Schema) vs
# frictionless validate (Table Schema). frictionless runs on at most FRICTIONLESS_MAX_ROWS
# rows (default 100000; it takes minutes at 1M) and the table also shows its time
# extrapolated linearly to ROWS. Median wall time and peak RSS of RUNS runs (default 3).
# Schemas: corpus.schema.json and corpus.jsonschema.json, written by gen_corpus.
# Environment: as benches/convert.sh (CARGO_TARGET_DIR, CORPUS, QSV, RUNS, TIMEOUT).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
CORPUS=${CORPUS:-/tmp/ogpipe-corpus}
QSV=${QSV:-/work/tools/bin/qsv}
RUNS=${RUNS:-3}
FRICTIONLESS_MAX_ROWS=${FRICTIONLESS_MAX_ROWS:-100000}
TIMEOUT=${TIMEOUT:-1800}
ROWS_LIST=("$@")
[ ${#ROWS_LIST[@]} -eq 0 ] && ROWS_LIST=(1000000)

cargo build --release --quiet --bin ogpipe --example gen_corpus
OG=$CARGO_TARGET_DIR/release/ogpipe
GEN=$CARGO_TARGET_DIR/release/examples/gen_corpus

RESULTS=$CORPUS/validate-results.tsv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$CORPUS"
: >"$RESULTS"

# measure BENCH ROWS TOOL CMD...: RUNS runs; appends "bench rows tool wall_s rss_mb".
# Any exit code but a timeout counts: each tool's exit status is printed, and a clean
# corpus gives 0 for all three.
measure() {
    local bench=$1 rows=$2 tool=$3
    shift 3
    local walls=() rsss=() i w m code
    for ((i = 0; i < RUNS; i++)); do
        code=0
        timeout "$TIMEOUT" /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || code=$?
        if [ "$code" -eq 124 ]; then
            echo "  $bench/$rows/$tool: timed out" >&2
            printf '%s\t%s\t%s\tNA\tNA\n' "$bench" "$rows" "$tool" >>"$RESULTS"
            return 0
        fi
        [ "$code" -ne 0 ] && echo "  $bench/$rows/$tool: exit $code: $(head -c 300 "$TMP/out") $(tail -c 300 "$TMP/err")" >&2
        read -r w m < <(tail -n 1 "$TMP/time")
        walls+=("$w")
        rsss+=("$m")
    done
    w=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    m=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    printf '%s\t%s\t%s\t%s\t%s\n' "$bench" "$rows" "$tool" "$w" "$((m / 1024))" | tee -a "$RESULTS"
}

for rows in "${ROWS_LIST[@]}"; do
    dir=$CORPUS/$rows
    [ -f "$dir/corpus.csv" ] || "$GEN" "$dir" "$rows"
    echo "== $rows rows ($dir)" >&2
    measure validate "$rows" ogpipe "$OG" validate "$dir/corpus.csv" --schema "$dir/corpus.schema.json"
    [ -x "$QSV" ] && measure validate "$rows" qsv "$QSV" validate "$dir/corpus.csv" "$dir/corpus.jsonschema.json"
    if command -v frictionless >/dev/null; then
        # frictionless refuses absolute paths ("not safe"): it runs in a folder holding
        # the CSV and the schema, with relative names.
        f_rows=$rows
        mkdir -p "$TMP/fl"
        cp "$dir/corpus.schema.json" "$TMP/fl/schema.json"
        ln -sf "$dir/corpus.csv" "$TMP/fl/data.csv"
        if [ "$rows" -gt "$FRICTIONLESS_MAX_ROWS" ]; then
            f_rows=$FRICTIONLESS_MAX_ROWS
            rm -f "$TMP/fl/data.csv"
            PYTHONIOENCODING=utf-8 python3 -c '
import csv, sys
n = int(sys.argv[1])
r, w = csv.reader(sys.stdin, lineterminator="\r\n"), csv.writer(sys.stdout, lineterminator="\r\n")
for i, row in enumerate(r):
    if i > n:
        break
    w.writerow(row)
' "$f_rows" <"$dir/corpus.csv" >"$TMP/fl/data.csv"
        fi
        (cd "$TMP/fl" && measure validate "$f_rows" frictionless frictionless validate data.csv --schema schema.json)
    fi
done

python3 - "$RESULTS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
og = {int(r): float(w) for b, r, t, w, m in rows if t == "ogpipe" and w != "NA"}
print("| tool | rows run | wall s | peak RSS MB | wall s at ogpipe's rows (linear) | ogpipe ÷ tool |")
print("|---|---:|---:|---:|---:|---:|")
target = max(og) if og else None
for b, r, t, w, m in rows:
    if w == "NA":
        print(f"| {t} | {int(r):,} | NA | NA | | |")
        continue
    scaled = float(w) * target / int(r) if target else float(w)
    ratio = f"{og[target] / scaled:.3f}" if target and t != "ogpipe" else ""
    print(f"| {t} | {int(r):,} | {w} | {m} | {scaled:.1f} | {ratio} |")
PY
