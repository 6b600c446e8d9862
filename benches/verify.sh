#!/usr/bin/env bash
# Checksum benchmarks: `ogpipe verify` against `openssl dgst -sha256` on the same
# ~1 GiB of package files, and the cost of hashing during conversion.
#
#   bash benches/verify.sh            # from the repository root
#
# Environment:
#   BENCH_DIR   scratch folder (default: a new folder under /tmp; removed at the end)
#   FILES       number of payload files (default 4)
#   FILE_MIB    size of each, MiB (default 256)
#   CSV_ROWS    rows of the conversion benchmark's CSV (default 2000000)
#   RUNS        timed runs per command (default 5)
#
# Uses hyperfine when installed (`apt-get install -y hyperfine`), else a loop of
# /usr/bin/time. Prints medians and ratios; figures go into BENCHMARKS.md by hand.
set -euo pipefail

FILES=${FILES:-4}
FILE_MIB=${FILE_MIB:-256}
CSV_ROWS=${CSV_ROWS:-2000000}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/ogpipe-bench.XXXXXX)}
cleanup() { [ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"; }
trap cleanup EXIT

echo "== building ogpipe --release"
(cd "$ROOT" && cargo build --release --quiet)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OGPIPE=$TARGET/release/ogpipe
"$OGPIPE" --version

PKG=$WORK/package
mkdir -p "$PKG"
echo "== generating $FILES x $FILE_MIB MiB in $PKG"
for i in $(seq 1 "$FILES"); do
  [ -f "$PKG/part$i.bin" ] || head -c $((FILE_MIB * 1024 * 1024)) /dev/urandom >"$PKG/part$i.bin"
done
(cd "$PKG" && sha256sum part*.bin >SHA256SUMS)
TOTAL_BYTES=$(cat "$PKG"/part*.bin | wc -c)
# Warm the page cache: both tools then measure hashing, not the disk.
cat "$PKG"/part*.bin >/dev/null

# median_seconds NAME COMMAND...: prints the median wall time of RUNS runs.
median_seconds() {
  local name=$1
  shift
  if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs "$RUNS" --style none --export-json "$WORK/$name.json" "$*" >/dev/null
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$WORK/$name.json"
  else
    local times=()
    for _ in $(seq 1 "$RUNS"); do
      times+=("$({ /usr/bin/time -f %e "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  fi
}

rate() { python3 -c "import sys; print(f'{int(sys.argv[1])/float(sys.argv[2])/1e6:.0f} MB/s')" "$1" "$2"; }

echo "== verify vs openssl dgst -sha256 ($TOTAL_BYTES bytes, $RUNS runs each, median)"
T_OPENSSL=$(median_seconds openssl openssl dgst -sha256 "$PKG"/part*.bin)
T_VERIFY1=$(median_seconds verify1 "$OGPIPE" verify --jobs 1 "$PKG")
T_VERIFY=$(median_seconds verify2 "$OGPIPE" verify --jobs 2 "$PKG")
printf '%-34s %8.3f s  %s\n' "openssl dgst -sha256" "$T_OPENSSL" "$(rate "$TOTAL_BYTES" "$T_OPENSSL")"
printf '%-34s %8.3f s  %s\n' "ogpipe verify --jobs 1" "$T_VERIFY1" "$(rate "$TOTAL_BYTES" "$T_VERIFY1")"
printf '%-34s %8.3f s  %s\n' "ogpipe verify --jobs 2" "$T_VERIFY" "$(rate "$TOTAL_BYTES" "$T_VERIFY")"
python3 -c "import sys; o,a,b=map(float,sys.argv[1:]); print(f'throughput vs openssl: --jobs 1 {o/a:.2f}x, --jobs 2 {o/b:.2f}x (target >= 0.75x)')" \
  "$T_OPENSSL" "$T_VERIFY1" "$T_VERIFY"

echo "== hashing during conversion ($CSV_ROWS rows)"
CSV=$WORK/big.csv
python3 - "$CSV" "$CSV_ROWS" <<'EOF'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("id,region,year,count,ratio,label\n")
    for i in range(rows):
        f.write(f"{i},Region {i % 13},{2000 + i % 25},{i % 997},{(i % 1000) / 8},alpha\n")
EOF
CONVERTED=$WORK/converted
mkdir -p "$CONVERTED"
T_CONVERT=$(median_seconds convert "$OGPIPE" -q convert "$CSV" --to csv -o "$CONVERTED/big.csv")
(cd "$CONVERTED" && sha256sum big.csv >SHA256SUMS)
OUT_BYTES=$(wc -c <"$CONVERTED/big.csv")
T_HASH_OUT=$(median_seconds hashout "$OGPIPE" verify --jobs 1 "$CONVERTED")
printf '%-34s %8.3f s  (%s bytes in, %s bytes out)\n' "ogpipe convert --to csv" "$T_CONVERT" "$(wc -c <"$CSV")" "$OUT_BYTES"
printf '%-34s %8.3f s  %s\n' "SHA-256 of the output alone" "$T_HASH_OUT" "$(rate "$OUT_BYTES" "$T_HASH_OUT")"
python3 -c "import sys; c,h=map(float,sys.argv[1:]); print(f'hashing is at most {100*h/c:.1f}% of conversion wall time (target < 5%)')" \
  "$T_CONVERT" "$T_HASH_OUT"
