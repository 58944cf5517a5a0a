# The run record: what infra/up started and where, in $VAR_DIR/run/record, readable by its
# owner only (a store URL given by the user may carry a password). infra/down, infra/status
# and choreo-admin (infra/tools/admin/src/run_record.cpp) read it. Source after system.sh.
# shellcheck shell=bash
#
# One entry per line, "<key> <value...>", fields separated by one blank; the last field
# may hold blanks, no other one can (URLs never do, see infra/services):
#   profile  embedded | cluster
#   amqp_url <url>[,<url>...]          what the processes were given as CHOREO_AMQP_URL
#   mgmt_url <url>[,<url>...]          management API(s) of the broker(s)
#   broker_mode local | external
#   store <component> <url>            each component's store (all replicas share it)
#   rabbit <node> <port> <mgmt port> <dist port> <dir>        embedded: the local node
#   cluster <name> <size> <port> <mgmt port> <dist port> <dir> cluster: the local cluster
#   postgresql <port> <dir>            cluster: the local PostgreSQL server
#   process <kind> <name> <port> <pid file> <log>   a process infra/up does not supervise
#                                      (broker nodes, PostgreSQL): pid = first word of the file
#   service <kind> <name> <port> <log> a supervised process; its pid, restarts and state
#                                      are in run/<name>.state (infra/lib/supervise). The
#                                      port of a worker is its HTTP port (/healthz, /readyz,
#                                      /metrics: the web console asks them), of the gateway,
#                                      the provider and the console their own

RECORD_FILE="$VAR_DIR/run/record"
RECORD_TMP=""

# Starts a new record (written aside, put in place by record_commit).
record_begin() {
  mkdir -p "$VAR_DIR/run"
  RECORD_TMP="$VAR_DIR/run/.record.$$"
  ( umask 077; printf '# choreo run record, written by infra/up at %s; read by infra/down, infra/status, choreo-admin\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$RECORD_TMP" )
  record_line profile "$1"
}

record_line() {
  [ -n "$RECORD_TMP" ] || return 0
  printf '%s\n' "$*" >> "$RECORD_TMP"
}

# The kind of a service, from its name (infra/services names).
service_kind() {
  case "$1" in
    provider*) echo provider ;;
    gateway*) echo gateway ;;
    *-worker*) echo worker ;;
    console) echo console ;;
    *) echo other ;;
  esac
}

# The component of a service or replica: order-worker-2 -> order, gateway-1 -> gateway.
service_component() {
  local c="${1%-[0-9]*}"
  echo "${c%-worker}"
}

# The port the service just expanded by service_expand listens on (--port / --http-port),
# "-" when none.
service_port() {
  local i port="-"
  for (( i = 1; i + 1 < ${#SERVICE_WORDS[@]}; i++ )); do
    case "${SERVICE_WORDS[i]}" in --port|--http-port) port="${SERVICE_WORDS[i+1]}" ;; esac
  done
  echo "$port"
}

# Records the service just expanded by service_expand (SERVICE_WORDS, SERVICE_ENV): its
# port (--port / --http-port), log and store URL.
record_service() {
  local name="$1" assignment
  record_line service "$(service_kind "$name")" "$name" "$(service_port)" "$VAR_DIR/log/$name.log"
  for assignment in "${SERVICE_ENV[@]}"; do
    case "${assignment%%=*}" in
      *STORE_URL) record_line store "$(service_component "$name")" "${assignment#*=}" ;;
    esac
  done
}

# Puts the record so far in place (each line once: replicas record their shared store
# each). Called again as more is started, and on infra/up's exit whatever happened, so that
# infra/down finds what a failed start left running.
record_commit() {
  [ -n "$RECORD_TMP" ] && [ -f "$RECORD_TMP" ] || return 0
  ( umask 077; awk '!seen[$0]++' "$RECORD_TMP" > "$RECORD_TMP.u" )
  chmod 600 "$RECORD_TMP.u"
  mv -f "$RECORD_TMP.u" "$RECORD_FILE"
}

record_end() {
  record_commit
  [ -z "$RECORD_TMP" ] || rm -f "$RECORD_TMP"
  RECORD_TMP=""
}

# The fields after `key` of the first entry with that key (fails when there is none).
record_get() {
  [ -f "$RECORD_FILE" ] || return 1
  awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; found = 1; exit } END { exit !found }' "$RECORD_FILE"
}

# Every entry with that key, without the key, one per line.
record_all() {
  [ -f "$RECORD_FILE" ] || return 0
  awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print }' "$RECORD_FILE"
}
