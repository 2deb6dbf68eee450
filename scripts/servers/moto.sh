#!/usr/bin/env bash
# S3 test server: moto (in-memory S3 emulator) from the project venv.
# Usage: moto.sh start|stop|env
set -euo pipefail
NAME=moto
# shellcheck source=scripts/servers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_VERSION=5.2.5
BUCKET=harmony-test

install() {
  # moto[server] drags in every service's deps (cfn-lint, sympy, docker...,
  # ~350 MB, 1-2 min); S3 plus the Flask server is all we need (~140 MB).
  venv_install "moto[s3]==$MOTO_VERSION" flask flask-cors
}

start() {
  local port url
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  # moto keeps everything in memory, so each start is a fresh, empty store.
  # moto_serial.py: moto with its requests applied one at a time, so conditional
  # writes are atomic as on S3 (plain moto_server loses concurrent CAS updates).
  spawn "$NAME" "$VENV/bin/python" "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/moto_serial.py" 127.0.0.1 "$port"
  wait_port 127.0.0.1 "$port" 120
  # moto accepts an unsigned bucket PUT, but denies anonymous object GETs, and
  # Flask eats form-encoded bodies: sign with SigV4 and send octet-stream.
  local s3=(curl -fsS --aws-sigv4 aws:amz:us-east-1:s3 --user testing:testing
    -H 'Content-Type: application/octet-stream')
  "${s3[@]}" -o /dev/null -X PUT "$url/$BUCKET"
  # Round trip, so a broken server fails here rather than in the tests.
  "${s3[@]}" -o /dev/null -X PUT --data-binary ping "$url/$BUCKET/.probe"
  [[ "$("${s3[@]}" "$url/$BUCKET/.probe")" == ping ]] || die "S3 round trip failed"
  "${s3[@]}" -o /dev/null -X DELETE "$url/$BUCKET/.probe"
  write_env "$NAME" \
    HARMONY_TEST_S3_ENDPOINT="$url" \
    HARMONY_TEST_S3_BUCKET="$BUCKET" \
    HARMONY_TEST_S3_REGION=us-east-1 \
    HARMONY_TEST_S3_ACCESS_KEY=testing \
    HARMONY_TEST_S3_SECRET_KEY=testing
}

server_main "$@"
