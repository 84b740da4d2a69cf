#!/usr/bin/env bash
# Local sync of a generated catalog (issue 16: target 3, 100k entities in
# <= 2.5 s and <= 400 MB peak RSS, in ~20 files and in one file; target 5,
# 1M entities in 10 files in <= 30 s and <= 2 GB):
#
#   benches/local_sync.sh            100k in 20 files, in one file, then
#                                    in 100 files (each with the root
#                                    Location file: 21, 2, 101 files)
#   benches/local_sync.sh --1m       1M in 10 files (needs ~2 GB of RAM and
#                                    ~750 MB of YAML under $BENCH_WORK)
#   benches/local_sync.sh N          N entities in the same three layouts
#
# Each layout is synced RUNS times (default 5; 3 with --1m) into a fresh
# cache, timed as a whole process by GNU time (wall, user+sys CPU, max
# RSS), and the medians are printed next to the targets. With
# BASELINE=/path/to/other/callboard that binary runs too, alternating with
# this one round by round, so both meet the same machine load: on a busy
# machine compare the two (and the CPU times), not the wall times. The load
# average is printed with every run; the snapshot size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
LAYOUTS=()
if [[ ${1:-} == --1m ]]; then
  N=1000000
  LAYOUTS=("ten:100000")
  RUNS="${RUNS:-3}"
  TARGET="30 s, 2048 MB"
else
  N="${1:-100000}"
  LAYOUTS=("parts:$(((N + 19) / 20))" "one:$N" "hundred:$(((N + 99) / 100))")
  RUNS="${RUNS:-5}"
  TARGET="2.5 s, 400 MB"
fi
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/callboard-local-bench}"
mkdir -p "$WORK"

cargo build --release -p callboard -p callboard-gen
BIN="$PWD/target/release/callboard"
GEN="$PWD/target/release/callboard-gen"
for layout in "${LAYOUTS[@]}"; do
  dir="$WORK/cat-$N-${layout%%:*}"
  [[ -f $dir/catalog-info.yaml ]] || "$GEN" --entities "$N" --per-file "${layout#*:}" --out "$dir" >/dev/null
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
BINS=("$BIN")
[[ -n ${BASELINE:-} ]] && BINS+=("$BASELINE")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM; load $(cut -d' ' -f1-3 /proc/loadavg)"
for layout in "${LAYOUTS[@]}"; do
  dir="$WORK/cat-$N-${layout%%:*}"
  echo "== $N entities, ${layout%%:*}: $(find "$dir" -name '*.yaml' | wc -l) files, $(du -sh "$dir" | cut -f1)"
  declare -A WALL=() CPU=() RSS=()
  for r in $(seq "$RUNS"); do
    for b in "${BINS[@]}"; do
      rm -rf "$WORK/cache"
      /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$b" --source "$dir" --cache-dir "$WORK/cache" sync >/dev/null
      read -r wall user sys rss <"$WORK/time"
      WALL[$b]+="$wall "
      CPU[$b]+="$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') "
      RSS[$b]+="$rss "
      echo "round $r $b: wall $wall s, cpu $user+$sys s, max RSS $((rss / 1024)) MB, load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
  for b in "${BINS[@]}"; do
    echo "$b: median wall $(tr ' ' '\n' <<<"${WALL[$b]}" | grep . | median) s," \
      "cpu $(tr ' ' '\n' <<<"${CPU[$b]}" | grep . | median) s," \
      "max RSS $(($(tr ' ' '\n' <<<"${RSS[$b]}" | grep . | median) / 1024)) MB (targets: $TARGET)"
  done
  echo "snapshot: $(du -ch "$WORK/cache/snapshots/"*.sqlite "$WORK/cache/snapshots/"*.corpus 2>/dev/null | tail -n1 | cut -f1) (database and corpus file)"
  unset WALL CPU RSS
done
