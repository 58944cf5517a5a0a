# The two profiles of infra/up: what each starts besides the supervised processes, and how
# the cluster profile turns the lines of infra/services into replicas. Source after
# system.sh and cluster.sh.
# shellcheck shell=bash
#
# embedded  one local RabbitMQ node (unless CHOREO_AMQP_URL names a broker), every
#           component once, each on its own SQLite file (infra/services as it stands)
# cluster   a local three-node RabbitMQ cluster (unless CHOREO_AMQP_URL names brokers), one
#           local PostgreSQL server with a database per component, CHOREO_REPLICAS
#           replicas of each worker (CHOREO_<WORKER>_REPLICAS per worker), two gateways
#           (CHOREO_GATEWAY_PORT and the next port), one provider stand-in

# Components with a store, as named in the run record and by choreo-admin audit.
STORE_COMPONENTS=(gateway order inventory payment shipping notification provider)

# ---------------------------------------------------------------- embedded
profile_embedded_broker() {
  if [ -z "${CHOREO_AMQP_URL:-}" ]; then
    record_line rabbit "$RABBIT_NODE" "$RABBIT_PORT" "$RABBIT_MGMT_PORT" "$RABBIT_DIST_PORT" "$RABBIT_DIR"
    record_line process broker "$RABBIT_NODE" "$RABBIT_PORT" "$RABBIT_DIR/rabbit.pid" "$RABBIT_DIR/log"
    record_commit
    rabbit_start
    export CHOREO_AMQP_URL="amqp://guest:guest@127.0.0.1:$RABBIT_PORT/"
    BROKER_MODE=local
  else
    BROKER_MODE=external
  fi
  MGMT_URL="${CHOREO_MGMT_URL:-http://127.0.0.1:$RABBIT_MGMT_PORT}"
}

# ---------------------------------------------------------------- cluster
export_defaults CHOREO_ CLUSTER_NAME=choreo-c CLUSTER_SIZE=3 CLUSTER_PORT=5772 CLUSTER_MGMT_PORT=15772 \
  CLUSTER_DIST_PORT=25772 PG_PORT=5433
export CLUSTER_DIR="$VAR_DIR/cluster" PG_DIR="$VAR_DIR/pg"

profile_cluster_broker() {
  if [ -n "${CHOREO_AMQP_URL:-}" ]; then
    BROKER_MODE=external
    MGMT_URL="${CHOREO_MGMT_URL:-}"
    [ -n "$MGMT_URL" ] || die "CHOREO_AMQP_URL names external brokers: set CHOREO_MGMT_URL to their management API(s) too"
    return 0
  fi
  local i
  record_line cluster "$CLUSTER_NAME" "$CLUSTER_SIZE" "$CLUSTER_PORT" "$CLUSTER_MGMT_PORT" "$CLUSTER_DIST_PORT" "$CLUSTER_DIR"
  for i in $(seq 1 "$CLUSTER_SIZE"); do
    record_line process broker "${CLUSTER_NAME}$i@localhost" $((CLUSTER_PORT + i - 1)) \
      "$CLUSTER_DIR/node$i/rabbit.pid" "$CLUSTER_DIR/node$i/log"
  done
  record_commit
  cluster_start
  BROKER_MODE=local
  # Every client takes the whole list and fails over between the nodes.
  # CHOREO_CLUSTER_AMQP=first gives them node 1 only (for clients that take one URL).
  if [ "${CHOREO_CLUSTER_AMQP:-all}" = first ]; then
    CHOREO_AMQP_URL="$(cluster_amqp_urls | cut -d, -f1)"
    MGMT_URL="$(cluster_mgmt_urls | cut -d, -f1)"
  else
    CHOREO_AMQP_URL="$(cluster_amqp_urls)"
    MGMT_URL="$(cluster_mgmt_urls)"
  fi
  export CHOREO_AMQP_URL
}

# The PostgreSQL server and one database per component, each component's
# CHOREO_<COMPONENT>_STORE_URL pointing at its own (unless the user set one: then that is
# used, and no database is made for it).
profile_cluster_stores() {
  record_line postgresql "$PG_PORT" "$PG_DIR"
  record_line process store postgresql "$PG_PORT" "$PG_DIR/data/postmaster.pid" "$PG_DIR/server.log"
  record_commit
  pg_start
  local c var db
  for c in "${STORE_COMPONENTS[@]}"; do
    var="CHOREO_${c^^}_STORE_URL"
    [ -z "${!var:-}" ] || continue
    db="choreo_$c"
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U choreo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      createdb -h 127.0.0.1 -p "$PG_PORT" -U choreo "$db"
    fi
    export "$var=$(pg_url "$db")"
  done
}

# A replica of the infra/services line of `template`, named `name`, with the port variable
# `port_var` set to `port` while the line is expanded.
start_replica() {
  local name="$1" line="$2" port_var="$3" port="$4"
  ( export "$port_var=$port"; service_supervise "$name" "$line" )
}

# The services of the cluster profile, from the lines of infra/services.
profile_cluster_services() {
  mkdir -p "$VAR_DIR/run" "$VAR_DIR/log" "$VAR_DIR/data"
  local step="${CHOREO_REPLICA_PORT_STEP:-100}" name line component port_var base n i replicas_var
  while read -r name line; do
    component="$(service_component "$name")"
    case "$(service_kind "$name")" in
      worker)
        port_var="CHOREO_${component^^}_HTTP_PORT"
        replicas_var="CHOREO_${component^^}_REPLICAS"
        n="${!replicas_var:-${CHOREO_REPLICAS:-2}}"
        [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "$replicas_var / CHOREO_REPLICAS must be a whole number >= 1, got '$n'"
        service_expand "$name" "$line"; base="$(service_port)"
        for i in $(seq 1 "$n"); do start_replica "$name-$i" "$line" "$port_var" $((base + (i - 1) * step)); done
        ;;
      gateway)
        service_expand "$name" "$line"; base="$(service_port)"
        start_replica "$name-1" "$line" CHOREO_GATEWAY_PORT "$base"
        start_replica "$name-2" "$line" CHOREO_GATEWAY_PORT $((base + 1))
        ;;
      *) service_supervise "$name" "$line" ;;
    esac
  done < <(service_lines)
}
