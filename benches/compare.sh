#!/usr/bin/env bash
# config-sync vs rclone sync, side by side, on every endpoint that runs here.
#
#   bash benches/compare.sh            # 5,000 files (200 B..64 KiB, three levels)
#   bash benches/compare.sh --quick    # 500 files: a smoke run
#   options: --files N, --local-only (no servers), --no-build
#
# For each endpoint (a local folder always; S3 on moto, Azure Blob on Azurite, GCS on
# fake-gcs-server, SMB on Samba once harmony-repo-any serves smb://) it times, with the
# same concurrency (config-sync -j 16; rclone --transfers 16 --checkers 16):
#   (a) a cold push into an empty destination, (b) a no-op re-sync, (c) a re-sync after
#   1% of the files changed; plus our no-op without the sync-state record (--no-state).
# and prints a table of times and ratios against the targets of issue 5 (cold push
# <= 0.5x rclone, no-op <= 0.1x rclone), with the requests our no-op plan makes.
#
# Servers are started into target/bench-servers (their own state dir) and stopped at
# exit. Builds go to $CARGO_TARGET_DIR (default target/). Needs: cargo, python3, and
# apt-get for rclone (Debian's package) when it is missing.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 1
FILES=5000
LOCAL_ONLY=0
BUILD=1
while (($#)); do
  case $1 in
    --quick) FILES=500 ;;
    --files) FILES=$2; shift ;;
    --local-only) LOCAL_ONLY=1 ;;
    --no-build) BUILD=0 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

JOBS=16
SYSTEM=Bench
T0=$SECONDS
TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
BIN="$TARGET/release"
WORK="$REPO/target/bench-compare"
SERVERS_DIR="$REPO/target/bench-servers"
SRC="$WORK/src"
RESULTS="$WORK/results.tsv"
RUN_ID="$(date +%s)-$$" # a fresh prefix per run in the object stores

say() { printf '[compare] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- build and tools
if ((BUILD)); then
  say "building config-sync and the bench helpers (release)"
  cargo build --release -q -p harmony-repo-examples -p harmony-repo-benches --bins ||
    { say "build failed"; exit 1; }
fi
for b in config-sync bench-tree sync-requests; do
  [[ -x $BIN/$b ]] || { say "missing $BIN/$b (build with cargo build --release)"; exit 1; }
done
if ! command -v rclone >/dev/null; then
  say "installing rclone (Debian package)"
  apt=(apt-get -q -o DPkg::Lock::Timeout=300)
  { "${apt[@]}" update && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y \
    --no-install-recommends rclone; } >&2 || { say "could not install rclone"; exit 1; }
fi
RCLONE_VERSION="$(rclone version 2>/dev/null | head -1)"

rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/dst"
: >"$RESULTS"
# Our sync-state records go here, not into ~/.cache.
export XDG_CACHE_HOME="$WORK/cache"
# rclone: remotes come from RCLONE_CONFIG_* variables only, no config file.
export RCLONE_CONFIG="$WORK/rclone.conf.absent"
RCLONE_FLAGS=(--transfers "$JOBS" --checkers "$JOBS" --log-level ERROR --stats 0)

# ---------------------------------------------------------------- servers
SERVERS=()
smb_wired() { grep -q 'harmony-repo-smb' backends/any/Cargo.toml 2>/dev/null; }
if ((!LOCAL_ONLY)); then
  SERVERS=(moto azurite fake-gcs)
  if [[ -d backends/smb ]] && smb_wired; then SERVERS+=(samba); fi
fi
stop_servers() {
  local s
  for s in "${SERVERS[@]}"; do
    HARMONY_STATE_DIR="$SERVERS_DIR" "scripts/servers/$s.sh" stop >/dev/null 2>&1
  done
}
trap stop_servers EXIT
STARTED=()
for s in "${SERVERS[@]}"; do
  say "starting $s"
  if HARMONY_STATE_DIR="$SERVERS_DIR" "scripts/servers/$s.sh" start >"$WORK/logs/start-$s.log" 2>&1; then
    # shellcheck disable=SC1090
    . "$SERVERS_DIR/$s.env"
    STARTED+=("$s")
  else
    say "$s did not start: skipping its endpoint (log: $WORK/logs/start-$s.log)"
    tail -n 5 "$WORK/logs/start-$s.log" >&2
  fi
done
started() { [[ " ${STARTED[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- the tree
say "generating $FILES files"
"$BIN/bench-tree" gen "$SRC" "$FILES" >&2 || exit 1
TREE_BYTES="$(du -sb "$SRC" | cut -f1)"
ROUND=0

# ---------------------------------------------------------------- timing
# timed NAME CMD...: runs CMD, logs to logs/NAME.{out,err}; prints seconds, or FAIL.
timed() {
  local name=$1 t1 t2 rc
  shift
  t1=$(date +%s.%N)
  "$@" >"$WORK/logs/$name.out" 2>"$WORK/logs/$name.err"
  rc=$?
  t2=$(date +%s.%N)
  if ((rc)); then
    say "$name failed (exit $rc):"
    { tail -n 5 "$WORK/logs/$name.err"; tail -n 3 "$WORK/logs/$name.out"; } | sed 's/^/    /' >&2
    echo FAIL
  else
    awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }'
  fi
}

# json FILE KEY...: prints the values of KEYs of the JSON document in FILE.
json() {
  python3 - "$@" <<'EOF' 2>/dev/null
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(" ".join(str(d.get(k, "?")) for k in sys.argv[2:]))
except Exception:
    print("?")
EOF
}

# account_sas ACCOUNT KEY ENDPOINT: a blob-service SAS URL (all permissions) for rclone.
account_sas() {
  python3 - "$@" <<'EOF'
import base64, hashlib, hmac, sys, urllib.parse
account, key, endpoint = sys.argv[1:4]
sp, ss, srt, se, spr, sv = "rwdlacup", "b", "sco", "2099-01-01T00:00:00Z", "http,https", "2019-12-12"
to_sign = "\n".join([account, sp, ss, srt, "", se, "", spr, sv, ""])
sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest())
q = {"sv": sv, "ss": ss, "srt": srt, "sp": sp, "se": se, "spr": spr, "sig": sig.decode()}
print(endpoint.rstrip("/") + "?" + urllib.parse.urlencode(q))
EOF
}

ours() { "$BIN/config-sync" --repo "$OURS_URL" --system "$SYSTEM" -j "$JOBS" --json "$@"; }
theirs() { env -u AWS_CA_BUNDLE rclone sync "$SRC" "$RCLONE_DST" "${RCLONE_FLAGS[@]}"; }

# row ENDPOINT SCENARIO OURS RCLONE NOTE
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# what NAME: a short account of what our run did, from its --json summary.
what() {
  local f="$WORK/logs/$1.out"
  [[ -s $f ]] || return 0
  json "$f" created updated unchanged failed conflicts |
    awk '{ printf "c=%s u=%s same=%s fail=%s", $1, $2, $3, $4 + $5 }'
}

bench_endpoint() {
  local ep=$1 o r req note
  say "== $ep: cold push"
  o=$(timed "$ep-cold-ours" ours push "$SRC")
  r=$(timed "$ep-cold-rclone" theirs)
  row "$ep" "cold push" "$o" "$r" "$(what "$ep-cold-ours")"

  say "== $ep: no-op re-sync"
  # First the requests the no-op will make (sync-requests plans only: it leaves the
  # sync-state record as the cold push wrote it), then the timed no-op itself.
  note=""
  if "$BIN/sync-requests" "$OURS_URL" "$SYSTEM" "$SRC" >"$WORK/logs/$ep-requests.out" 2>"$WORK/logs/$ep-requests.err"; then
    req="$(json "$WORK/logs/$ep-requests.out" src_listings src_per_object dst_listings dst_per_object list_seconds changes)"
    # shellcheck disable=SC2086
    set -- $req
    note="; requests: src $1 listing calls + $2 per-object, dst $3 listing calls + $4 per-object (floor: 1 listing per side); bare listing of both sides ${5}s"
    [[ $6 == 0 ]] || note="$note; PLAN NOT EMPTY: $6 changes"
    printf '%s\n' "$5" >"$WORK/logs/$ep-floor"
  else
    note="; request count failed: $(tail -n 1 "$WORK/logs/$ep-requests.err")"
  fi
  o=$(timed "$ep-noop-ours" ours push "$SRC")
  r=$(timed "$ep-noop-rclone" theirs)
  note="$(what "$ep-noop-ours")$note"
  row "$ep" "no-op" "$o" "$r" "$note"

  o=$(timed "$ep-noop-nostate-ours" ours --no-state push "$SRC")
  row "$ep" "no-op, --no-state" "$o" "$r" "$(what "$ep-noop-nostate-ours") (rclone: same no-op run)"

  say "== $ep: 1% changed"
  ROUND=$((ROUND + 1))
  "$BIN/bench-tree" change "$SRC" "$FILES" "$ROUND" >/dev/null
  o=$(timed "$ep-changed-ours" ours push "$SRC")
  r=$(timed "$ep-changed-rclone" theirs)
  row "$ep" "1% changed" "$o" "$r" "$(what "$ep-changed-ours")"
}

# ---------------------------------------------------------------- endpoints
OURS_URL="$WORK/dst/ours"
RCLONE_DST="$WORK/dst/rclone/$SYSTEM"
bench_endpoint local

if started moto; then
  export AWS_ACCESS_KEY_ID="$HARMONY_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HARMONY_TEST_S3_SECRET_KEY"
  OURS_URL="s3://$HARMONY_TEST_S3_BUCKET/ours-$RUN_ID?endpoint=$HARMONY_TEST_S3_ENDPOINT&region=us-east-1"
  export RCLONE_CONFIG_BS3_TYPE=s3 RCLONE_CONFIG_BS3_PROVIDER=Other \
    RCLONE_CONFIG_BS3_ACCESS_KEY_ID="$HARMONY_TEST_S3_ACCESS_KEY" \
    RCLONE_CONFIG_BS3_SECRET_ACCESS_KEY="$HARMONY_TEST_S3_SECRET_KEY" \
    RCLONE_CONFIG_BS3_ENDPOINT="$HARMONY_TEST_S3_ENDPOINT" RCLONE_CONFIG_BS3_REGION=us-east-1 \
    RCLONE_CONFIG_BS3_FORCE_PATH_STYLE=true
  RCLONE_DST="bs3:$HARMONY_TEST_S3_BUCKET/rclone-$RUN_ID/$SYSTEM"
  bench_endpoint "s3 (moto)"
fi

if started azurite; then
  export AZURE_STORAGE_ACCOUNT_KEY="$HARMONY_TEST_AZURE_KEY"
  OURS_URL="az://$HARMONY_TEST_AZURE_ACCOUNT/$HARMONY_TEST_AZURE_CONTAINER/ours-$RUN_ID?endpoint=$HARMONY_TEST_AZURE_ENDPOINT"
  # rclone 1.60's azureblob takes an endpoint *suffix* (https://ACCOUNT.SUFFIX) or the
  # emulator at the fixed 127.0.0.1:10000; a SAS URL reaches Azurite on its own port.
  RCLONE_CONFIG_BAZ_SAS_URL="$(account_sas "$HARMONY_TEST_AZURE_ACCOUNT" "$HARMONY_TEST_AZURE_KEY" "$HARMONY_TEST_AZURE_ENDPOINT")"
  export RCLONE_CONFIG_BAZ_TYPE=azureblob RCLONE_CONFIG_BAZ_SAS_URL
  RCLONE_DST="baz:$HARMONY_TEST_AZURE_CONTAINER/rclone-$RUN_ID/$SYSTEM"
  bench_endpoint "azure (azurite)"
fi

if started fake-gcs; then
  OURS_URL="gs://$HARMONY_TEST_GCS_BUCKET/ours-$RUN_ID?endpoint=$HARMONY_TEST_GCS_ENDPOINT"
  export RCLONE_CONFIG_BGS_TYPE="google cloud storage" RCLONE_CONFIG_BGS_ANONYMOUS=true \
    RCLONE_CONFIG_BGS_ENDPOINT="$HARMONY_TEST_GCS_ENDPOINT/storage/v1/"
  RCLONE_DST="bgs:$HARMONY_TEST_GCS_BUCKET/rclone-$RUN_ID/$SYSTEM"
  bench_endpoint "gcs (fake-gcs)"
fi

if started samba; then
  RCLONE_CONFIG_BSMB_PASS="$(rclone obscure "$HARMONY_TEST_SMB_PASSWORD")"
  OURS_URL="smb://$HARMONY_TEST_SMB_USER:$HARMONY_TEST_SMB_PASSWORD@127.0.0.1:$HARMONY_TEST_SMB_PORT/${HARMONY_TEST_SMB_URL##*/}/ours-$RUN_ID"
  export RCLONE_CONFIG_BSMB_TYPE=smb RCLONE_CONFIG_BSMB_HOST=127.0.0.1 \
    RCLONE_CONFIG_BSMB_PORT="$HARMONY_TEST_SMB_PORT" RCLONE_CONFIG_BSMB_USER="$HARMONY_TEST_SMB_USER" \
    RCLONE_CONFIG_BSMB_PASS
  RCLONE_DST="bsmb:${HARMONY_TEST_SMB_URL##*/}/rclone-$RUN_ID/$SYSTEM"
  bench_endpoint "smb (samba)"
elif ((!LOCAL_ONLY)); then
  say "SMB skipped: harmony-repo-any does not serve smb:// yet (no harmony-repo-smb dependency)"
fi

# ---------------------------------------------------------------- the table
stop_servers
trap - EXIT
ELAPSED=$((SECONDS - T0))
echo
echo "config-sync vs rclone sync: $FILES files, $TREE_BYTES bytes, three levels; -j $JOBS vs --transfers $JOBS --checkers $JOBS"
echo "($RCLONE_VERSION; $(nproc) cores; whole run ${ELAPSED}s)"
echo
awk -F'\t' -v work="$WORK" '
function floor_of(ep,   f, v) { f = work "/logs/" ep "-floor"; v = ""; if ((getline v < f) > 0) close(f); return v }
BEGIN {
  printf "| %-16s | %-17s | %8s | %10s | %11s | %-40s |\n", "endpoint", "scenario", "ours (s)", "rclone (s)", "ours/rclone", "target"
  printf "|%s|%s|%s|%s|%s|%s|\n", "------------------", "-------------------", "----------", "------------", "-------------", "------------------------------------------"
}
{
  ep = $1; sc = $2; o = $3; r = $4
  ratio = (o == "FAIL" || r == "FAIL" || r + 0 == 0) ? "-" : sprintf("%.2f", o / r)
  tgt = ""
  if (sc == "cold push") tgt = "<= 0.5x"
  if (sc ~ /^no-op/) tgt = "<= 0.1x"
  if (tgt != "" && ratio != "-") {
    lim = substr(tgt, 4) + 0
    tgt = tgt sprintf(" (%.2fs): %s", lim * r, (ratio + 0 <= lim) ? "met" : "NOT met")
    if (sc ~ /^no-op/) {
      fl = floor_of(ep)
      if (fl != "" && fl + 0 > lim * r) tgt = tgt sprintf("; floor %.2fs = %.2fx", fl, fl / r)
    }
  }
  printf "| %-16s | %-17s | %8s | %10s | %11s | %-40s |\n", ep, sc, o, r, ratio, tgt
  notes[NR] = ep " / " sc ": " $5
}
END { print ""; for (i = 1; i <= NR; i++) if (notes[i] !~ /: $/) print "  " notes[i] }
' "$RESULTS"
echo
echo "ours: config-sync --repo URL --system $SYSTEM -j $JOBS --json push SRC (c/u/same/fail from its summary);"
echo "floor: one bare listing of each side, timed by sync-requests; logs in $WORK/logs"
