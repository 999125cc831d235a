#!/usr/bin/env bash
# The management plane under load, over real HTTP against the real server,
# with AGENTS agents configured in the bench queue (logged out, but in the
# waiting scenario), so callers stay waiting. bench/apibench is the HTTP
# client.
#   bench/api.sh waiting [N ...]    all AGENTS agents logged in through the
#                                   API and left AGENT_STATE (paused, or
#                                   ready with no phone: never rung), then
#                                   N SIPp callers held in the queue; the
#                                   supervisor's waiting list read REQUESTS
#                                   times in a row (default N: 5000)
#   bench/api.sh events [RATE ...]  SUBS administrators follow the event
#                                   stream while SIPp drives RATE calls/s
#                                   for STEP s (default RATE: 500)
#   bench/api.sh pages [RATE ...]   PAGES supervisors' queue pages stay open
#                                   while SIPp sends RATE callers/s to the
#                                   queue for STEP s (default RATE: 100)
#   bench/api.sh login [C ...]      C clients sign in at once, LOGINS in all
#                                   (default C: 1 2 4 8)
#   AGENTS=1000 AGENT_STATE=paused REQUESTS=500 SUBS=200 PAGES=50 STEP=10 LOGINS=200 bench/api.sh …
source "$(dirname "$0")/lib.sh"
AGENTS=${AGENTS:-1000}
AGENT_STATE=${AGENT_STATE:-paused} # the waiting scenario's agents: paused, or ready (no phone)
REQUESTS=${REQUESTS:-500}   # waiting-list reads per size
RATE=${RATE:-200}           # new callers per second while filling the queue
SUBS=${SUBS:-200}           # event-stream subscribers; 0: the same calls without any
STEP=${STEP:-10}            # seconds of calls in the events and pages scenarios
PAGES=${PAGES:-50}          # open supervisor queue pages; 0: the same calls without any
LOGINS=${LOGINS:-200}       # logins per client count
IDLE=${IDLE:-5}             # seconds of held callers measured before the reads
scenario=${1:-}
[ $# -gt 0 ] && shift
args=("$@")
API=http://$HTTP/api/v1

build
(cd "$ROOT" && go build -o "$OUT/apibench" ./bench/apibench)
cfg=$OUT/api.yaml
{
  cat "$BENCH/acd-bench.yaml"
  echo 'agents:'
  for i in $(seq 0 $((AGENTS - 1))); do echo "  \"$((3000 + i))\": {password: bench-secret, queues: [bench]}"; done
} >"$cfg"
export ACD_CONFIG=$cfg

# The machine's busy CPU in milliseconds, every process's (user, nice,
# system, interrupts, steal): the machine is shared, and a figure means
# little without what else ran beside it.
busy_ms() { awk -v t="$TICK_MS" '/^cpu / {print ($2 + $3 + $4 + $7 + $8 + $9) * t}' /proc/stat; }

# setup creates the administrator (and $1 supervisors for the logins) and
# prints its API token.
setup() { "$OUT/apibench" setup -api "$API" -log "$OUT/acd.log" -users "${1:-0}"; }

# drive_calls has SIPp call NUMBER at RATE calls/s for STEP s, each
# caller hanging up after 3 s, and sets the server's and the machine's
# CPU over the run (c0 c1 b0 b1 t0 t1), the calls that succeeded and
# failed (ok failed total) and the set-up time's p99 (p99s).
drive_calls() {
  local number=$1 rate=$2 rtt
  rm -f "$OUT"/caller_timed_*
  c0=$(cpu_ms); b0=$(busy_ms); t0=$(date +%s%N)
  (cd "$OUT" && sipp -sf "$BENCH/sipp/caller_timed.xml" -s "$number" -i 127.0.0.1 -p 0 \
    -key rtp_ip 127.0.0.1 -key rtp_port 9 -d 3000 \
    -r "$rate" -m $(( rate * STEP )) -l $(( rate * 6 )) -max_socket 8192 -nostdin \
    -trace_stat -stf "$OUT/stat.csv" -trace_rtt -rtt_freq 1 \
    -timeout "$(( STEP + 30 ))s" "$SIP" >/dev/null 2>&1) || true
  c1=$(cpu_ms); b1=$(busy_ms); t1=$(date +%s%N)
  read -r ok failed < <(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i}} END {print $s+0, $f+0}' "$OUT/stat.csv")
  rtt=$(ls "$OUT"/caller_timed_*_rtt.csv 2>/dev/null | head -1)
  p99s=$(awk -F';' 'NR>1 && $2 != "" {print $2}' "$rtt" | sort -n | awk '{v[NR]=$1} END {print NR ? v[int(NR*0.99)+1] : "-"}')
  total=$(( ok + failed ))
}

case $scenario in
waiting)
  [ ${#args[@]} -gt 0 ] || args=(5000)
  printf '%-7s %6s %9s %8s %5s %7s %7s %7s %7s %6s %6s %11s %9s\n' callers agents logged_in requests rows kib p50_ms p99_ms max_ms idle_% cpu_% cpu_ms/read machine_%
  for n in "${args[@]}"; do
    start_acd
    token=$(setup)
    # Every configured agent logged in before the callers come, as in a
    # centre with callers waiting: none takes a caller (AGENT_STATE).
    logged_in=$("$OUT/apibench" agents -api "$API" -token "$token" -first 3000 -n "$AGENTS" -state "$AGENT_STATE")
    ramp=$(( n / RATE + 1 ))
    hold_ms=$(( (ramp + 120) * 1000 ))
    # RTP goes to the discard port: hold music is sent, as to real
    # callers, but nothing on this machine spends CPU receiving it.
    sipp -sf "$BENCH/sipp/caller_timed.xml" -s 500 -i 127.0.0.1 -p 0 \
      -key rtp_ip 127.0.0.1 -key rtp_port 9 -d "$hold_ms" \
      -r "$RATE" -l "$n" -m "$n" -max_socket 4096 -nostdin \
      -timeout "$(( hold_ms / 1000 + 30 ))s" "$SIP" >/dev/null 2>&1 &
    SIPP_PID=$!
    up=$(wait_for calls "$n" $(( ramp * 10 + 200 )))
    if [ "$up" -lt "$n" ]; then
      echo "bench: only $up of $n callers got in; stopping here" >&2
      stop_acd; stop_sipp
      break
    fi
    # The server's CPU with the callers held and nobody reading, so that
    # what the reads add can be told apart from the hold music.
    sleep 1
    ca=$(cpu_ms); ta=$(date +%s%N)
    sleep "$IDLE"
    c0=$(cpu_ms); b0=$(busy_ms); t0=$(date +%s%N)
    row=$("$OUT/apibench" waiting -api "$API" -token "$token" -queue bench -n "$REQUESTS" -for 90s -want "$n")
    c1=$(cpu_ms); b1=$(busy_ms); t1=$(date +%s%N)
    read -r reqs rows kib p50 p99 pmax <<<"$row"
    awk -v n="$n" -v a="$AGENTS" -v li="$logged_in" -v r="$reqs" -v rows="$rows" -v kib="$kib" -v p50="$p50" -v p99="$p99" -v pmax="$pmax" \
        -v c="$((c1 - c0))" -v b="$((b1 - b0))" -v ns="$((t1 - t0))" -v idle="$((c0 - ca))" -v idle_ns="$((t0 - ta))" 'BEGIN {
      extra = c - idle * ns / idle_ns   # the server CPU the reads added, ms
      printf "%-7d %6d %9d %8d %5d %7d %7.2f %7.2f %7.2f %6.1f %6.1f %11.2f %9.1f\n", n, a, li, r, rows, kib, p50, p99, pmax, 100 * idle / (idle_ns / 1e6), 100 * c / (ns / 1e6), extra / r, 100 * b / (ns / 1e6)
    }'
    stop_acd   # first, so that SIPp answers the server's BYEs
    stop_sipp
  done
  ;;
events)
  [ ${#args[@]} -gt 0 ] || args=(500)
  printf '%-6s %4s %6s %6s %9s %7s %6s %11s %4s %6s %9s %6s %6s %7s %7s %7s %11s %9s\n' rate subs calls failed setup_p99 events ev/s deliveries gaps missed reordered behind broken p50_ms p99_ms max_ms cpu_ms/call machine_%
  for r in "${args[@]}"; do
    start_acd
    token=$(setup)
    ev_pid=
    if [ "$SUBS" -gt 0 ]; then
      # after=0: every subscriber reads the whole log (only the set-up's
      # events so far), so each must see every id from 1 on.
      "$OUT/apibench" events -api "$API" -token "$token" -subs "$SUBS" -after 0 -for "$(( STEP + 90 ))s" -quiet 3s >"$OUT/events.txt" 2>"$OUT/events.err" &
      ev_pid=$!
      for _ in $(seq 300); do grep -q '^ready' "$OUT/events.err" 2>/dev/null && break; sleep 0.1; done
      grep -q '^ready' "$OUT/events.err" || { echo "bench: subscribers did not connect: $(cat "$OUT/events.err")" >&2; kill "$ev_pid"; exit 1; }
    fi
    drive_calls 300 "$r"
    if [ -n "$ev_pid" ]; then
      status=0; wait "$ev_pid" || status=$?
      [ "$status" -eq 0 ] || echo "bench: event stream check failed: $(cat "$OUT/events.err")" >&2
      read -r _ evs deliveries gaps missed reord behind broken p50 p99 pmax <"$OUT/events.txt" || true
    else
      evs=0 deliveries=0 gaps=- missed=- reord=- behind=- broken=- p50=- p99=- pmax=-
    fi
    awk -v r="$r" -v s="$SUBS" -v t="$total" -v f="$failed" -v sp="$p99s" -v e="$evs" -v step="$STEP" -v d="$deliveries" \
        -v g="$gaps" -v m="$missed" -v o="$reord" -v b="$behind" -v x="$broken" -v p50="$p50" -v p99="$p99" -v pmax="$pmax" -v c="$((c1 - c0))" -v bz="$((b1 - b0))" -v ns="$((t1 - t0))" 'BEGIN {
      printf "%-6d %4d %6d %6d %9s %7d %6.0f %11d %4s %6s %9s %6s %6s %7s %7s %7s %11.2f %9.1f\n", r, s, t, f, sp, e, e / step, d, g, m, o, b, x, p50, p99, pmax, (t ? c / t : 0), 100 * bz / (ns / 1e6)
    }'
    stop_acd
  done
  ;;
pages)
  # PAGES open supervisor queue pages (the consoles' live stream, as a
  # browser's EventSource reads it) while SIPp sends RATE callers/s to
  # the bench queue for STEP s, each waiting 3 s and hanging up: every
  # join and every departure redraws every page. PAGES=0 runs the same
  # calls with no page open.
  [ ${#args[@]} -gt 0 ] || args=(100)
  printf '%-6s %5s %6s %6s %9s %9s %10s %9s %6s %11s %9s\n' rate pages calls failed setup_p99 redraws/pg fragments/pg kib/pg behind cpu_ms/call machine_%
  for r in "${args[@]}"; do
    start_acd
    token=$(setup)
    pg_pid=
    if [ "$PAGES" -gt 0 ]; then
      "$OUT/apibench" pages -api "$API" -token "$token" -pages "$PAGES" -for "$(( STEP + 90 ))s" -quiet 3s >"$OUT/pages.txt" 2>"$OUT/pages.err" &
      pg_pid=$!
      for _ in $(seq 300); do grep -q '^ready' "$OUT/pages.err" 2>/dev/null && break; sleep 0.1; done
      grep -q '^ready' "$OUT/pages.err" || { echo "bench: pages did not open: $(cat "$OUT/pages.err")" >&2; kill "$pg_pid"; exit 1; }
    fi
    drive_calls 500 "$r"
    if [ -n "$pg_pid" ]; then
      status=0; wait "$pg_pid" || status=$?
      [ "$status" -eq 0 ] || echo "bench: live pages check failed: $(cat "$OUT/pages.err")" >&2
      read -r _ redraws fragments kib _ behind _ <"$OUT/pages.txt" || true
    else
      redraws=- fragments=- kib=- behind=-
    fi
    awk -v r="$r" -v pg="$PAGES" -v t="$total" -v f="$failed" -v sp="$p99s" -v rd="$redraws" -v fr="$fragments" -v k="$kib" -v b="$behind" \
        -v c="$((c1 - c0))" -v bz="$((b1 - b0))" -v ns="$((t1 - t0))" 'BEGIN {
      printf "%-6d %5d %6d %6d %9s %9s %10s %9s %6s %11.2f %9.1f\n", r, pg, t, f, sp, rd, fr, k, b, (t ? c / t : 0), 100 * bz / (ns / 1e6)
    }'
    stop_acd
  done
  ;;
login)
  [ ${#args[@]} -gt 0 ] || args=(1 2 4 8)
  most=$(printf '%s\n' "${args[@]}" | sort -n | tail -1)
  start_acd
  setup "$most" >/dev/null
  printf '%-7s %6s %8s %7s %7s %7s %6s %9s\n' clients logins logins/s p50_ms p99_ms max_ms cpu_% machine_%
  for c in "${args[@]}"; do
    c0=$(cpu_ms); b0=$(busy_ms); t0=$(date +%s%N)
    row=$("$OUT/apibench" login -api "$API" -users "$most" -clients "$c" -n "$LOGINS" -for 60s)
    c1=$(cpu_ms); b1=$(busy_ms); t1=$(date +%s%N)
    read -r _ n rate p50 p99 pmax <<<"$row"
    awk -v cl="$c" -v n="$n" -v rate="$rate" -v p50="$p50" -v p99="$p99" -v pmax="$pmax" -v c="$((c1 - c0))" -v b="$((b1 - b0))" -v ns="$((t1 - t0))" 'BEGIN {
      printf "%-7d %6d %8.1f %7.1f %7.1f %7.1f %6.1f %9.1f\n", cl, n, rate, p50, p99, pmax, 100 * c / (ns / 1e6), 100 * b / (ns / 1e6)
    }'
  done
  stop_acd
  ;;
*)
  echo "usage: bench/api.sh waiting|events|login [sizes]" >&2
  exit 2
  ;;
esac
