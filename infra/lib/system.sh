# Process management for infra/up and infra/down. Source after common.sh.
# shellcheck shell=bash

VAR_DIR="${CHOREO_VAR_DIR:-$CHOREO_ROOT/var}"
# The build tree whose bin/ infra/services starts.
export CHOREO_BUILD_DIR="${CHOREO_BUILD_DIR:-$CHOREO_ROOT/build}"
export_defaults CHOREO_ RABBIT_NODE=choreo@localhost RABBIT_PORT=5672 RABBIT_MGMT_PORT=15672 RABBIT_DIST_PORT=25672
export RABBIT_DIR="$VAR_DIR/broker"

# Non-comment lines of infra/services.
service_lines() { grep -v '^[[:space:]]*\(#\|$\)' "$CHOREO_ROOT/infra/services" || true; }

# A pid file alone can outlive its process and the pid be reused: a service counts as
# running only when that pid still runs the binary we started.
service_pid() {
  local name="$1" pidfile="$VAR_DIR/run/$1.pid" pid exe
  [ -f "$pidfile" ] || return 1
  read -r pid exe < "$pidfile" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] || return 1
  echo "$pid"
}

# Expands one infra/services line, [NAME=value ...] binary [args...], into SERVICE_ENV
# (the leading NAME=value words), SERVICE_ENV_NAMES (their names, for the log) and
# SERVICE_WORDS (the command). The leading NAME=value words go into the service's
# environment only. That is where URLs with passwords belong: a command line is
# world-readable (ps, /proc/<pid>/cmdline), and the log line of a start names those
# variables but never shows their values. The line is expanded here (in this shell,
# without running a program) and split on blanks without globbing.
service_expand() {
  local name="$1" line="$2"
  SERVICE_ENV=() SERVICE_WORDS=() SERVICE_ENV_NAMES=""
  line="$(eval "echo \"$line\"")"
  read -r -a SERVICE_WORDS <<< "$line"
  while [ ${#SERVICE_WORDS[@]} -gt 0 ] && [[ "${SERVICE_WORDS[0]}" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
    SERVICE_ENV+=("${SERVICE_WORDS[0]}")
    SERVICE_ENV_NAMES+="${SERVICE_ENV_NAMES:+, }${SERVICE_WORDS[0]%%=*}"
    SERVICE_WORDS=("${SERVICE_WORDS[@]:1}")
  done
  [ ${#SERVICE_WORDS[@]} -gt 0 ] || die "infra/services: $name has no command"
}

# Starts one service from its infra/services line, unsupervised (infra/chaos, which kills
# and restarts services itself): its pid file holds the service's own pid.
service_start() {
  local name="$1" line="$2" assignment
  if service_pid "$name" >/dev/null; then return 0; fi
  service_expand "$name" "$line"
  if [ ! -x "${SERVICE_WORDS[0]}" ]; then log "skip $name: ${SERVICE_WORDS[0]} is not built"; return 0; fi
  log "starting $name: ${SERVICE_WORDS[*]}${SERVICE_ENV_NAMES:+ (environment: $SERVICE_ENV_NAMES)}"
  # setsid: the service must not die with this shell, nor receive its terminal's signals.
  # Without job control the subshell leads no process group, so setsid execs in place and
  # $! is the service's own pid.
  (
    for assignment in "${SERVICE_ENV[@]}"; do export "$assignment"; done
    exec setsid nohup "${SERVICE_WORDS[@]}" >>"$VAR_DIR/log/$name.log" 2>&1 < /dev/null
  ) &
  local pid=$!
  echo "$pid $(readlink -f "${SERVICE_WORDS[0]}")" > "$VAR_DIR/run/$name.pid"
}

# The supervisor of `name` (infra/lib/supervise) when it runs: its pid, from the state
# file it writes, and only while that pid still runs the supervisor of this name.
supervisor_pid() {
  local state="$VAR_DIR/run/$1.state" pid
  [ -f "$state" ] || return 1
  pid="$(sed -n 's/^supervisor_pid=//p' "$state")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "infra/lib/supervise $1 " || return 1
  echo "$pid"
}

# Starts one service under its own supervisor (infra/up): restarted with backoff when it
# dies, reported when it crashes in a loop (see infra/lib/supervise). Same expansion and
# environment as service_start; the supervisor, like the service, gets the URLs through
# its environment. Adds the service to the run record being written (record.sh).
service_supervise() {
  local name="$1" line="$2" assignment
  service_expand "$name" "$line"
  record_service "$name"
  if supervisor_pid "$name" >/dev/null || service_pid "$name" >/dev/null; then return 0; fi
  if [ ! -x "${SERVICE_WORDS[0]}" ]; then log "skip $name: ${SERVICE_WORDS[0]} is not built"; return 0; fi
  log "starting $name: ${SERVICE_WORDS[*]}${SERVICE_ENV_NAMES:+ (environment: $SERVICE_ENV_NAMES)}, supervised"
  rm -f "$VAR_DIR/run/$name.state" "$VAR_DIR/run/$name.pid"
  # setsid: the supervisor must outlive infra/up and not receive its terminal's signals.
  (
    for assignment in "${SERVICE_ENV[@]}"; do export "$assignment"; done
    exec setsid nohup "$CHOREO_ROOT/infra/lib/supervise" "$name" "$VAR_DIR/run" "$VAR_DIR/log/$name.log" \
      -- "${SERVICE_WORDS[@]}" >>"$VAR_DIR/log/$name.log" 2>&1 < /dev/null
  ) &
  # Its first start is written before this returns, so the pid file is there for callers.
  local i
  for i in $(seq 1 50); do [ -f "$VAR_DIR/run/$name.pid" ] && break; sleep 0.02; done
}

# Every service of infra/services that is not running yet, one supervised process each
# (the embedded profile of infra/up; the cluster profile starts replicas, see profile.sh).
services_start() {
  local name line
  mkdir -p "$VAR_DIR/run" "$VAR_DIR/log" "$VAR_DIR/data"
  while read -r name line; do
    service_supervise "$name" "$line"
  done < <(service_lines)
}

# The web console (`choreo-admin console`, docs/operations.md), supervised like a service
# and recorded as one, but not a line of infra/services: it is no part of the system, an
# operator's tool beside it. It reads the broker, the stores and the workers' ports from
# the run record. CHOREO_CONSOLE_PORT [8070]; CHOREO_CONSOLE=0 leaves it out.
console_start() {
  [ "${CHOREO_CONSOLE:-1}" != 0 ] || return 0
  service_supervise console '$CHOREO_BUILD_DIR/bin/choreo-admin console --port ${CHOREO_CONSOLE_PORT:-8070}'
}

# Every service that has a pid or state file (infra/down), all at once: each drains its
# work for a moment after SIGTERM, which one after the other adds up.
services_stop() {
  local file name
  local -A pids=()
  for file in "$VAR_DIR"/run/*.pid "$VAR_DIR"/run/*.state; do
    [ -e "$file" ] || continue
    name="$(basename "$file")"; name="${name%.*}"
    [ -n "${pids[$name]+set}" ] && continue
    pids[$name]="$(service_term "$name")" || pids[$name]=""
  done
  for name in "${!pids[@]}"; do service_reap "$name" ${pids[$name]}; done
}

# SIGTERM to a running service, through its supervisor when it has one: the supervisor
# hears it first, so it does not restart what stops, and forwards it to the service.
# Prints the pids to wait for (fails when nothing runs).
service_term() {
  local name="$1" pid="" sup=""
  sup="$(supervisor_pid "$name")" || sup=""
  pid="$(service_pid "$name")" || pid=""
  [ -n "$sup$pid" ] || return 1
  if [ -n "$sup" ]; then
    log "stopping $name (supervisor pid $sup${pid:+, pid $pid})"
    kill -TERM "$sup" 2>/dev/null || true
  else
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  echo "$pid $sup"
}

# Waits up to 15 s for the pids (none, the service's, its supervisor's) to exit, then
# SIGKILLs what is left, the service first: its supervisor, already stopping, then exits
# without a restart. Removes the pid and state files.
service_reap() {
  local name="$1" i p alive
  shift
  for i in $(seq 1 150); do
    alive=""
    for p in "$@"; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    [ -n "$alive" ] || break
    sleep 0.1
  done
  for p in "$@"; do
    if kill -0 "$p" 2>/dev/null; then log "$name (pid $p) did not stop in 15 s: SIGKILL"; kill -KILL "$p" 2>/dev/null || true; fi
  done
  rm -f "$VAR_DIR/run/$name.pid" "$VAR_DIR/run/$name.state"
}

service_stop() {
  local pids
  pids="$(service_term "$1")" || pids=""
  service_reap "$1" $pids
}

# What runs where, from the run record and the supervisors' state files (infra/status).
print_status() {
  echo
  status_text
  echo "stop everything with: infra/down"
}

source "$CHOREO_ROOT/infra/lib/record.sh"
source "$CHOREO_ROOT/infra/lib/status.sh"
