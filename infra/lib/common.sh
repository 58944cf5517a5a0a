# Shared shell functions for infra/* scripts. Source it; do not run it.
# shellcheck shell=bash

CHOREO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RABBIT_BIN=/usr/lib/rabbitmq/bin

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# export_defaults PREFIX NAME=DEFAULT...: exports each NAME as "${PREFIX}NAME" when that is
# set and not empty, else as DEFAULT ("${CHOREO_RABBIT_PORT:-5672}" for
# `export_defaults CHOREO_ RABBIT_PORT=5672`): the names and ports a run takes from outside.
export_defaults() {
  local prefix="$1" pair name from
  shift
  for pair in "$@"; do
    name="${pair%%=*}"
    from="$prefix$name"
    export "$name=${!from:-${pair#*=}}"
  done
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root to run: $* (install the packages by hand or run as root)"
  fi
}

# Debian packages the build, the tests and the running system need.
CHOREO_PACKAGES=(
  build-essential cmake pkg-config git curl ca-certificates procps iproute2 util-linux
  rabbitmq-server librabbitmq-dev
  libpoco-dev nlohmann-json3-dev libvalijson-dev libgtest-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 postgresql-client-15
  wrk gnuplot-nox chromium
)

# Installs only what is missing, with a single apt-get update, so that a second run
# costs nothing.
install_deps() {
  local missing=()
  local p
  for p in "${CHOREO_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "dependencies: all ${#CHOREO_PACKAGES[@]} packages present"
    return 0
  fi
  log "dependencies: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d may refuse to start the distribution's own broker/postgres service;
  # that is fine: choreo runs private nodes of its own.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The npm tools tests use (infra/testing/node: document linters, the browser driver),
# installed from the lock file into that folder once, and again when the lock changes.
# Node.js itself is the machine's; Debian's nodejs and npm are installed when it has none.
# Exports CHOREO_NODE_TOOLS (the folder holding node_modules) for the tests.
install_node_tools() {
  local dir="$CHOREO_ROOT/infra/testing/node"
  if ! command -v npm >/dev/null 2>&1; then
    log "dependencies: installing nodejs npm"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  local stamp="$dir/node_modules/.choreo-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "dependencies: npm ci in infra/testing/node"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$dir/package-lock.json" "$stamp"
  fi
  export CHOREO_NODE_TOOLS="$dir"
}

# Configures (once) and builds the tree into $1 (default build/); further arguments name
# the targets to build (default: all).
build_tree() {
  local dir="${1:-$CHOREO_ROOT/build}"
  shift || true
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$CHOREO_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >&2
  fi
  local targets=()
  if [ $# -gt 0 ]; then targets=(--target "$@"); fi
  cmake --build "$dir" -j"${CHOREO_BUILD_JOBS:-2}" "${targets[@]}" >&2
}

# ---------------------------------------------------------------- RabbitMQ node
# Configured by: RABBIT_NODE (name@localhost), RABBIT_PORT, RABBIT_MGMT_PORT,
# RABBIT_DIST_PORT, RABBIT_DIR (data, logs, cookie, pid); RABBIT_EXTRA_CONF, lines added
# to its rabbitmq.conf (a cluster node's peer discovery).
rabbit_env() {
  export HOME="$RABBIT_DIR/home"   # private Erlang cookie for this node and its CLI
  export RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RABBIT_PORT"
  export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia"
  export RABBITMQ_LOG_BASE="$RABBIT_DIR/log"
  export RABBITMQ_PID_FILE="$RABBIT_DIR/rabbit.pid"
  export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} ${CHOREO_RABBIT_ERL_ARGS:-}"
  export ERL_EPMD_ADDRESS=127.0.0.1
}

# The CLI tools run from the node's directory: when they fail they may leave an
# erl_crash.dump in the working directory, which must not be the source tree.
rabbit_ctl() { ( mkdir -p "$RABBIT_DIR"; cd "$RABBIT_DIR"; rabbit_env; "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBIT_NODE" "$@" ); }
rabbit_running() { ( mkdir -p "$RABBIT_DIR"; cd "$RABBIT_DIR"; rabbit_env; "$RABBIT_BIN/rabbitmq-diagnostics" -q -n "$RABBIT_NODE" check_running >/dev/null 2>&1 ); }

rabbit_start() {
  if rabbit_running; then log "rabbitmq $RABBIT_NODE already running on 127.0.0.1:$RABBIT_PORT"; return 0; fi
  mkdir -p "$RABBIT_DIR/home" "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
  cat > "$RABBIT_DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
disk_free_limit.absolute = 50MB
log.file.level = warning
log.console = false
${RABBIT_EXTRA_CONF:-}
CONF
  # A quorum queue dead-letters at least once through a worker on its leader's node, which
  # republishes a message only when its confirm has not come within this timeout (180 s by
  # default). When the target queue's leader dies with the confirm in flight, every retry
  # copy behind it (retry queues dead-letter back to the work queue) waits that long; one
  # chaos run saw orders stall for 6 minutes and their reservations expire. 10 s bounds it;
  # a duplicate it may cause is absorbed by the inbox. rabbitmq.conf has no key for it
  # (3.10 through 4.x), hence advanced.config; some builds read the key with an `_ms`
  # suffix, so both are set (an unknown key is ignored). docs/deployment.md tells operators.
  cat > "$RABBIT_DIR/advanced.config" <<'CONF'
[{rabbit, [{dead_letter_worker_publisher_confirm_timeout, 10000},
           {dead_letter_worker_publisher_confirm_timeout_ms, 10000}]}].
CONF
  echo '[rabbitmq_management].' > "$RABBIT_DIR/enabled_plugins"
  # epmd is shared by every Erlang node on the machine; remember whether we started it,
  # so that rabbit_stop kills it only then.
  if ! epmd_names >/dev/null 2>&1; then touch "$RABBIT_DIR/epmd.ours"; fi
  log "starting rabbitmq $RABBIT_NODE (amqp 127.0.0.1:$RABBIT_PORT, management :$RABBIT_MGMT_PORT, data $RABBIT_DIR)"
  ( rabbit_env; cd "$RABBIT_DIR"; setsid nohup "$RABBIT_BIN/rabbitmq-server" >"$RABBIT_DIR/log/server.out" 2>&1 < /dev/null & )
  local i
  for i in $(seq 1 240); do
    if rabbit_running; then
      # advanced.config is read silently or not at all: check that the node took it.
      local got; got="$(rabbit_ctl eval 'application:get_env(rabbit, dead_letter_worker_publisher_confirm_timeout).' 2>&1 || true)"
      [ "$got" = "{ok,10000}" ] || die "rabbitmq $RABBIT_NODE ignored $RABBIT_DIR/advanced.config (dead-letter confirm timeout: $got)"
      log "rabbitmq $RABBIT_NODE is up"; return 0
    fi
    sleep 0.5
  done
  tail -30 "$RABBIT_DIR/log/server.out" >&2 || true
  die "rabbitmq $RABBIT_NODE did not start within 120 s (logs in $RABBIT_DIR/log)"
}

rabbit_stop() {
  if [ -f "$RABBIT_DIR/rabbit.pid" ] && rabbit_running; then
    log "stopping rabbitmq $RABBIT_NODE"
    rabbit_ctl stop "$RABBIT_DIR/rabbit.pid" || true
  fi
  # A node that no longer answers its CLI but still has a process: stop it by its PID.
  if [ -f "$RABBIT_DIR/rabbit.pid" ]; then
    local pid; pid="$(cat "$RABBIT_DIR/rabbit.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$RABBIT_DIR/rabbit.pid"
  fi
  if [ -f "$RABBIT_DIR/epmd.ours" ]; then
    rm -f "$RABBIT_DIR/epmd.ours"
    # Only when no other Erlang node still uses it.
    if ! epmd_names 2>/dev/null | grep -q '^name '; then ( export ERL_EPMD_ADDRESS=127.0.0.1; epmd_bin -kill >/dev/null 2>&1 || true ); fi
  fi
}

epmd_bin() { "$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -1)" "$@"; }
epmd_names() { epmd_bin -names; }

# ---------------------------------------------------------------- PostgreSQL server
# Configured by: PG_PORT, PG_DIR. Trust authentication on 127.0.0.1 only, so no password
# exists anywhere; the server refuses to run as root, so root runs it as `postgres`.
pg_bin() { echo "/usr/lib/postgresql/15/bin/$1"; }
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_url() { echo "postgresql://choreo@127.0.0.1:$PG_PORT/${1:-choreo}"; }
pg_running() { pg_as_owner "$(pg_bin pg_ctl)" -D "$PG_DIR/data" status >/dev/null 2>&1; }

pg_start() {
  if pg_running; then log "postgresql already running on 127.0.0.1:$PG_PORT"; return 0; fi
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR"; fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    pg_as_owner "$(pg_bin initdb)" -D "$PG_DIR/data" -U choreo --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  log "starting postgresql (127.0.0.1:$PG_PORT, data $PG_DIR/data)"
  pg_as_owner "$(pg_bin pg_ctl)" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c max_connections=200 -c fsync=on" start >&2 \
    || { tail -20 "$PG_DIR/server.log" >&2; die "postgresql did not start"; }
  if ! psql -h 127.0.0.1 -p "$PG_PORT" -U choreo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='choreo'" | grep -q 1; then
    createdb -h 127.0.0.1 -p "$PG_PORT" -U choreo choreo
  fi
}

pg_stop() {
  if pg_running; then
    log "stopping postgresql on 127.0.0.1:$PG_PORT"
    pg_as_owner "$(pg_bin pg_ctl)" -D "$PG_DIR/data" -m fast -w stop >&2 || true
  fi
}
