#!/usr/bin/env bash
# Azure Blob test server: Azurite (blob service only), installed with npm into
# target/tools/azurite (project-local). Usage: azurite.sh start|stop|env
set -euo pipefail
NAME=azurite
HERE="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/servers/lib.sh
. "$HERE/lib.sh"

AZURITE_VERSION=3.37.0
AZ_DIR="$TOOLS_DIR/azurite"
CONTAINER=harmony-test
# Azurite's well-known, public development account (not a secret).
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

install() {
  command -v npm >/dev/null || apt_install nodejs npm
  local have
  have="$(node -p 'require(process.argv[1]).version' "$AZ_DIR/node_modules/azurite/package.json" 2>/dev/null)" || true
  [[ $have == "$AZURITE_VERSION" && -x $AZ_DIR/node_modules/.bin/azurite-blob ]] && return 0
  log "npm install azurite@$AZURITE_VERSION"
  mkdir -p "$AZ_DIR"
  npm install --prefix "$AZ_DIR" --no-fund --no-audit --loglevel=error "azurite@$AZURITE_VERSION" >&2
}

start() {
  local port endpoint data
  port="$(free_port)"
  endpoint="http://127.0.0.1:$port/$ACCOUNT"
  data="$STATE_DIR/azurite"
  rm -rf "$data"
  mkdir -p "$data"
  spawn "$NAME" "$AZ_DIR/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$data" --silent --skipApiVersionCheck --disableTelemetry
  wait_port 127.0.0.1 "$port" 120
  local az=(python3 "$HERE/azure_sharedkey.py")
  "${az[@]}" PUT "$endpoint/$CONTAINER?restype=container" >/dev/null
  # Round trip, so a broken server fails here rather than in the tests.
  "${az[@]}" PUT "$endpoint/$CONTAINER/.probe" ping >/dev/null
  [[ "$("${az[@]}" GET "$endpoint/$CONTAINER/.probe")" == ping ]] || die "Azure round trip failed"
  "${az[@]}" DELETE "$endpoint/$CONTAINER/.probe" >/dev/null
  write_env "$NAME" \
    HARMONY_TEST_AZURE_ENDPOINT="$endpoint" \
    HARMONY_TEST_AZURE_ACCOUNT="$ACCOUNT" \
    HARMONY_TEST_AZURE_KEY="$KEY" \
    HARMONY_TEST_AZURE_CONTAINER="$CONTAINER"
}

server_main "$@"
