#!/usr/bin/env bash
# SMB test server: a private smbd (Debian's samba) with its own smb.conf and
# every state/lock/log dir under $STATE_DIR/samba, on a free loopback port.
# Runs as root (smbd needs it to switch users). Usage: samba.sh start|stop|env
set -euo pipefail
NAME=samba
# shellcheck source=scripts/servers/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMB_USER=harmonytest
SMB_PASSWORD=harmony-test-pw
SHARE=share
DIR="$STATE_DIR/samba"
CONF="$DIR/smb.conf"

install() {
  # libsmbclient-dev + pkg-config: for the Rust crate that links libsmbclient.
  apt_install samba smbclient libsmbclient-dev pkg-config
  # A Unix account for the Samba user to map to (no home, no login).
  id -u "$SMB_USER" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$SMB_USER"
}

# smbd starts samba-dcerpcd on demand (for RPC, e.g. listing shares) in a
# session of its own, which outlives smbd: stop it by its pid file too.
stop_server() {
  stop_pid "$NAME"
  stop_pidfile "$DIR/run/samba-dcerpcd.pid" samba-dcerpcd
}

write_conf() {
  local port=$1
  cat >"$CONF" <<CONF
[global]
  server role = standalone server
  workgroup = WORKGROUP
  security = user
  map to guest = never
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $port
  disable netbios = yes
  server min protocol = SMB2_02
  passdb backend = tdbsam:$DIR/private/passdb.tdb
  private dir = $DIR/private
  lock directory = $DIR/lock
  state directory = $DIR/state
  cache directory = $DIR/cache
  pid directory = $DIR/run
  ncalrpc dir = $DIR/ncalrpc
  binddns dir = $DIR/bind-dns
  log file = $DIR/log/log.%m
  log level = 1
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes

[$SHARE]
  path = $DIR/$SHARE
  read only = no
  browseable = yes
  valid users = $SMB_USER
  # Files are owned by root, so tests (run as root) can also touch them locally.
  force user = root
CONF
}

start() {
  local port
  port="$(free_port)"
  # Fresh state each start: config, password db, share contents.
  rm -rf "$DIR"
  mkdir -p "$DIR"/{private,lock,state,cache,run,ncalrpc,bind-dns,log,"$SHARE"}
  chmod 700 "$DIR/private"
  write_conf "$port"
  printf '%s\n%s\n' "$SMB_PASSWORD" "$SMB_PASSWORD" |
    smbpasswd -s -c "$CONF" -a "$SMB_USER" >"$DIR/log/smbpasswd.out" 2>&1 ||
    { cat "$DIR/log/smbpasswd.out" >&2; die "smbpasswd failed"; }
  spawn "$NAME" smbd --foreground --no-process-group --debug-stdout -s "$CONF" -l "$DIR/log"
  wait_port 127.0.0.1 "$port" 120
  # Round trip through a real SMB client (put, get, rm).
  local tmp
  tmp="$(mktemp -d)"
  echo ping >"$tmp/up"
  smbclient "//127.0.0.1/$SHARE" -p "$port" -U "$SMB_USER%$SMB_PASSWORD" -m SMB3 \
    -c "lcd $tmp; put up .probe; get .probe down; rm .probe" >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; rm -rf "$tmp"; die "smbclient round trip failed"; }
  cmp -s "$tmp/up" "$tmp/down" || { rm -rf "$tmp"; die "SMB round trip returned other data"; }
  rm -rf "$tmp"
  write_env "$NAME" \
    HARMONY_TEST_SMB_URL="smb://127.0.0.1:$port/$SHARE" \
    HARMONY_TEST_SMB_USER="$SMB_USER" \
    HARMONY_TEST_SMB_PASSWORD="$SMB_PASSWORD" \
    HARMONY_TEST_SMB_PORT="$port" \
    HARMONY_TEST_SMB_DIR="$DIR/$SHARE"
}

server_main "$@"
