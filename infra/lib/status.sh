# What runs where, for infra/status and the end of infra/up: the run record (record.sh)
# joined with what the supervisors write (run/<name>.state) and what /proc says.
# Source after system.sh and record.sh.
# shellcheck shell=bash

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

# Key `2` of the state file of service `1` (empty when absent).
state_field() { sed -n "s/^$2=//p" "$VAR_DIR/run/$1.state" 2>/dev/null | head -1; }

# One row per process, fields separated by tabs:
#   name kind pid port alive restarts state supervised log
# pid/port "-" when unknown, restarts "-" for what no supervisor watches; alive true|false; state running, backing-off, crash-loop,
# stopped (starting while a supervisor launches its process).
status_rows() {
  local kind name port pidfile log pid alive state restarts sup
  while read -r kind name port pidfile log; do
    pid="$(awk 'NR == 1 { print $1 }' "$pidfile" 2>/dev/null)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then alive=true state=running; else alive=false state=stopped; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "${pid:--}" "$port" "$alive" - "$state" false "$log"
  done < <(record_all process)
  while read -r kind name port log; do
    pid="$(service_pid "$name")" && alive=true || { pid="" alive=false; }
    restarts="$(state_field "$name" restarts)"
    if sup="$(supervisor_pid "$name")"; then
      state="$(state_field "$name" state)"
      # Between the exits of a crash loop the process runs briefly: still a crash loop
      # until one run lasts long enough to count as stable.
      if [ "$state" = running ] && [ "$(state_field "$name" crash_loop)" = 1 ] &&
         [ $(( $(now_ms) - $(state_field "$name" started_at_ms) )) -lt "$(state_field "$name" stable_ms)" ]; then
        state=crash-loop
      fi
    elif [ "$alive" = true ]; then
      state=running   # its supervisor is gone: it runs, but nothing restarts it
    else
      state=stopped
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "${pid:--}" "$port" "$alive" "${restarts:-0}" \
      "${state:-starting}" "$([ -n "$sup" ] && echo true || echo false)" "$log"
  done < <(record_all service)
}

json_string() {
  local s="$1"
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}
  printf '"%s"' "$s"
}
json_number_or_null() { if [[ "$1" =~ ^[0-9]+$ ]]; then printf '%s' "$1"; else printf 'null'; fi; }

# A JSON list: [{"name", "kind", "pid", "port", "alive", "restarts", "state", "supervised", "log"}, ...]
status_json() {
  local first=1 name kind pid port alive restarts state supervised log
  printf '['
  while IFS=$'\t' read -r name kind pid port alive restarts state supervised log; do
    [ "$first" = 1 ] || printf ','
    first=0
    printf '\n  {"name": %s, "kind": %s, "pid": %s, "port": %s, "alive": %s, "restarts": %s, "state": %s, "supervised": %s, "log": %s}' \
      "$(json_string "$name")" "$(json_string "$kind")" "$(json_number_or_null "$pid")" "$(json_number_or_null "$port")" \
      "$alive" "$(json_number_or_null "$restarts")" "$(json_string "$state")" "$supervised" "$(json_string "$log")"
  done < <(status_rows)
  printf '\n]\n'
}

status_text() {
  if [ ! -f "$RECORD_FILE" ]; then
    echo "nothing recorded in $VAR_DIR/run: infra/up has not run (or infra/down stopped it)"
    return 0
  fi
  local profile mode
  profile="$(record_get profile)" || profile="?"
  mode="$(record_get broker_mode)" || mode="?"
  echo "choreo, profile $profile (var dir $VAR_DIR):"
  if [ "$mode" = external ]; then
    # Not the URL itself: it may carry a password, and status output ends up in logs.
    echo "  broker: external, from CHOREO_AMQP_URL"
  else
    echo "  management: $(record_get mgmt_url | tr ',' ' ')"
  fi
  printf '  %-24s %-9s %-8s %-6s %-12s %-8s %s\n' NAME KIND PID PORT STATE RESTARTS LOG
  local name kind pid port alive restarts state supervised log
  while IFS=$'\t' read -r name kind pid port alive restarts state supervised log; do
    printf '  %-24s %-9s %-8s %-6s %-12s %-8s %s\n' "$name" "$kind" "$pid" "$port" "$state" \
      "$([ "$supervised" = true ] && echo "$restarts" || echo -)" "$log"
  done < <(status_rows)
}
