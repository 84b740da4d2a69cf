#!/usr/bin/env bash
# Remote sync against the real Backstage backend loaded with a generated
# catalog (issue 3):
#   - full sync wall time vs. a plain paginated curl loop over the same pages
#   - bytes of an unchanged re-sync vs. a full sync
#   - peak memory (max RSS) of each
#
#   benches/remote_sync.sh [ENTITIES]          default 10000
#
# It restarts ../shared/backstage with BACKSTAGE_EXTRA_CONFIG adding the
# generated catalog to the usual catalog.locations, waits for ingestion
# (about two minutes at 10k), measures, then restores the backend as it was
# (restarted without the extra catalog if it was running, stopped if not).
# Needs curl, jq and GNU time. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
RUNS="${RUNS:-5}"
PAGE="${PAGE:-500}"
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/callboard-remote-bench}"
PORT="${BACKSTAGE_PORT:-7007}"
URL="http://127.0.0.1:$PORT"
TOKEN="${BACKSTAGE_TOKEN:-test-token-0123456789}"
BACKSTAGE="$(cd ../shared/backstage && pwd)"
FIXTURES="$(cd ../shared/fixtures && pwd)"
BWORK="${BACKSTAGE_WORKDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/backstage-test-backend}"
mkdir -p "$WORK"

cargo build --release -p callboard -p callboard-gen
BIN="$PWD/target/release/callboard"
GEN="$PWD/target/release/callboard-gen"

DIR="$WORK/cat-$N"
if [[ ! -f "$DIR/catalog-info.yaml" ]]; then
  "$GEN" --entities "$N" --out "$DIR"
fi

EXTRA="$WORK/extra-config-$N.yaml"
# Re-processing 10k entities every 20 s (the harness's setting) loads the
# server's CPU at random moments; slow it down so both sides see the same
# server.
cat >"$EXTRA" <<EOF
catalog:
  processingInterval: { seconds: 1800 }
  locations:
    - type: file
      target: \${BACKSTAGE_HOME}/catalog/all.yaml
    - type: file
      target: $FIXTURES/backstage-examples/all.yaml
    - type: file
      target: $FIXTURES/backstage-examples/acme-corp.yaml
    - type: file
      target: $DIR/catalog-info.yaml
EOF

WAS_RUNNING=0
if [[ -f "$BWORK/run/backstage.pid" ]] && kill -0 "$(cat "$BWORK/run/backstage.pid")" 2>/dev/null; then
  WAS_RUNNING=1
fi
restore() {
  echo "== restoring the backend"
  "$BACKSTAGE/stop.sh" || true
  if [[ $WAS_RUNNING == 1 ]]; then
    env -u BACKSTAGE_EXTRA_CONFIG "$BACKSTAGE/start.sh" >/dev/null || true
  fi
}
trap restore EXIT

echo "== restarting the backend with $N more entities"
"$BACKSTAGE/stop.sh" || true
BACKSTAGE_EXTRA_CONFIG="$EXTRA" BACKSTAGE_WAIT_SECS=600 "$BACKSTAGE/start.sh" >/dev/null
count() {
  curl -s -H "Authorization: Bearer $TOKEN" "$URL/api/catalog/entities/by-query?limit=0" | jq .totalItems
}
STARTED=$(date +%s)
PREV=-1
while :; do
  NOW=$(count)
  # Ingested: at least N entities, and the count has stopped moving.
  if [[ $NOW -ge $N && $NOW == "$PREV" ]]; then break; fi
  if (($(date +%s) - STARTED > 900)); then echo "ingestion did not settle ($NOW)"; exit 1; fi
  PREV=$NOW
  sleep 10
done
echo "ingested: $NOW entities after $(($(date +%s) - STARTED)) s"

curl_loop() {
  # The same pages callboard asks for: limit=$PAGE, then the cursor.
  local out="$1" q="limit=$PAGE" i=0 cursor
  rm -rf "$out" && mkdir -p "$out"
  while :; do
    i=$((i + 1))
    curl -s -H "Authorization: Bearer $TOKEN" -o "$out/$i.json" "$URL/api/catalog/entities/by-query?$q"
    cursor=$(grep -o '"nextCursor":"[^"]*"' "$out/$i.json" | cut -d'"' -f4 || true)
    [[ -z $cursor ]] && break
    cursor=${cursor//+/%2B}
    cursor=${cursor//\//%2F}
    cursor=${cursor//=/%3D}
    q="limit=$PAGE&cursor=$cursor"
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

CACHE="$WORK/cache-$N"
CB=(env CALLBOARD_TOKEN="$TOKEN" "$BIN" --endpoint "$URL" --cache-dir "$CACHE" --config /dev/null)
# One warm-up of each, then $RUNS rounds, curl and callboard alternating so
# both meet the same server and machine load.
curl_loop "$WORK/pages"
"${CB[@]}" sync --full --json >/dev/null
CURL_TIMES=()
FULL_TIMES=()
FULL_RSS=0
for r in $(seq "$RUNS"); do
  S=$(date +%s%N)
  curl_loop "$WORK/pages"
  CURL_TIMES+=($((($(date +%s%N) - S) / 1000000)))
  /usr/bin/time -f "%e %M" -o "$WORK/time" "${CB[@]}" sync --full --json >"$WORK/full.json"
  read -r SECS RSS <"$WORK/time"
  FULL_TIMES+=("$(awk -v s="$SECS" 'BEGIN {printf "%d", s * 1000}')")
  ((RSS > FULL_RSS)) && FULL_RSS=$RSS
  echo "round $r: curl ${CURL_TIMES[-1]} ms, callboard ${FULL_TIMES[-1]} ms"
done
CURL_MS=$(printf '%s\n' "${CURL_TIMES[@]}" | median)
CURL_BYTES=$(cat "$WORK/pages"/*.json | wc -c)
CURL_PAGES=$(ls "$WORK/pages" | wc -l)
echo "curl: ${CURL_TIMES[*]} ms (median $CURL_MS), $CURL_PAGES pages, $CURL_BYTES bytes"
FULL_MS=$(printf '%s\n' "${FULL_TIMES[@]}" | median)
FULL_BYTES=$(jq '.synced[0].remote | .bytes_received + .bytes_sent' "$WORK/full.json")
ENTITIES=$(jq '.synced[0].snapshot.entity_count' "$WORK/full.json")
echo "full sync: ${FULL_TIMES[*]} ms (median $FULL_MS), $ENTITIES entities, $FULL_BYTES bytes, max RSS ${FULL_RSS} KB"

echo "== callboard re-sync of the unchanged catalog"
/usr/bin/time -f "%e %M" -o "$WORK/time" "${CB[@]}" sync --json >"$WORK/inc.json"
read -r INC_SECS INC_RSS <"$WORK/time"
INC_BYTES=$(jq '.synced[0].remote | .bytes_received + .bytes_sent' "$WORK/inc.json")
jq -c '.synced[0].remote' "$WORK/inc.json"

echo
echo "== results ($ENTITIES entities, page size $PAGE)"
awk -v c="$CURL_MS" -v f="$FULL_MS" 'BEGIN {printf "full sync / curl loop wall time: %d ms / %d ms = %.2fx (target <= 1.2x)\n", f, c, f / c}'
awk -v i="$INC_BYTES" -v f="$FULL_BYTES" 'BEGIN {printf "unchanged re-sync bytes: %d / %d = %.1f %% (target <= 10 %%)\n", i, f, 100 * i / f}'
echo "re-sync wall time: ${INC_SECS} s, max RSS ${INC_RSS} KB; full sync max RSS ${FULL_RSS} KB"
