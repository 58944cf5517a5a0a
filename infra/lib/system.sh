# Process management for infra/up and infra/down. Source after common.sh.
# shellcheck shell=bash

VAR_DIR="${CHOREO_VAR_DIR:-$CHOREO_ROOT/var}"
# The build tree whose bin/ infra/services starts.
export CHOREO_BUILD_DIR="${CHOREO_BUILD_DIR:-$CHOREO_ROOT/build}"
export RABBIT_NODE="${CHOREO_RABBIT_NODE:-choreo@localhost}"
export RABBIT_PORT="${CHOREO_RABBIT_PORT:-5672}"
export RABBIT_MGMT_PORT="${CHOREO_RABBIT_MGMT_PORT:-15672}"
export RABBIT_DIST_PORT="${CHOREO_RABBIT_DIST_PORT:-25672}"
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

# Starts one service from its infra/services line: [NAME=value ...] binary [args...].
# The leading NAME=value words go into the service's environment only. That is where URLs
# with passwords belong: a command line is world-readable (ps, /proc/<pid>/cmdline), and
# the log line below names those variables but never shows their values. The line is
# expanded here (in this shell, without running a program), split on blanks without
# globbing, and the binary exec'd from a subshell that exported the assignments.
service_start() {
  local name="$1" line="$2" bin names="" assignment
  local -a words=() env=()
  if service_pid "$name" >/dev/null; then return 0; fi
  line="$(eval "echo \"$line\"")"
  read -r -a words <<< "$line"
  while [ ${#words[@]} -gt 0 ] && [[ "${words[0]}" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
    env+=("${words[0]}")
    names+="${names:+, }${words[0]%%=*}"
    words=("${words[@]:1}")
  done
  [ ${#words[@]} -gt 0 ] || die "infra/services: $name has no command"
  bin="${words[0]}"
  if [ ! -x "$bin" ]; then log "skip $name: $bin is not built"; return 0; fi
  log "starting $name: ${words[*]}${names:+ (environment: $names)}"
  # setsid: the service must not die with this shell, nor receive its terminal's signals.
  # Without job control the subshell leads no process group, so setsid execs in place and
  # $! is the service's own pid.
  (
    for assignment in "${env[@]}"; do export "$assignment"; done
    exec setsid nohup "${words[@]}" >>"$VAR_DIR/log/$name.log" 2>&1 < /dev/null
  ) &
  local pid=$!
  echo "$pid $(readlink -f "$bin")" > "$VAR_DIR/run/$name.pid"
}

# Every service of infra/services that is not running yet (infra/up).
services_start() {
  local name line
  mkdir -p "$VAR_DIR/run" "$VAR_DIR/log" "$VAR_DIR/data"
  while read -r name line; do
    service_start "$name" "$line"
  done < <(service_lines)
}

# Every service that has a pid file (infra/down), all at once: each drains its work for
# a moment after SIGTERM, which one after the other adds up.
services_stop() {
  local pidfile name
  local -A pids=()
  for pidfile in "$VAR_DIR"/run/*.pid; do
    [ -e "$pidfile" ] || continue
    name="$(basename "$pidfile" .pid)"
    pids[$name]="$(service_term "$name")" || pids[$name]=""
  done
  for name in "${!pids[@]}"; do service_reap "$name" "${pids[$name]}"; done
}

# SIGTERM to a running service; prints its pid (fails when it does not run).
service_term() {
  local name="$1" pid
  pid="$(service_pid "$name")" || return 1
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  echo "$pid"
}

# Waits up to 15 s for `pid` (may be empty) to exit, then SIGKILLs it; removes the pid file.
service_reap() {
  local name="$1" pid="$2" i
  if [ -n "$pid" ]; then
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$VAR_DIR/run/$name.pid"
}

service_stop() {
  local pid
  pid="$(service_term "$1")" || pid=""
  service_reap "$1" "$pid"
}

print_status() {
  echo
  echo "choreo is up:"
  if [ "$(cat "$VAR_DIR/run/broker.mode" 2>/dev/null)" = local ]; then
    printf '  %-22s amqp://127.0.0.1:%s  management http://127.0.0.1:%s  (data %s)\n' \
      "rabbitmq $RABBIT_NODE" "$RABBIT_PORT" "$RABBIT_MGMT_PORT" "$RABBIT_DIR"
  else
    # Not the URL itself: it may carry a password, and status output ends up in logs.
    printf '  %-22s external, from CHOREO_AMQP_URL\n' rabbitmq
  fi
  local name cmd pid
  while read -r name cmd; do
    if pid="$(service_pid "$name")"; then
      printf '  %-22s pid %-7s log %s\n' "$name" "$pid" "$VAR_DIR/log/$name.log"
    else
      printf '  %-22s not running\n' "$name"
    fi
  done < <(service_lines)
  echo "stop everything with: infra/down"
}
