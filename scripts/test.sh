#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, starts the local
# servers (Samba, moto for S3, Azurite, fake-gcs-server) on free loopback ports,
# runs fmt, clippy and the whole workspace's tests against them, then stops them.
# Every "server not configured" skip is a failure here (HARMONY_REQUIRE_SERVERS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
export HARMONY_REQUIRE_SERVERS=1
. scripts/servers/lib.sh

# Build-time libraries first (pavao links libsmbclient), then servers install and
# start in the background while the workspace compiles.
NAME=build apt_install libsmbclient-dev pkg-config
servers_log=target/servers/start-all.log
scripts/servers/all.sh start >"$servers_log" 2>&1 &
servers_pid=$!
trap 'wait $servers_pid 2>/dev/null; scripts/servers/all.sh stop' EXIT

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --no-run

if ! wait $servers_pid; then
  cat "$servers_log" >&2
  echo "test servers failed to start" >&2
  exit 1
fi
cat "$servers_log"
. target/servers/all.env
# The behaviour tests open a repository the way a node does: from the vendor's settings
# file (here S3 on moto, with a rootPath and advancedProperties).
cat >target/servers/behavior-s3.yaml <<YAML
---
type: S3
rootPath: /shared-config
connectorProperties:
  bucket: $HARMONY_TEST_S3_BUCKET
  region: $HARMONY_TEST_S3_REGION
  protocol: HTTP
  endpoint: $HARMONY_TEST_S3_ENDPOINT
  accessKey: $HARMONY_TEST_S3_ACCESS_KEY
  secretAccessKey: $HARMONY_TEST_S3_SECRET_KEY
advancedProperties:
  outboxSort: Date/Time Modified
YAML
export HARMONY_TEST_REPO=$PWD/target/servers/behavior-s3.yaml
cargo test --workspace
