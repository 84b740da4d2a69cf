#!/usr/bin/env bash
# Whole-process benchmarks at 10k and 100k entities (issue: catalog core).
#
#   benches/process.sh [SIZES...]        default: 10000 100000
#
# Needs hyperfine and fzf (apt-get install hyperfine fzf). For the curl
# baseline, start ../shared/backstage/start.sh first (BACKSTAGE_URL and
# BACKSTAGE_TOKEN default to its port and token); it is skipped if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-10000 100000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/callboard-bench}"
URL="${BACKSTAGE_URL:-http://127.0.0.1:${BACKSTAGE_PORT:-7007}}"
TOKEN="${BACKSTAGE_TOKEN:-test-token-0123456789}"
mkdir -p "$WORK"

cargo build --release -p callboard -p callboard-gen
BIN="$PWD/target/release/callboard"
GEN="$PWD/target/release/callboard-gen"

for N in "${SIZES[@]}"; do
  DIR="$WORK/cat-$N"
  if [[ ! -f "$DIR/catalog-info.yaml" ]]; then
    "$GEN" --entities "$N" --out "$DIR" --names "$WORK/names-$N.txt"
  fi
  CACHE="$WORK/cache-$N"
  CB=("$BIN" --source "$DIR" --cache-dir "$CACHE")
  echo "== $N entities: sync"
  /usr/bin/time -f "sync: %e s, max RSS %M KB" "${CB[@]}" sync
  du -h "$CACHE/snapshots/"*.sqlite

  # A component in the middle of the catalog, by bare name.
  NAME=$("${CB[@]}" search --json -n 1 kind:component | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["name"])')
  echo "== $N entities: show $NAME / search"
  hyperfine -N --warmup 3 --runs 30 --export-markdown "$WORK/process-$N.md" \
    -n "callboard show" "${CB[*]} show $NAME" \
    -n "callboard show --json" "${CB[*]} show $NAME --json" \
    -n "callboard search pay" "${CB[*]} search pay" \
    -n "callboard search kind:api pay" "${CB[*]} search kind:api pay" \
    -n "fzf --filter pay (names)" "bash -c 'fzf --filter pay < $WORK/names-$N.txt > /dev/null'"
done

if curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL/api/catalog/entities/by-name/component/default/tui-web"; then
  echo "== curl one entity by name from the real backend"
  hyperfine -N --warmup 3 --runs 30 \
    "curl -fsS -o /dev/null -H 'Authorization: Bearer $TOKEN' $URL/api/catalog/entities/by-name/component/default/tui-web"
else
  echo "(no Backstage backend at $URL: curl baseline skipped)"
fi
