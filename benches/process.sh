#!/usr/bin/env bash
# Whole-process benchmarks (issue 16, targets 4 and 5): cold `callboard
# search` against `fzf --filter` over the same names, cold `callboard show`
# against a loopback `curl` of one entity by name from the backend.
#
#   benches/process.sh [SIZES...]        default: 10000 100000
#   benches/process.sh 100000 1000000    the issue's sizes
#
# Catalogs come from callboard-gen under $BENCH_WORK (default
# /tmp/callboard-bench): 1,000 entities a file below 1M, and 10 files from
# 1M up (the issue's 1M layout). The first run syncs them (at 1M this takes
# minutes and several GB). Prints, per size, the median wall time, the mean
# CPU time (user+sys) and the peak RSS of each command, and the ratios the
# issue names next to their targets.
#
# CALLBOARD_BIN / CALLBOARD_GEN: binaries to use instead of building them.
# RUNS (default 30) runs per command; BASELINE=/path/to/other/callboard adds
# the same commands for that binary, in the same hyperfine run (compare like
# with like on a loaded machine), on BASELINE_CACHE when set (a baseline of
# another cache format needs its own); BENCH_QUERY (default `pay`).
#
# Needs hyperfine, fzf and python3 (apt-get install hyperfine fzf). For the
# curl reference, start ../shared/backstage/start.sh first (BACKSTAGE_URL
# and BACKSTAGE_TOKEN default to its port and token); skipped if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-10000 100000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/callboard-bench}"
URL="${BACKSTAGE_URL:-http://127.0.0.1:${BACKSTAGE_PORT:-7007}}"
TOKEN="${BACKSTAGE_TOKEN:-test-token-0123456789}"
RUNS="${RUNS:-30}"
Q="${BENCH_QUERY:-pay}"
mkdir -p "$WORK"

if [[ -z "${CALLBOARD_BIN:-}" ]]; then
  cargo build --release -p callboard -p callboard-gen
fi
BIN="${CALLBOARD_BIN:-$PWD/target/release/callboard}"
GEN="${CALLBOARD_GEN:-$PWD/target/release/callboard-gen}"
BASE="${BASELINE:-}"

echo "== machine: $(nproc) cores, $(uptime | sed 's/.*load/load/')"

CURL="curl -fsS -o /dev/null -H 'Authorization: Bearer $TOKEN' $URL/api/catalog/entities/by-name/component/default/tui-web"
if ! curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL/api/catalog/entities/by-name/component/default/tui-web"; then
  echo "(no Backstage backend at $URL: curl reference skipped)"
  CURL=""
fi

# Peak RSS (KB) of one run of a command line.
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n1; }

for N in "${SIZES[@]}"; do
  DIR="$WORK/cat-$N"
  PER_FILE=1000
  if (( N >= 1000000 )); then PER_FILE=$(( (N + 9) / 10 )); fi
  if [[ ! -f "$DIR/catalog-info.yaml" || ! -f "$WORK/names-$N.txt" ]]; then
    "$GEN" --entities "$N" --per-file "$PER_FILE" --out "$DIR" --names "$WORK/names-$N.txt"
  fi
  CACHE="$WORK/cache-$N"
  CB=("$BIN" --source "$DIR" --cache-dir "$CACHE")
  if ! ls "$CACHE/snapshots/"*.sqlite >/dev/null 2>&1; then
    echo "== $N entities: sync (once)"
    /usr/bin/time -f "sync: %e s wall, %U s user + %S s sys, peak RSS %M KB" "${CB[@]}" sync
  fi
  SNAP=$(du -b "$CACHE/snapshots/"*.sqlite | awk '{s+=$1} END {print s}')

  # A component in the middle of the catalog, by bare name.
  NAME=$("${CB[@]}" search --json -n 1 kind:component | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["name"])')
  echo "== $N entities: show $NAME, search $Q ($RUNS runs each)"
  ARGS=(-n "callboard show" "${CB[*]} show $NAME"
    -n "callboard show --json" "${CB[*]} show $NAME --json"
    -n "callboard search $Q" "${CB[*]} search $Q"
    -n "callboard search kind:api $Q" "${CB[*]} search kind:api $Q")
  if [[ -n "$BASE" ]]; then
    # BASELINE_CACHE: the baseline's own cache dir, for a baseline of
    # another cache format (it would take the other's snapshot for missing).
    BCACHE="${BASELINE_CACHE:-$CACHE}"
    BCB="$BASE --source $DIR --cache-dir $BCACHE"
    if ! ls "$BCACHE/snapshots/"*.sqlite >/dev/null 2>&1; then
      echo "== $N entities: baseline sync (once)"
      $BCB sync >/dev/null
    fi
    ARGS+=(-n "baseline show" "$BCB show $NAME"
      -n "baseline search $Q" "$BCB search $Q"
      -n "baseline search kind:api $Q" "$BCB search kind:api $Q")
  fi
  ARGS+=(-n "fzf --filter $Q (names)" "bash -c 'fzf --filter $Q < $WORK/names-$N.txt > /dev/null'")
  if [[ -n "$CURL" ]]; then
    ARGS+=(-n "curl by name (loopback)" "$CURL")
  fi
  hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$WORK/process-$N.json" "${ARGS[@]}" >/dev/null
  RSS_SHOW=$(peak "${CB[@]}" show "$NAME")
  RSS_SEARCH=$(peak "${CB[@]}" search "$Q")
  RSS_FZF=$(peak bash -c "fzf --filter $Q < $WORK/names-$N.txt")
  python3 - "$WORK/process-$N.json" "$N" "$Q" "$SNAP" "$RSS_SHOW" "$RSS_SEARCH" "$RSS_FZF" <<'EOF'
import json, statistics, sys
path, n, q, snap, rss_show, rss_search, rss_fzf = sys.argv[1:]
n = int(n)
res = {r["command"]: r for r in json.load(open(path))["results"]}
def med(name):
    return statistics.median(res[name]["times"]) * 1000
def cpu(name):
    r = res[name]
    return (r["user"] + r["system"]) * 1000
print(f"{'command':<34} {'median wall':>12} {'CPU u+s':>10}")
for name in res:
    print(f"{name:<34} {med(name):>9.1f} ms {cpu(name):>7.1f} ms")
print(f"snapshot {int(snap) / 1e6:.1f} MB; peak RSS: show {int(rss_show) / 1e3:.0f} MB, "
      f"search {int(rss_search) / 1e3:.0f} MB, fzf {int(rss_fzf) / 1e3:.0f} MB")
fzf = f"fzf --filter {q} (names)"
curl = "curl by name (loopback)"
search_target = 0.7 if n < 1_000_000 else 1.0
rows = [(f"callboard search {q}", fzf, search_target),
        (f"callboard search kind:api {q}", fzf, search_target),
        ("baseline search " + q, fzf, search_target),
        ("callboard show", curl, 0.25 if n < 1_000_000 else None),
        ("baseline show", curl, 0.25 if n < 1_000_000 else None)]
for name, ref, target in rows:
    if name in res and ref in res:
        wall = med(name) / med(ref)
        c = cpu(name) / cpu(ref)
        verdict = "" if target is None else (f" (target ≤ {target}×: " + ("met" if wall <= target else "NOT met") + ")")
        print(f"ratio {name} / {ref}: wall {wall:.2f}×, CPU {c:.2f}×{verdict}")
EOF
done
