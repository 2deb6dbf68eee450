# shellcheck shell=bash
# Shared helpers for the local test-server scripts in this folder.
# Sourced, not run. The sourcing script sets NAME (its server's name) first,
# defines `install` and `start`, then calls `server_main "$@"`.
#
# Layout (all build output, never committed):
#   $STATE_DIR/NAME.pid  PID of the server (leader of its own process group)
#   $STATE_DIR/NAME.log  its stdout/stderr
#   $STATE_DIR/NAME.env  `export KEY=VALUE` lines for the tests
#   $STATE_DIR/NAME.lock held while NAME starts or stops
#   $TOOLS_DIR           project-local installs (Python venv, npm packages),
#                        default $REPO/target/tools, override HARMONY_TOOLS_DIR
# Several scripts may run at once (all.sh, parallel CI steps, developers):
# installs are serialised by $TOOLS_DIR/install.lock.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${HARMONY_STATE_DIR:-$REPO/target/servers}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)" # absolute: it goes into config files
TOOLS_DIR="${HARMONY_TOOLS_DIR:-$REPO/target/tools}"
mkdir -p "$TOOLS_DIR"
VENV="$TOOLS_DIR/venv"

log() { printf '[%s] %s\n' "${NAME:-servers}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print a free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Print the tail of a server's log to stderr (once per script run).
dump_log() {
  local f="$STATE_DIR/$1.log"
  [[ ${_dumped:-} == "$1" ]] && return 0
  _dumped=$1
  [[ -f $f ]] || { log "no log at $f"; return 0; }
  printf '===== %s (last 80 lines) =====\n' "$f" >&2
  tail -n 80 "$f" >&2
  printf '===== end of %s =====\n' "$f" >&2
}

# True when PID exists and is not a zombie (an exited child waits as a zombie
# until its parent, often PID 1, reaps it; kill -0 still succeeds then).
alive() {
  local st
  st="$(proc_stat "$1" 1)" && [[ $st != Z ]]
}

# proc_stat PID N: Nth field of /proc/PID/stat after the command name
# (1 = state, 3 = process group). Uses /proc, so no need for procps.
proc_stat() {
  local s f
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  read -ra f <<<"${s##*) }"
  echo "${f[$2 - 1]}"
}

# True when the PID stored for NAME is alive.
is_running() {
  local pid
  pid="$(cat "$STATE_DIR/$1.pid" 2>/dev/null)" || return 1
  [[ -n $pid ]] && alive "$pid"
}

# wait_port HOST PORT TIMEOUT [NAME]: wait until HOST:PORT accepts connections.
# Fails (dumping the server's log) on timeout or if the server died.
wait_port() {
  local host=$1 port=$2 timeout=$3 name=${4:-${NAME:-}} deadline
  deadline=$((SECONDS + timeout))
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if [[ -n $name ]] && ! is_running "$name"; then
      log "$name exited before opening $host:$port"; dump_log "$name"; return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$host:$port not open after ${timeout}s"; dump_log "$name"; return 1
    fi
    sleep 0.2
  done
}

# write_env NAME KEY=VALUE...: write $STATE_DIR/NAME.env (atomically).
write_env() {
  local name=$1 kv
  shift
  for kv in "$@"; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done >"$STATE_DIR/$name.env.tmp"
  mv "$STATE_DIR/$name.env.tmp" "$STATE_DIR/$name.env"
}

# spawn NAME CMD...: run CMD in the background in a new session (so its
# children share its process group), log to NAME.log, PID to NAME.pid.
# The PID is written by the process itself, so it is right even if setsid forks.
spawn() {
  local name=$1
  shift
  rm -f "$STATE_DIR/$name.pid"
  : >"$STATE_DIR/$name.log"
  # shellcheck disable=SC2016 # expanded by the inner bash
  # (fds 8 and 9 are our locks: the server must not inherit them)
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$STATE_DIR/$name.pid" "$@" \
    </dev/null >>"$STATE_DIR/$name.log" 2>&1 8>&- 9>&- &
  for _ in $(seq 50); do [[ -s $STATE_DIR/$name.pid ]] && return 0; sleep 0.1; done
  die "$name did not start"
}

# stop_pidfile FILE LABEL: stop the process whose PID is in FILE, with its
# whole process group; SIGKILL after 10 s. Fine if it is not running.
stop_pidfile() {
  local pidfile=$1 label=$2 pid
  pid="$(cat "$pidfile" 2>/dev/null)" || true
  if [[ -n $pid ]] && alive "$pid"; then
    log "stopping $label (pid $pid)"
    # Only signal the group if the PID still leads it (guards against reuse).
    if [[ "$(proc_stat "$pid" 3)" == "$pid" ]]; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 100); do
        alive "$pid" || break
        sleep 0.1
      done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# stop_pid NAME: stop the server in NAME.pid (and its children); drop its env.
stop_pid() {
  stop_pidfile "$STATE_DIR/$1.pid" "$1"
  rm -f "$STATE_DIR/$1.env"
}

# How server_main stops a server; a script may redefine it to stop more.
stop_server() { stop_pid "$NAME"; }

# apt_install PKG...: install the Debian packages that are missing; runs
# `apt-get update` once per run, and only when something must be installed.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  local apt=(apt-get -q -o DPkg::Lock::Timeout=300)
  if [[ -z ${HARMONY_APT_UPDATED:-} ]]; then
    "${apt[@]}" update >&2
    export HARMONY_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2
}

# venv_install SPEC...: create the project venv if needed and pip-install the
# specs (e.g. 'moto[server]==5.2.5') whose distribution is missing or at
# another version than pinned.
venv_install() {
  if [[ ! -x $VENV/bin/pip ]]; then
    log "creating venv $VENV"
    mkdir -p "$TOOLS_DIR"
    # Debian's own python3 needs python3-venv for this; pyenv's has it built in.
    python3 -m venv --clear "$VENV" || { apt_install python3-venv && python3 -m venv --clear "$VENV"; }
  fi
  local missing=() spec dist want have
  for spec in "$@"; do
    dist=${spec%%[<>=[]*}
    want=""
    [[ $spec == *==* ]] && want=${spec##*==}
    have="$("$VENV/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$dist" 2>/dev/null)" || have=""
    if [[ -z $have || (-n $want && $have != "$want") ]]; then missing+=("$spec"); fi
  done
  ((${#missing[@]})) || return 0
  log "pip install ${missing[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}" >&2
}

# server_main ARGS: the start|stop|env dispatcher shared by the server scripts.
server_main() {
  case "${1:-}" in
    start | stop) # one start/stop of NAME at a time (fd 8 = the lock)
      exec 8>"$STATE_DIR/$NAME.lock"
      flock -w 900 8 || die "timed out waiting for $STATE_DIR/$NAME.lock"
      ;;
  esac
  case "${1:-}" in
    start)
      stop_server
      exec 9>"$TOOLS_DIR/install.lock" # one install at a time (fd 9)
      flock -w 900 9 || die "timed out waiting for $TOOLS_DIR/install.lock"
      install
      exec 9>&-
      # If anything below fails: show the log, leave no half-started server.
      trap 'if (($?)); then log "start failed"; dump_log "$NAME"; stop_server; fi' EXIT
      start
      trap - EXIT
      log "ready; env in $STATE_DIR/$NAME.env"
      ;;
    stop) stop_server ;;
    env)
      [[ -f $STATE_DIR/$NAME.env ]] || die "not running (no $STATE_DIR/$NAME.env); run: $0 start"
      cat "$STATE_DIR/$NAME.env"
      ;;
    *)
      echo "usage: $0 start|stop|env" >&2
      exit 2
      ;;
  esac
}
