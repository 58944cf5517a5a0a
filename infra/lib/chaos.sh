# Functions of infra/chaos: the seeded fault plan, the faults themselves, healing,
# quiescence and the audit. Source after common.sh and system.sh (and cluster.sh in the
# cluster profile); infra/chaos sets BIN, CHAOS_VAR, CLUSTER, SERVICES, SERVICE_CMD,
# READY_URL, WORKERS, WORKER_PROCS, GATEWAYS, STORES, store_url, PROVIDER_PORT, MGMT_URL.
# shellcheck shell=bash

# ------------------------------------------------------------------ the broker and store
# One node, or the cluster and its PostgreSQL server.
broker_start() {
  if [ "$CLUSTER" = 1 ]; then
    cluster_start
    pg_start
    local s
    for s in "${STORES[@]}"; do
      psql -h 127.0.0.1 -p "$PG_PORT" -U choreo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$s'" | grep -q 1 \
        || createdb -h 127.0.0.1 -p "$PG_PORT" -U choreo "$s"
    done
  else
    rabbit_start
  fi
}
broker_stop() {
  if [ "$CLUSTER" = 1 ]; then cluster_stop; pg_stop; else rabbit_stop; fi
}
# rabbitmqctl against the single node, or against the first cluster node that answers.
broker_ctl() {
  if [ "$CLUSTER" != 1 ]; then rabbit_ctl "$@"; return; fi
  local i
  for i in 1 2 3; do
    cluster_node_running "$i" || continue
    cluster_node_ctl "$i" "$@" && return 0
  done
  return 1
}

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# Waits until the service's health URL answers 200 (and its process still runs).
wait_ready() {
  local name="$1" seconds="${2:-60}" i
  for i in $(seq 1 $(( seconds * 5 ))); do
    service_pid "$name" >/dev/null || return 1
    if curl -s -o /dev/null -m 2 -w '%{http_code}' "${READY_URL[$name]}" 2>/dev/null | grep -q '^200$'; then return 0; fi
    sleep 0.2
  done
  return 1
}

# ------------------------------------------------------------------ the plan
# Every choice comes from bash's RANDOM seeded with the run's seed, drawn here up front
# and only here, so one seed always gives the same plan (kinds, times, targets,
# parameters), whatever happens while it runs.
FAULT_KINDS=(worker_kill gateway_kill broker_restart provider_5xx provider_latency redelivery)
if [ "${CLUSTER:-0}" = 1 ]; then
  FAULT_KINDS=(worker_kill gateway_kill node_kill pg_restart provider_5xx provider_latency redelivery)
fi
PLAN_AT_MS=() PLAN_KIND=() PLAN_TARGET=() PLAN_A=() PLAN_B=()
PLAN_WINDOW_S=0
declare -A FAULTS_DONE=() FAULT_DETAIL=()
UNEXPECTED_EXITS=0 UNEXPECTED_NAMES=""
REDELIVERY_UNACKED=0

rnd() { R=$(( RANDOM % $1 )); }   # R in [0, $1); never call it in a subshell

plan_faults() {
  local seed="$1" orders="$2" rate="$3" per_min="$4" duration="$5"
  RANDOM=$seed
  local window_ms=$(( orders * 1000 / rate ))
  local limit_ms; limit_ms=$(duration_ms "$duration")
  if [ "$limit_ms" -gt 0 ] && [ "$limit_ms" -lt "$window_ms" ]; then window_ms=$limit_ms; fi
  PLAN_WINDOW_S=$(( window_ms / 1000 ))
  local total=$(( per_min * window_ms / 60000 ))
  [ "$total" -ge ${#FAULT_KINDS[@]} ] || total=${#FAULT_KINDS[@]}
  # Equal shares of every kind: rounds of one fault of each kind, each round in a seeded
  # shuffle. A plan cut short (the load settled first) has still run every kind about
  # equally often.
  local kinds=() round=() i j k tmp n=${#FAULT_KINDS[@]}
  for (( i = 0; i < total; i += n )); do
    round=("${FAULT_KINDS[@]}")
    for (( k = n - 1; k > 0; k-- )); do
      rnd $(( k + 1 )); j=$R
      tmp=${round[k]}; round[k]=${round[j]}; round[j]=$tmp
    done
    for (( k = 0; k < n && i + k < total; k++ )); do kinds+=("${round[k]}"); done
  done
  local start_ms=3000 gap_ms=$(( (window_ms - 3000) / total ))
  [ "$gap_ms" -gt 200 ] || gap_ms=200
  : > "$CHAOS_VAR/chaos/plan.txt"
  for (( i = 0; i < total; i++ )); do
    rnd "$gap_ms"
    PLAN_AT_MS[i]=$(( start_ms + i * gap_ms + R ))
    PLAN_KIND[i]=${kinds[i]}
    PLAN_TARGET[i]="" PLAN_A[i]=0 PLAN_B[i]=0
    case "${kinds[i]}" in
      worker_kill|redelivery)
        rnd ${#WORKER_PROCS[@]}; PLAN_TARGET[i]="${WORKER_PROCS[R]}"
        rnd 2500; PLAN_A[i]=$(( 300 + R )) ;;                 # down for A ms
      gateway_kill)
        rnd ${#GATEWAYS[@]}; PLAN_TARGET[i]="${GATEWAYS[R]}"
        rnd 2000; PLAN_A[i]=$(( 200 + R )) ;;
      node_kill)
        rnd 3; PLAN_TARGET[i]=$(( R + 1 ))                    # broker node
        rnd 5000; PLAN_A[i]=$(( 1000 + R )) ;;                # down for A ms
      pg_restart)
        rnd 2; if [ "$R" = 0 ]; then PLAN_TARGET[i]=immediate; else PLAN_TARGET[i]=fast; fi
        rnd 3000; PLAN_A[i]=$(( 500 + R )) ;;                 # down for A ms
      broker_restart)
        rnd 3; if [ "$R" = 0 ]; then PLAN_TARGET[i]=node; else PLAN_TARGET[i]=app; fi
        rnd 5000; PLAN_A[i]=$(( 1000 + R )) ;;                # down for A ms
      provider_5xx)
        rnd 2; if [ "$R" = 0 ]; then PLAN_TARGET[i]=burst; rnd 40; PLAN_A[i]=$(( 5 + R ));   # A failing calls
               else PLAN_TARGET[i]=error_rate; rnd 50; PLAN_A[i]=$(( 30 + R )); fi        # A % of calls
        rnd 6000; PLAN_B[i]=$(( 2000 + R )) ;;                # for B ms
      provider_latency)
        rnd 1800; PLAN_A[i]=$(( 200 + R ))                     # A ms per call
        rnd 7000; PLAN_B[i]=$(( 3000 + R )) ;;                # for B ms
    esac
    printf '%3d  t+%6.1fs  %-16s %-20s %s %s\n' $(( i + 1 )) "$(( PLAN_AT_MS[i] / 100 ))e-1" "${PLAN_KIND[i]}" \
      "${PLAN_TARGET[i]}" "${PLAN_A[i]}" "${PLAN_B[i]}" >> "$CHAOS_VAR/chaos/plan.txt"
  done
}

# "90s", "10m", "1h", "1500ms", "0" -> milliseconds.
duration_ms() {
  local d="$1"
  case "$d" in
    ''|0) echo 0 ;;
    *ms) echo "${d%ms}" ;;
    *s) echo $(( ${d%s} * 1000 )) ;;
    *m) echo $(( ${d%m} * 60000 )) ;;
    *h) echo $(( ${d%h} * 3600000 )) ;;
    *) echo "$d" ;;
  esac
}

sleep_ms() { sleep "$(( $1 / 1000 )).$(printf '%03d' $(( $1 % 1000 )))"; }

# ------------------------------------------------------------------ the faults
fault_log() { log "chaos: t+$(( ($(now_ms) - LOAD_START_MS) / 1000 ))s fault $((FAULT_INDEX + 1))/${#PLAN_KIND[@]} $*"; }

count_fault() { FAULTS_DONE[$1]=$(( ${FAULTS_DONE[$1]:-0} + 1 )); [ -z "${2:-}" ] || FAULT_DETAIL[$1:$2]=$(( ${FAULT_DETAIL[$1:$2]:-0} + 1 )); }

# In a subshell, so the process is no job of this shell: no "Killed" notice when it is
# SIGKILLed, and init reaps it.
chaos_start() { ( service_start "$1" "${SERVICE_CMD[$1]}" ); }

kill_and_restart() {
  local name="$1" down_ms="$2" pid
  if ! pid="$(service_pid "$name")"; then log "chaos: $name is not running; starting it"; chaos_start "$name"; return 1; fi
  kill -KILL "$pid" 2>/dev/null || true
  # Gone, or a zombie (no exe link) until this shell reaps it.
  while [ -e "/proc/$pid/exe" ]; do sleep 0.05; done
  sleep_ms "$down_ms"
  chaos_start "$name"
}

# Unacknowledged deliveries per queue, live from the node (the management API's figures
# lag by its 5 s statistics interval).
queue_unacked() {
  broker_ctl list_queues name messages_unacknowledged --no-table-headers 2>/dev/null | awk -v q="$1" '$1 == q {print $2}'
}

fault_redelivery() {
  local name="$1" down_ms="$2" queue="${1%%-worker*}" unacked="" pid i
  # Freeze the consumer (SIGSTOP) at a random instant, maybe in the middle of a batch it
  # has committed but not acked, and let the broker hand it more deliveries; once the
  # broker shows it holding unacked deliveries, SIGKILL it. They are all redelivered to
  # the restarted worker, whose inbox must drop those it had already committed.
  if ! pid="$(service_pid "$name")"; then chaos_start "$name"; return 0; fi
  kill -STOP "$pid" 2>/dev/null || true
  local until=$(( $(now_ms) + 10000 ))
  while [ "$(now_ms)" -lt "$until" ]; do
    unacked="$(queue_unacked "$queue")"
    if [ -n "$unacked" ] && [ "$unacked" -gt 0 ]; then break; fi
    sleep 0.2
  done
  if [ -n "$unacked" ] && [ "$unacked" -gt 0 ]; then
    fault_log "redelivery: SIGKILL $name holding $unacked unacked deliveries, restart after ${down_ms} ms"
    REDELIVERY_UNACKED=$(( REDELIVERY_UNACKED + unacked ))
    count_fault redelivery
  else
    fault_log "redelivery: $name got no delivery while frozen; SIGKILL anyway (counted as worker_kill)"
    count_fault worker_kill redelivery_fallback
  fi
  kill_and_restart "$name" "$down_ms" || true
}

fault_broker() {
  local variant="$1" down_ms="$2"
  if [ "$variant" = node ]; then
    fault_log "broker_restart: stop the node $RABBIT_NODE, start it again after ${down_ms} ms"
    rabbit_ctl stop "$RABBIT_DIR/rabbit.pid" >/dev/null 2>&1 || rabbit_stop
    sleep_ms "$down_ms"
    rabbit_start 2>/dev/null
  else
    fault_log "broker_restart: rabbitmqctl stop_app, start_app after ${down_ms} ms"
    rabbit_ctl stop_app >/dev/null || log "chaos: warning: stop_app failed"
    sleep_ms "$down_ms"
    rabbit_ctl start_app >/dev/null || { log "chaos: warning: start_app failed; restarting the node"; rabbit_stop; rabbit_start; }
  fi
  count_fault broker_restart "$variant"
}

# SIGKILL of one broker node, restarted after down_ms; returns once it is back in the
# cluster, so the next node kill never takes a second node of three (quorum queues need a
# majority).
fault_node_kill() {
  local node="$1" down_ms="$2"
  fault_log "node_kill: SIGKILL broker node $node, restart after ${down_ms} ms"
  cluster_node_kill "$node" >/dev/null 2>&1
  sleep_ms "$down_ms"
  cluster_node_start "$node" 2>/dev/null || log "chaos: warning: node $node did not restart"
  local i
  for i in $(seq 1 120); do
    [ "$(cluster_running_nodes "$node" | wc -l)" -ge 3 ] && break
    sleep 0.5
  done
  count_fault node_kill
}

# PostgreSQL stopped (immediate: as a crash, no checkpoint; fast: as an operator's restart)
# and started again after down_ms. Every worker's store circuit opens meanwhile.
fault_pg_restart() {
  local mode="$1" down_ms="$2"
  fault_log "pg_restart: PostgreSQL stop -m $mode, start again after ${down_ms} ms"
  pg_as_owner "$(pg_bin pg_ctl)" -D "$PG_DIR/data" -m "$mode" -w stop >/dev/null 2>&1 || log "chaos: warning: pg stop failed"
  sleep_ms "$down_ms"
  pg_start >/dev/null 2>&1 || log "chaos: warning: pg did not start"
  count_fault pg_restart "$mode"
}

provider_faults() {
  curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PROVIDER_PORT/v1/faults" \
    -H 'Content-Type: application/json' -d "$1" 2>/dev/null | grep -q '^2' \
    || log "chaos: warning: provider refused faults $1"
}

# A provider fault is held in the background while the plan goes on (faults overlap, as
# they do in production, and a long hold does not delay the kills behind it). One at a
# time: the next provider fault waits for the previous one to be cleared, so a clear never
# undoes a newer fault.
PROVIDER_CLEAR_PID=""
provider_fault_wait() {
  if [ -n "$PROVIDER_CLEAR_PID" ]; then wait "$PROVIDER_CLEAR_PID" 2>/dev/null || true; fi
  PROVIDER_CLEAR_PID=""
}
provider_fault_hold() {
  ( sleep_ms "$1"; provider_faults '{}' ) &
  PROVIDER_CLEAR_PID=$!
}

fault_provider_5xx() {
  local variant="$1" amount="$2" hold_ms="$3"
  provider_fault_wait
  if [ "$variant" = burst ]; then
    fault_log "provider_5xx: next $amount provider calls answer 503, cleared after ${hold_ms} ms"
    provider_faults "{\"burst_5xx\": $amount}"
  else
    fault_log "provider_5xx: $amount% of provider calls answer 503 for ${hold_ms} ms"
    provider_faults "{\"error_rate\": 0.$(printf '%02d' "$amount")}"
  fi
  provider_fault_hold "$hold_ms"
  count_fault provider_5xx "$variant"
}

fault_provider_latency() {
  local latency="$1" hold_ms="$2"
  provider_fault_wait
  fault_log "provider_latency: +${latency} ms per provider call for ${hold_ms} ms"
  provider_faults "{\"latency_ms\": $latency}"
  provider_fault_hold "$hold_ms"
  count_fault provider_latency
}

# A process that exited although nobody killed it is a finding: count it, show why, and
# start it again so the run can go on.
check_unexpected_exits() {
  local name
  for name in "${SERVICES[@]}"; do
    if ! service_pid "$name" >/dev/null; then
      UNEXPECTED_EXITS=$(( UNEXPECTED_EXITS + 1 ))
      UNEXPECTED_NAMES="${UNEXPECTED_NAMES:+$UNEXPECTED_NAMES, }$name"
      log "chaos: UNEXPECTED: $name exited by itself; last log lines:"
      tail -5 "$CHAOS_VAR/log/$name.log" >&2 || true
      chaos_start "$name"
    fi
  done
}

load_phase() { cat "$CHAOS_VAR/chaos/load.status" 2>/dev/null || echo starting; }

# Runs the plan while choreo-load ($1) is alive and not done; a fault whose time has
# passed (the one before ran long) starts at once.
run_fault_plan() {
  local load_pid="$1" i now
  FAULT_INDEX=0
  for (( i = 0; i < ${#PLAN_KIND[@]}; i++ )); do
    FAULT_INDEX=$i
    while :; do
      kill -0 "$load_pid" 2>/dev/null || break 2
      [ "$(load_phase)" != done ] || break 2
      now=$(now_ms)
      [ $(( now - LOAD_START_MS )) -lt "${PLAN_AT_MS[i]}" ] || break
      sleep 0.1
    done
    check_unexpected_exits
    case "${PLAN_KIND[i]}" in
      worker_kill)
        fault_log "worker_kill: SIGKILL ${PLAN_TARGET[i]}, restart after ${PLAN_A[i]} ms"
        kill_and_restart "${PLAN_TARGET[i]}" "${PLAN_A[i]}" && count_fault worker_kill ;;
      gateway_kill)
        fault_log "gateway_kill: SIGKILL ${PLAN_TARGET[i]}, restart after ${PLAN_A[i]} ms"
        kill_and_restart "${PLAN_TARGET[i]}" "${PLAN_A[i]}" && count_fault gateway_kill ;;
      node_kill) fault_node_kill "${PLAN_TARGET[i]}" "${PLAN_A[i]}" ;;
      pg_restart) fault_pg_restart "${PLAN_TARGET[i]}" "${PLAN_A[i]}" ;;
      redelivery) fault_redelivery "${PLAN_TARGET[i]}" "${PLAN_A[i]}" ;;
      broker_restart) fault_broker "${PLAN_TARGET[i]}" "${PLAN_A[i]}" ;;
      provider_5xx) fault_provider_5xx "${PLAN_TARGET[i]}" "${PLAN_A[i]}" "${PLAN_B[i]}" ;;
      provider_latency) fault_provider_latency "${PLAN_A[i]}" "${PLAN_B[i]}" ;;
    esac
  done
  INJECTED_TOTAL=0
  local k
  for k in "${!FAULTS_DONE[@]}"; do INJECTED_TOTAL=$(( INJECTED_TOTAL + FAULTS_DONE[$k] )); done
  log "chaos: injected $INJECTED_TOTAL of ${#PLAN_KIND[@]} planned faults"
}

# Broker up, provider faults cleared, every process running and ready.
heal_all() {
  provider_fault_wait
  provider_faults '{}' 2>/dev/null || true
  if [ "$CLUSTER" = 1 ]; then
    local node
    for node in 1 2 3; do cluster_node_running "$node" || cluster_node_start "$node" 2>/dev/null || true; done
    pg_running || pg_start >/dev/null 2>&1 || true
  elif ! rabbit_running; then
    rabbit_ctl start_app >/dev/null 2>&1 || true
    rabbit_running || rabbit_start
  fi
  check_unexpected_exits
  local name
  for name in "${SERVICES[@]}"; do wait_ready "$name" 90 || log "chaos: warning: $name is not ready"; done
}

# Quiescent = no message waiting or in flight in a work or retry queue (dead-letter
# queues and the inventory's reservation-deadline delay queue excluded) and no pending
# outbox row in any store, twice in a row 2 s apart.
QUIET_DETAIL=""
wait_quiescent() {
  local seconds="$1" deadline=$(( $(date +%s) + $1 )) calm=0 queued pending s n
  while [ "$(date +%s)" -lt "$deadline" ]; do
    queued="$(broker_ctl list_queues name messages --no-table-headers 2>/dev/null \
      | awk '$1 !~ /\.dlq$/ && $1 !~ /\.delay$/ {s += $2} END {print s + 0}')" || queued=unknown
    pending=0
    for s in "${STORES[@]}"; do
      n="$("$BIN/choreo-admin" outbox status --store "$(store_url "$s")" --json 2>/dev/null \
        | sed -n 's/^ *"pending": *\([0-9]*\).*/\1/p')"
      pending=$(( pending + ${n:-1} ))
    done
    QUIET_DETAIL="$queued messages in work/retry queues, $pending pending outbox rows"
    if [ "$queued" = 0 ] && [ "$pending" = 0 ]; then
      calm=$(( calm + 1 ))
      if [ "$calm" -ge 2 ]; then log "chaos: quiescent ($QUIET_DETAIL)"; return 0; fi
    else
      calm=0
    fi
    sleep 2
  done
  log "chaos: not quiescent after $seconds s: $QUIET_DETAIL"
  return 1
}

# The invariant auditor (choreo-admin audit). A build without it gets a clearly-labelled
# minimal stand-in: dead-letter queues empty, no effect twice in the provider's ledger.
AUDIT_SUMMARY=""
run_audit() {
  local rc=0 s stores=()
  for s in "${STORES[@]}"; do stores+=("--$s-store=$(store_url "$s")"); done
  if "$BIN/choreo-admin" audit --help >/dev/null 2>&1; then
    set +e
    "$BIN/choreo-admin" audit --var-dir "$CHAOS_VAR" "${stores[@]}" --catalog "$CHOREO_ROOT/infra/catalog.json" --mgmt-url "$MGMT_URL" \
      | tee "$CHAOS_VAR/chaos/audit.out"
    rc=${PIPESTATUS[0]}
    set -e
    "$BIN/choreo-admin" audit --var-dir "$CHAOS_VAR" "${stores[@]}" --catalog "$CHOREO_ROOT/infra/catalog.json" --mgmt-url "$MGMT_URL" --json \
      > "$CHAOS_VAR/chaos/audit.json" 2>/dev/null || true
    if [ "$rc" = 0 ]; then AUDIT_SUMMARY="clean (choreo-admin audit exit 0)"
    else AUDIT_SUMMARY="VIOLATIONS (choreo-admin audit exit $rc, see above and $CHAOS_VAR/chaos/audit.out)"; fi
    return "$rc"
  fi
  echo "FALLBACK CHECK: this build has no 'choreo-admin audit'; checking only DLQs and duplicate provider effects"
  local dlq db="$CHAOS_VAR/data/provider.db" dup_charges dup_refunds dup_emails
  dlq="$(broker_ctl list_queues name messages --no-table-headers 2>/dev/null | awk '$1 ~ /\.dlq$/ {s += $2} END {print s + 0}')"
  dup_charges="$(sqlite3 "$db" "SELECT COUNT(*) FROM (SELECT order_id FROM provider_charges WHERE status = 'captured' GROUP BY order_id HAVING COUNT(*) > 1)")"
  dup_refunds="$(sqlite3 "$db" "SELECT COUNT(*) FROM (SELECT charge_id FROM provider_refunds GROUP BY charge_id HAVING COUNT(*) > 1)")"
  dup_emails="$(sqlite3 "$db" "SELECT COUNT(*) FROM (SELECT order_id FROM provider_emails GROUP BY order_id HAVING COUNT(*) > 1)")"
  echo "  dead-lettered messages: $dlq"
  echo "  orders charged twice: $dup_charges, charges refunded twice: $dup_refunds, orders e-mailed twice: $dup_emails"
  if [ "$dlq" != 0 ]; then "$BIN/choreo-admin" dlq list --mgmt-url "$MGMT_URL" || true; fi
  [ "$dlq" = 0 ] && [ "$dup_charges" = 0 ] && [ "$dup_refunds" = 0 ] && [ "$dup_emails" = 0 ] || rc=1
  AUDIT_SUMMARY="FALLBACK minimal check (no choreo-admin audit in this build): $([ $rc = 0 ] && echo clean || echo VIOLATIONS)"
  return "$rc"
}

print_fault_counts() {
  local k line total=0 details
  for k in "${FAULT_KINDS[@]}"; do total=$(( total + ${FAULTS_DONE[$k]:-0} )); done
  echo "  faults injected: $total of ${#PLAN_KIND[@]} planned"
  for k in "${FAULT_KINDS[@]}"; do
    details=""
    for line in "${!FAULT_DETAIL[@]}"; do
      if [ "${line%%:*}" = "$k" ]; then details="$details${details:+, }${line#*:} ${FAULT_DETAIL[$line]}"; fi
    done
    if [ "$k" = redelivery ]; then details="$details${details:+, }unacked deliveries at the kills $REDELIVERY_UNACKED"; fi
    printf '    %-17s %4d%s\n' "$k" "${FAULTS_DONE[$k]:-0}" "${details:+  ($details)}"
  done
}
