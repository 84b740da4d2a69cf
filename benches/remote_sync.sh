#!/usr/bin/env bash
# Remote sync against a real Backstage backend loaded with a generated
# catalog (issue 16, targets 1 and 2). One command:
#
#   benches/remote_sync.sh [ENTITIES]          default 10000
#
# It starts ITS OWN backend (../shared/backstage/start.sh on port
# $BACKSTAGE_PORT, default 7107, work dir $BENCH_BACKEND_DIR, never the
# shared one on 7007) with the usual locations plus the generated catalog
# and a 30-minute processing interval (a quiet server), waits for
# ingestion, measures, and stops it again. Then, in $RUNS (9) rounds,
# alternating so every side meets the same server and machine load:
#   - the reference: `callboard-pageread` (tools/callboard-pageread), a
#     plain paged read over one keep-alive connection, page size 1000,
#     nothing but the cursor looked at;
#   - `callboard sync --full` (and `$BASELINE sync --full` when BASELINE
#     names another callboard binary, e.g. one built from main);
#   - `callboard sync` of the unchanged catalog (incremental), twice: the
#     first after the full sync reads the identity listing and keeps its
#     ETags, the second sends them back (If-None-Match) and is answered
#     304 Not Modified: the steady state of periodic re-syncs.
# Each is timed as a whole process (GNU time: wall, user+sys CPU, peak
# RSS); medians and mins are printed. Last, 1 % of the entities are
# edited in the YAML, the server re-reads them, and one re-sync shows
# how many bytes that moves.
#
# Needs node/npm (the backend), curl, jq and GNU time. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
RUNS="${RUNS:-9}"
WORK="${BENCH_WORK:-${TMPDIR:-/tmp}/callboard-remote-bench}"
PORT="${BACKSTAGE_PORT:-7107}"
[[ $PORT == 7007 ]] && { echo "port 7007 is the shared backend's; pick another" >&2; exit 2; }
URL="http://127.0.0.1:$PORT"
TOKEN="${BACKSTAGE_TOKEN:-test-token-0123456789}"
BACKSTAGE="$(cd ../shared/backstage && pwd)"
FIXTURES="$(cd ../shared/fixtures && pwd)"
BWORK="${BENCH_BACKEND_DIR:-$WORK/backend}"
mkdir -p "$WORK" "$BWORK"

# CALLBOARD_BIN: time that binary instead of building this checkout's.
if [[ -n ${CALLBOARD_BIN:-} ]]; then
  cargo build --release -p callboard-gen -p callboard-pageread
  BIN="$CALLBOARD_BIN"
else
  cargo build --release -p callboard -p callboard-gen -p callboard-pageread
  BIN="$PWD/target/release/callboard"
fi
GEN="$PWD/target/release/callboard-gen"
REF="$PWD/target/release/callboard-pageread"

DIR="$WORK/cat-$N"
PIDFILE="$BWORK/run/backstage.pid"
# KEEP_BACKEND=1: leave the backend running at the end, and use it again
# (with its catalog) when it still runs.
REUSE=0
if [[ ${KEEP_BACKEND:-0} == 1 && -f $PIDFILE && -f $DIR/catalog-info.yaml ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  REUSE=1
else
  # A fresh catalog: the 1 % step edits it.
  rm -rf "$DIR"
  "$GEN" --entities "$N" --out "$DIR" >/dev/null
fi

# Skip the 1.5-minute `npm ci` when the shared install can be copied
# (start.sh reinstalls only when the lockfile differs).
SHARED_INSTALL="${XDG_CACHE_HOME:-$HOME/.cache}/backstage-test-backend"
if [[ ! -d $BWORK/node_modules && -d $SHARED_INSTALL/node_modules ]]; then
  cp -a "$SHARED_INSTALL/node_modules" "$SHARED_INSTALL/package-lock.json" "$BWORK/"
fi

EXTRA="$WORK/extra-config-$N.yaml"
# The search collators (every 30 s in the shared config) re-read the whole
# catalog and rebuild a Lunr index: a core for seconds at 10k entities,
# landing in the middle of rounds. Pushed past the bench's end here.
cat >"$EXTRA" <<YAML
search:
  collators:
    catalog:
      schedule: { frequency: { minutes: 60 }, timeout: { minutes: 3 }, initialDelay: { minutes: 60 } }
    techdocs:
      schedule: { frequency: { minutes: 60 }, timeout: { minutes: 3 }, initialDelay: { minutes: 60 } }
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
YAML

stop_backend() {
  local pidfile="$PIDFILE"
  if [[ -f $pidfile ]]; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  fi
}
if [[ $REUSE == 0 ]]; then
  stop_backend
  [[ ${KEEP_BACKEND:-0} == 1 ]] || trap stop_backend EXIT
  echo "== starting a backend on $URL with $N more entities (work dir $BWORK)"
  BACKSTAGE_PORT=$PORT BACKSTAGE_WORKDIR="$BWORK" BACKSTAGE_EXTRA_CONFIG="$EXTRA" \
    BACKSTAGE_WAIT_SECS=600 "$BACKSTAGE/start.sh" >/dev/null
else
  echo "== using the backend still running on $URL (pid $(cat "$PIDFILE"))"
fi
api() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
count() { api "$URL/api/catalog/entities/by-query?limit=0" | jq .totalItems; }
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

# The server goes on stitching for a minute or more after the count stops
# moving; timed then, the figures are the server's CPU, not ours. Wait
# until the whole machine is quiet: under a tenth of a core over 2 s
# (from /proc/stat), for at most $1 seconds.
wait_quiet() {
  local limit=$1 since busy a b
  since=$(date +%s)
  while :; do
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
    sleep 2
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
    busy=$((b - a)) # clock ticks (1/100 s) of all cores over the 2 s
    if ((busy < 20)); then
      echo "quiet after $(($(date +%s) - since)) s"
      return
    fi
    if (($(date +%s) - since > limit)); then
      echo "(still busy after $limit s: $busy ticks in 2 s; the figures include the server's work)"
      return
    fi
  done
}
wait_quiet 300

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minimum() { sort -n | head -1; }
# timed NAME cmd...: run it under GNU time, append "wall_ms cpu_ms rss_kb"
# to $WORK/NAME.times.
timed() {
  local name="$1"
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" >"$WORK/$name.out"
  awk '{printf "%d %d %d\n", $1 * 1000, ($2 + $3) * 1000, $4}' "$WORK/time" >>"$WORK/$name.times"
}
col() { awk -v c="$2" '{print $c}' "$WORK/$1.times"; }
summary() {
  local name="$1"
  printf '%-26s wall median %5d ms (min %5d), CPU median %5d ms, peak RSS %6d KB\n' "$2" \
    "$(col "$name" 1 | median)" "$(col "$name" 1 | minimum)" "$(col "$name" 2 | median)" \
    "$(col "$name" 3 | sort -n | tail -1)"
}

CACHE="$WORK/cache-$N"
BASE_CACHE="$WORK/cache-base-$N"
rm -rf "$CACHE" "$BASE_CACHE"
: >"$WORK/empty-config.yaml"
# Commands, not functions: GNU time runs them.
REFREAD=(env CALLBOARD_TOKEN="$TOKEN" "$REF" --url "$URL" --limit 1000)
CB=(env CALLBOARD_TOKEN="$TOKEN" "$BIN" --endpoint "$URL" --cache-dir "$CACHE" --config "$WORK/empty-config.yaml")
CBBASE=(env CALLBOARD_TOKEN="$TOKEN" "${BASELINE:-}" --endpoint "$URL" --cache-dir "$BASE_CACHE" --config "$WORK/empty-config.yaml")
rm -f "$WORK"/*.times
# One warm-up of each.
"${REFREAD[@]}" >/dev/null
"${CB[@]}" sync --full --json >/dev/null
[[ -n ${BASELINE:-} ]] && "${CBBASE[@]}" sync --full --json >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $RUNS rounds (load: $LOAD_BEFORE)"
for r in $(seq "$RUNS"); do
  timed ref "${REFREAD[@]}"
  timed full "${CB[@]}" sync --full --json
  [[ -n ${BASELINE:-} ]] && timed base "${CBBASE[@]}" sync --full --json
  timed inc "${CB[@]}" sync --json
  [[ -n ${BASELINE:-} ]] && timed baseinc "${CBBASE[@]}" sync --json
  timed inc304 "${CB[@]}" sync --json
  [[ -n ${BASELINE:-} ]] && timed baseinc2 "${CBBASE[@]}" sync --json
  printf 'round %d: reference %d ms, full %d ms, unchanged re-sync %d ms, then %d ms (%s)\n' "$r" \
    "$(tail -1 "$WORK/ref.times" | cut -d' ' -f1)" "$(tail -1 "$WORK/full.times" | cut -d' ' -f1)" \
    "$(tail -1 "$WORK/inc.times" | cut -d' ' -f1)" "$(tail -1 "$WORK/inc304.times" | cut -d' ' -f1)" \
    "$(jq -r 'if .synced[0].remote.not_modified then "304" else "listing read" end' "$WORK/inc304.out")"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
bytes() { jq '.synced[0].remote | .bytes_received + .bytes_sent' "$WORK/$1.out"; }
FULL_BYTES=$(bytes full)
INC_BYTES=$(bytes inc)
INC304_BYTES=$(bytes inc304)
ENTITIES=$(jq '.synced[0].snapshot.entity_count' "$WORK/full.out")
jq -c '.synced[0].remote' "$WORK/inc.out"
jq -c '.synced[0].remote' "$WORK/inc304.out"

echo "== editing 1 % of the entities ($((N / 100)) descriptions) and waiting for the server"
PART=$(ls "$DIR"/part-*.yaml | head -1)
EDITED=$((N / 100))
# The last $EDITED documents of the first part file that have a
# description (one JSON document a line).
mapfile -t EDIT < <(grep -n '"description":"' "$PART" | cut -d: -f1 | tail -n "$EDITED")
EDITED=${#EDIT[@]}
MARK="(edited $(date +%s))"
awk -v lines="${EDIT[*]}" -v mark="$MARK " 'BEGIN {n = split(lines, l, " "); for (i = 1; i <= n; i++) edit[l[i]] = 1}
  NR in edit {sub(/"description":"/, "&" mark)} {print}' "$PART" >"$PART.new"
mv "$PART.new" "$PART"
ref_of() { jq -r '"\(.kind):\(.metadata.namespace // "default")/\(.metadata.name)"'; }
FIRST=$(sed -n "${EDIT[0]}p" "$PART" | ref_of)
LAST=$(sed -n "${EDIT[-1]}p" "$PART" | ref_of)
LAST=${LAST,,}
FIRST=${FIRST,,}
# The part files are read when the generated Location entity is processed.
LOCATION=$(awk '/^  name:/ {print $2; exit}' "$DIR/catalog-info.yaml")
api -X POST -H 'Content-Type: application/json' -d "{\"entityRef\":\"location:default/$LOCATION\"}" "$URL/api/catalog/refresh" >/dev/null
edited() {
  api -X POST -H 'Content-Type: application/json' -d "{\"entityRefs\":[\"$FIRST\",\"$LAST\"]}" \
    "$URL/api/catalog/entities/by-refs" | jq --arg m "$MARK" '[.items[] | select(. != null) | select(.metadata.description // "" | startswith($m))] | length'
}
STARTED=$(date +%s)
until [[ $(edited) == 2 ]]; do
  if (($(date +%s) - STARTED > 300)); then echo "the server did not pick the edit up"; exit 1; fi
  sleep 1
done
wait_quiet 60 # the stitcher settles the rest of the file
timed changed "${CB[@]}" sync --json
CHANGED_BYTES=$(bytes changed)
jq -c '.synced[0].remote' "$WORK/changed.out"

echo
echo "== results: $ENTITIES entities, $RUNS rounds; load average before $LOAD_BEFORE, after $LOAD_AFTER"
summary ref "reference (page read)"
summary full "callboard sync --full"
[[ -n ${BASELINE:-} ]] && summary base "baseline sync --full"
summary inc "callboard re-sync"
[[ -n ${BASELINE:-} ]] && summary baseinc "baseline re-sync"
summary inc304 "callboard 2nd re-sync"
[[ -n ${BASELINE:-} ]] && summary baseinc2 "baseline 2nd re-sync"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
REF_MED=$(col ref 1 | median)
REF_MIN=$(col ref 1 | minimum)
FULL_MED=$(col full 1 | median)
FULL_MIN=$(col full 1 | minimum)
INC_MED=$(col inc 1 | median)
echo "target 1: full sync / reference: median $(ratio "$FULL_MED" "$REF_MED")x, min $(ratio "$FULL_MIN" "$REF_MIN")x (target <= 1.2x, stretch <= 1.0x)"
[[ -n ${BASELINE:-} ]] && echo "          baseline / reference: median $(ratio "$(col base 1 | median)" "$REF_MED")x, min $(ratio "$(col base 1 | minimum)" "$REF_MIN")x"
awk -v i="$INC_BYTES" -v f="$FULL_BYTES" -v ti="$INC_MED" -v tf="$FULL_MED" 'BEGIN {
  printf "target 2: unchanged re-sync %d bytes = %.2f %% of a full sync (%d bytes; target <= 10 %%), %d ms = %.2fx the full sync'"'"'s time (target < 1)\n", i, 100 * i / f, f, ti, ti / tf }'
awk -v i="$INC304_BYTES" -v f="$FULL_BYTES" -v ti="$(col inc304 1 | median)" -v tf="$FULL_MED" -v c="$(col inc304 2 | median)" -v cf="$(col full 2 | median)" 'BEGIN {
  printf "          2nd unchanged re-sync (listing ETags sent back): %d bytes = %.2f %%, %d ms = %.2fx the full sync'"'"'s time, CPU %.2fx\n", i, 100 * i / f, ti, ti / tf, c / cf }'
awk -v c="$CHANGED_BYTES" -v i="$INC_BYTES" -v f="$FULL_BYTES" -v e="$EDITED" 'BEGIN {
  printf "          re-sync after %d entities (1 %%) changed: %d bytes = %.2f %% of a full sync, %.2f %% more than unchanged (target about 1 %%)\n", e, c, 100 * c / f, 100 * (c - i) / f }'
echo "          that re-sync: $(cut -d' ' -f1 "$WORK/changed.times") ms wall ($(awk -v a="$(cut -d' ' -f1 "$WORK/changed.times")" -v b="$FULL_MED" 'BEGIN {printf "%.2f", a / b}')x the full sync's), $(cut -d' ' -f2 "$WORK/changed.times") ms CPU, $(cut -d' ' -f3 "$WORK/changed.times") KB peak RSS"
if [[ ${KEEP_BACKEND:-0} == 1 ]]; then
  # A kept backend re-processes its catalog every 30 minutes and skews
  # whatever is measured next on this machine: say so, loudly.
  echo "NOTE: the backend on $URL is still running (KEEP_BACKEND=1); stop it before measuring anything else: kill $(cat "$PIDFILE")" >&2
fi
