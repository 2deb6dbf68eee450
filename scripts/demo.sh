#!/usr/bin/env bash
# The main job on the embedded default: push the sample configuration tree into the
# `file` repository ./shared-config (no server needed), then diff it: nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/servers/lib.sh
# Building every backend links libsmbclient (the SMB backend).
NAME=build apt_install libsmbclient-dev pkg-config
run() { echo "+ $*" >&2; "$@"; }
run cargo build -q --release -p harmony-repo-examples --bin config-sync
run target/release/config-sync --repo shared-config --system Demo push examples/sample-config
run target/release/config-sync --repo shared-config --system Demo diff examples/sample-config
