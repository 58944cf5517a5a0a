# Process management for infra/up and infra/down. Source after common.sh.
# shellcheck shell=bash

VAR_DIR="${CHOREO_VAR_DIR:-$CHOREO_ROOT/var}"
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

service_start() {
  local name="$1" cmd="$2" bin
  if service_pid "$name" >/dev/null; then return 0; fi
  cmd="$(eval "echo \"$cmd\"")"
  bin="${cmd%% *}"
  if [ ! -x "$bin" ]; then log "skip $name: $bin is not built"; return 0; fi
  log "starting $name: $cmd"
  # setsid: the service must not die with this shell, nor receive its terminal's signals.
  setsid nohup $cmd >>"$VAR_DIR/log/$name.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid $(readlink -f "$bin")" > "$VAR_DIR/run/$name.pid"
}

service_stop() {
  local name="$1" pid i
  if pid="$(service_pid "$name")"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$VAR_DIR/run/$name.pid"
}

print_status() {
  echo
  echo "choreo is up:"
  if [ "$(cat "$VAR_DIR/run/broker.mode" 2>/dev/null)" = local ]; then
    printf '  %-22s amqp://127.0.0.1:%s  management http://127.0.0.1:%s  (data %s)\n' \
      "rabbitmq $RABBIT_NODE" "$RABBIT_PORT" "$RABBIT_MGMT_PORT" "$RABBIT_DIR"
  else
    printf '  %-22s %s (external)\n' rabbitmq "${CHOREO_AMQP_URL:-?}"
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
