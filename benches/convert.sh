#!/usr/bin/env bash
# Conversion benchmark: ogpipe convert against its peers, on the generated corpus.
#
#   benches/convert.sh [ROWS...]          # default: 100000 1000000
#
# For each row count: xlsx → CSV (ogpipe, qsv excel, xlsx2csv, in2csv), the Excel-style
# shared-strings xlsx (≤ 200k rows), xls (≤ 65,000 rows) and ods → CSV (ogpipe, qsv
# excel), XML → CSV (ogpipe, bare quick-xml passes (buffered, with namespaces, and
# borrowing from 256 KiB windows as ogpipe reads a stream, and from the whole mapped
# file as it reads a large file), pandas.read_xml, an lxml iterparse
# script). Every command runs RUNS times (default 3) in this one script run; the table
# gives the median wall time and the median peak RSS (GNU time's %M).
#
# Environment:
#   CARGO_TARGET_DIR  where the release build goes (default /work/target-bench)
#   CORPUS            corpus folder (default /tmp/ogpipe-corpus); generated when missing
#   QSV               the qsv binary (default /work/tools/bin/qsv); skipped if missing
#   RUNS              runs per command (default 3)
#   PEER_MAX_ROWS     largest row count for the Python peers (default 100000: xlsx2csv,
#                     in2csv and pandas take minutes and gigabytes at 1M rows)
#   TIMEOUT           seconds before one run is abandoned (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
CORPUS=${CORPUS:-/tmp/ogpipe-corpus}
QSV=${QSV:-/work/tools/bin/qsv}
RUNS=${RUNS:-3}
PEER_MAX_ROWS=${PEER_MAX_ROWS:-100000}
TIMEOUT=${TIMEOUT:-900}
ROWS_LIST=("$@")
[ ${#ROWS_LIST[@]} -eq 0 ] && ROWS_LIST=(100000 1000000)

cargo build --release --quiet --bin ogpipe --example gen_corpus --example xml_pass
OG=$CARGO_TARGET_DIR/release/ogpipe
XML_PASS=$CARGO_TARGET_DIR/release/examples/xml_pass
GEN=$CARGO_TARGET_DIR/release/examples/gen_corpus

RESULTS=$CORPUS/convert-results.tsv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$CORPUS"
: >"$RESULTS"

have() { command -v "$1" >/dev/null 2>&1; }

# measure BENCH ROWS TOOL CMD...: RUNS runs; appends "bench rows tool wall_s rss_mb".
measure() {
    local bench=$1 rows=$2 tool=$3
    shift 3
    local walls=() rsss=() i w m
    for ((i = 0; i < RUNS; i++)); do
        local code=0
        timeout "$TIMEOUT" /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" >"$TMP/out" 2>"$TMP/err" || code=$?
        if [ "$code" -ne 0 ] && [ "$code" -ne "${OK_CODE:-0}" ]; then
            echo "  $bench/$rows/$tool: exit $code (124: timed out): $(tail -c 400 "$TMP/err")" >&2
            printf '%s\t%s\t%s\tNA\tNA\n' "$bench" "$rows" "$tool" >>"$RESULTS"
            return 0
        fi
        read -r w m < <(tail -n 1 "$TMP/time")
        walls+=("$w")
        rsss+=("$m")
    done
    w=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    m=$(printf '%s\n' "${rsss[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    printf '%s\t%s\t%s\t%s\t%s\n' "$bench" "$rows" "$tool" "$w" "$((m / 1024))" | tee -a "$RESULTS"
}

corpus() { # ROWS → folder with corpus.{csv,xlsx,ods,xml,xls}
    local rows=$1 dir=$CORPUS/$1
    if [ ! -f "$dir/corpus.ods" ]; then
        echo "generating $rows rows in $dir" >&2
        "$GEN" "$dir" "$rows"
    fi
    if [ ! -f "$dir/corpus.xls" ] && python3 -c 'import xlwt' 2>/dev/null; then
        # xls holds at most 65,536 rows: the first 65,000 rows of the corpus, typed.
        python3 - "$dir/corpus.csv" "$dir/corpus.xls" <<'PY'
import csv, datetime, sys, xlwt
src, dst = sys.argv[1], sys.argv[2]
wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("Corpus")
date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
stamp = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
with open(src, newline="", encoding="utf-8") as f:
    for r, row in enumerate(csv.reader(f)):
        if r > 65000:
            break
        for c, v in enumerate(row):
            if v == "":
                continue
            if r == 0 or c in (1, 2, 3, 4):
                ws.write(r, c, v)
            elif c in (0, 5, 6, 7, 11):
                ws.write(r, c, float(v))
            elif c == 8:
                ws.write(r, c, datetime.datetime.strptime(v, "%Y-%m-%d"), date)
            elif c == 9:
                ws.write(r, c, datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S"), stamp)
            elif c == 10:
                ws.write(r, c, v == "true")
wb.save(dst)
PY
    fi
    echo "$dir"
}

PANDAS_XML='import sys, pandas as pd; pd.read_xml(sys.argv[1], parser="lxml").to_csv(sys.argv[2], index=False)'
LXML_XML='
import csv, sys
from lxml import etree
out = csv.writer(open(sys.argv[2], "w", newline="", encoding="utf-8"))
header = None
for _, rec in etree.iterparse(sys.argv[1], tag="{urn:ogpipe:bench:corpus}record"):
    row = {"id": rec.get("id")}
    for child in rec:
        row[etree.QName(child).localname] = child.text or ""
    if header is None:
        header = list(row)
        out.writerow(header)
    out.writerow([row.get(k, "") for k in header])
    rec.clear()
    while rec.getprevious() is not None:
        del rec.getparent()[0]
'

for rows in "${ROWS_LIST[@]}"; do
    dir=$(corpus "$rows")
    out=$TMP/out.csv
    echo "== $rows rows ($dir)" >&2

    measure xlsx "$rows" ogpipe "$OG" convert "$dir/corpus.xlsx" -o "$out"
    [ -x "$QSV" ] && measure xlsx "$rows" qsv "$QSV" excel "$dir/corpus.xlsx" --output "$out"
    if [ "$rows" -le "$PEER_MAX_ROWS" ]; then
        have xlsx2csv && measure xlsx "$rows" xlsx2csv xlsx2csv "$dir/corpus.xlsx" "$out"
        have in2csv && measure xlsx "$rows" in2csv in2csv "$dir/corpus.xlsx"
    fi

    if [ -f "$dir/corpus_sst.xlsx" ]; then
        measure xlsx-sst "$rows" ogpipe "$OG" convert "$dir/corpus_sst.xlsx" -o "$out"
        [ -x "$QSV" ] && measure xlsx-sst "$rows" qsv "$QSV" excel "$dir/corpus_sst.xlsx" --output "$out"
    fi

    if [ -f "$dir/corpus.xls" ]; then
        measure xls-65k "$rows" ogpipe "$OG" convert "$dir/corpus.xls" -o "$out"
        [ -x "$QSV" ] && measure xls-65k "$rows" qsv "$QSV" excel "$dir/corpus.xls" --output "$out"
    fi

    measure ods "$rows" ogpipe "$OG" convert "$dir/corpus.ods" -o "$out"
    [ -x "$QSV" ] && measure ods "$rows" qsv "$QSV" excel "$dir/corpus.ods" --output "$out"

    measure xml "$rows" ogpipe "$OG" convert "$dir/corpus.xml" -o "$out"
    measure xml "$rows" quick-xml "$XML_PASS" "$dir/corpus.xml"
    measure xml "$rows" quick-xml-ns "$XML_PASS" "$dir/corpus.xml" --ns
    measure xml "$rows" quick-xml-borrowed "$XML_PASS" "$dir/corpus.xml" --chunked
    measure xml "$rows" quick-xml-mapped "$XML_PASS" "$dir/corpus.xml" --mapped
    if [ "$rows" -le "$PEER_MAX_ROWS" ]; then
        measure xml "$rows" pandas python3 -c "$PANDAS_XML" "$dir/corpus.xml" "$out"
        measure xml "$rows" lxml python3 -c "$LXML_XML" "$dir/corpus.xml" "$out"
    fi
done

# The table: each peer's median against ogpipe's for the same input and row count.
python3 - "$RESULTS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
base = {(b, r): (w, m) for b, r, t, w, m in rows if t == "ogpipe" and w != "NA"}
print("| input | rows | tool | wall s | peak RSS MB | ogpipe wall ÷ tool wall | ogpipe RSS ÷ tool RSS |")
print("|---|---:|---|---:|---:|---:|---:|")
for b, r, t, w, m in rows:
    ratio_w = ratio_m = ""
    if t != "ogpipe" and w != "NA" and (b, r) in base:
        bw, bm = base[(b, r)]
        ratio_w = f"{float(bw) / max(float(w), 0.001):.2f}"
        ratio_m = f"{float(bm) / max(float(m), 1):.2f}"
    print(f"| {b} | {int(r):,} | {t} | {w} | {m} | {ratio_w} | {ratio_m} |")
PY
