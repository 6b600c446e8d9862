#!/usr/bin/env bash
# Runs commands in turn, round after round, and prints each one's median wall, user and
# system time (GNU time). Alternating, unlike hyperfine's runs of one command in a row,
# spreads a shared machine's changing load evenly over the commands compared.
#
#   benches/alternate.sh ROUNDS "COMMAND 1" "COMMAND 2" ...
#
# Example (XML, 1M rows; see BENCHMARKS.md):
#   T=target/release F=/tmp/ogpipe-corpus/1000000/corpus.xml
#   benches/alternate.sh 9 "$T/examples/xml_pass $F" "$T/ogpipe -q convert $F -o /tmp/x.csv"
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 ROUNDS COMMAND..." >&2; exit 2; }
rounds=$1
shift
log=$(mktemp)
one=$(mktemp)
trap 'rm -f "$log" "$one"' EXIT
for ((r = 0; r < rounds; r++)); do
    i=0
    for c in "$@"; do
        /usr/bin/time -f "%e %U %S" -o "$one" bash -c "$c" >/dev/null 2>&1
        echo "$i $(cat "$one")" >>"$log"
        i=$((i + 1))
    done
done
python3 - "$log" "$@" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for i, command in enumerate(sys.argv[2:]):
    mine = [r for r in rows if r[0] == str(i)]
    wall, user, sys_ = ([float(r[k]) for r in mine] for k in (1, 2, 3))
    print(f"wall {statistics.median(wall):.3f} s (min {min(wall):.3f}, max {max(wall):.3f})"
          f"  user {statistics.median(user):.2f}  sys {statistics.median(sys_):.2f}  {command}")
PY
