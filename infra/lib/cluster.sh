# A local RabbitMQ cluster of CLUSTER_SIZE nodes on 127.0.0.1, for infra/up --profile
# cluster, infra/test and infra/chaos. Source after common.sh.
# shellcheck shell=bash
#
# Configured by (defaults in brackets):
#   CLUSTER_NAME       node name prefix; node i is <name><i>@localhost [choreo-c]
#   CLUSTER_SIZE       number of nodes [3]
#   CLUSTER_PORT       AMQP port of node 1; node i listens on CLUSTER_PORT + i - 1 [5772]
#   CLUSTER_MGMT_PORT  management port of node 1, same scheme [15772]
#   CLUSTER_DIST_PORT  Erlang distribution port of node 1, same scheme [25772]
#   CLUSTER_DIR        data of node i under $CLUSTER_DIR/node<i> (required)
#
# Every node is an ordinary private node (rabbit_start in common.sh) whose RABBIT_*
# variables come from cluster_node_env, so starting, stopping and killing one node is the
# same code as for the single node of the embedded profile.

: "${CLUSTER_NAME:=choreo-c}" "${CLUSTER_SIZE:=3}"
: "${CLUSTER_PORT:=5772}" "${CLUSTER_MGMT_PORT:=15772}" "${CLUSTER_DIST_PORT:=25772}"

# Sets RABBIT_NODE, RABBIT_PORT, RABBIT_MGMT_PORT, RABBIT_DIST_PORT, RABBIT_DIR for node $1
# (1-based). Call it in a subshell, or save the caller's RABBIT_* first.
cluster_node_env() {
  local i="$1"
  : "${CLUSTER_DIR:?CLUSTER_DIR must name the data directory of the cluster}"
  export RABBIT_NODE="${CLUSTER_NAME}${i}@localhost"
  export RABBIT_PORT=$((CLUSTER_PORT + i - 1))
  export RABBIT_MGMT_PORT=$((CLUSTER_MGMT_PORT + i - 1))
  export RABBIT_DIST_PORT=$((CLUSTER_DIST_PORT + i - 1))
  export RABBIT_DIR="$CLUSTER_DIR/node$i"
}

# The nodes of one cluster authenticate each other (and their CLI tools) with one shared
# Erlang cookie: made once, random, readable by its owner only, never printed.
cluster_cookie() {
  local i home
  mkdir -p "$CLUSTER_DIR"
  if [ ! -s "$CLUSTER_DIR/cookie" ]; then
    ( umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 > "$CLUSTER_DIR/cookie" )
  fi
  for i in $(seq 1 "$CLUSTER_SIZE"); do
    home="$CLUSTER_DIR/node$i/home"
    mkdir -p "$home"
    if ! cmp -s "$CLUSTER_DIR/cookie" "$home/.erlang.cookie" 2>/dev/null; then
      rm -f "$home/.erlang.cookie"
      cp "$CLUSTER_DIR/cookie" "$home/.erlang.cookie"
      chmod 400 "$home/.erlang.cookie"
    fi
  done
}

# A blank node finds node 1 by peer discovery and joins it at boot; a node with data
# ignores this and rejoins the cluster it belongs to.
cluster_node_start() {
  (
    cluster_node_env "$1"
    export RABBIT_EXTRA_CONF="cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = ${CLUSTER_NAME}1@localhost"
    rabbit_start
  )
}
cluster_node_stop() { ( cluster_node_env "$1"; rabbit_stop ); }
cluster_node_running() { ( cluster_node_env "$1"; rabbit_running ); }
cluster_node_ctl() { local i="$1"; shift; ( cluster_node_env "$i"; rabbit_ctl "$@" ); }

# SIGKILL of node $1's Erlang VM: a node that dies without a word to its peers.
cluster_node_kill() {
  local pid
  pid="$(cat "$CLUSTER_DIR/node$1/rabbit.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { log "cluster node $1 is not running"; return 0; }
  log "SIGKILL rabbitmq node $1 (${CLUSTER_NAME}$1@localhost, pid $pid)"
  kill -KILL "$pid" 2>/dev/null || true
  local n
  for n in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# Node names that node $1 sees running in its cluster, one per line.
cluster_running_nodes() {
  cluster_node_ctl "$1" eval 'io:format("~s~n", [string:join([atom_to_list(N) || N <- rabbit_nodes:all_running()], " ")]).' 2>/dev/null \
    | head -1 | tr ' ' '\n' | grep -v '^ok$' | grep . || true
}

# Starts every node, joins the nodes that are not clustered yet to node 1, and waits
# until node 1 sees them all. Idempotent: running nodes are left alone.
# A fresh cluster boots node 1 first and the others in parallel, finding node 1 by peer
# discovery (classic_config), which saves a stop_app/join/start_app per node. A cluster
# restarting from its data boots all nodes at once: each waits for the peers it last saw,
# and a node booted alone could wait for minutes.
cluster_start() {
  local i pids=() failed=0 first="${CLUSTER_NAME}1@localhost" rest=1
  cluster_cookie
  if [ ! -d "$CLUSTER_DIR/node1/mnesia/$first" ]; then
    cluster_node_start 1 || die "node 1 of the cluster did not start (logs under $CLUSTER_DIR/node1/log)"
    rest=2
  fi
  for i in $(seq "$rest" "$CLUSTER_SIZE"); do
    cluster_node_start "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
  [ "$failed" = 0 ] || die "a node of the cluster did not start (logs under $CLUSTER_DIR/node*/log)"
  for i in $(seq 2 "$CLUSTER_SIZE"); do
    if ! cluster_running_nodes "$i" | grep -qx "$first"; then
      log "joining ${CLUSTER_NAME}$i@localhost to $first"
      cluster_node_ctl "$i" stop_app >&2
      cluster_node_ctl "$i" join_cluster "$first" >&2 || die "node $i could not join $first"
      cluster_node_ctl "$i" start_app >&2
    fi
  done
  local n
  for n in $(seq 1 120); do
    if [ "$(cluster_running_nodes 1 | wc -l)" -ge "$CLUSTER_SIZE" ]; then
      log "rabbitmq cluster of $CLUSTER_SIZE nodes is up (amqp 127.0.0.1:$CLUSTER_PORT..$((CLUSTER_PORT + CLUSTER_SIZE - 1)))"
      return 0
    fi
    sleep 0.5
  done
  die "the cluster did not form within 60 s: node 1 sees $(cluster_running_nodes 1 | tr '\n' ' ')"
}

cluster_stop() {
  local i pids=()
  for i in $(seq 1 "$CLUSTER_SIZE"); do
    cluster_node_stop "$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
}

# "<prefix><port><suffix>" of every node, comma-separated, node i at base + i - 1.
cluster_url_list() {
  local prefix="$1" base="$2" suffix="${3:-}" i out=""
  for i in $(seq 1 "$CLUSTER_SIZE"); do out+="${out:+,}$prefix$((base + i - 1))$suffix"; done
  echo "$out"
}

# The AMQP URLs of every node, comma-separated: what CHOREO_AMQP_URL takes in this profile.
# guest/guest is RabbitMQ's loopback-only default user of a private node, not a secret.
cluster_amqp_urls() { cluster_url_list "amqp://guest:guest@127.0.0.1:" "$CLUSTER_PORT" /; }
cluster_mgmt_urls() { cluster_url_list "http://127.0.0.1:" "$CLUSTER_MGMT_PORT"; }
