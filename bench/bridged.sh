#!/usr/bin/env bash
# Bridged calls: N callers streaming audio, each bridged to an agent
# whose phone (bench/agentsim) echoes the audio back, so the server relays
# every packet both ways. Reports server CPU %, µs of server CPU per
# relayed packet, RSS per pair, goroutines, the gaps between relayed
# packets at the agents (p50, p99: the relay's pacing, from the kernel's
# receive timestamps) and the recordings' disk write rate in the window
# (MB/s). us_per_sent_pkt divides by the packets the server actually
# sent in the window (/metrics) rather than 100 a second a pair, which a
# SIPp short of CPU does not reach. Exits non-zero, with no figure, when
# fewer than N pairs are bridged for the whole window.
# CALLERS=go runs bench/callersim as the callers instead of SIPp's
# bench/sipp/caller_stream.xml: one sender goroutine per core on one
# ticker writes every call's 20 ms frame, and it reports what the callers
# sent (caller_sent_per_s) and the gaps of the audio relayed back to them
# (caller_gap_p50_ms, caller_gap_p99_ms); with SIPp those are nan.
# caller_cpu_pct is the callers' process's CPU in the window, either way.
# SIPp stays the default: at 1 000 pairs callersim sends 97-99 % of the
# packets asked, yet fewer packets were relayed end to end than with
# SIPp, likely because it reads and timestamps every packet coming back,
# which SIPp does not, at twice SIPp's CPU on the two cores the server
# and the agents share (docs/PERFORMANCE.md, "Bridged calls").
#   bench/bridged.sh [N ...]          (default: 50 100 250 500)
#   WINDOW=10 RATE=50 bench/bridged.sh 100
#   MAX_CALLS=60 bench/bridged.sh 50   (default: room for N logins and N callers)
#   RECORDING=always bench/bridged.sh 500   (every pair recorded to a stereo WAV)
#   CALLERS=go bench/bridged.sh 1000        (bench/callersim's callers instead of SIPp)
#   RTP_PORTS=41000-60998 bench/bridged.sh  (the server's RTP ports; default 20000-39998)
#   CALLERSIM_ARGS=-read=false bench/bridged.sh 1000  (extra callersim flags)
source "$(dirname "$0")/lib.sh"
WINDOW=${WINDOW:-10}
RATE=${RATE:-50}
CALLERS=${CALLERS:-sipp}
RTP_PORTS=${RTP_PORTS:-20000-39998}
case $CALLERS in go | sipp) ;; *) echo "bench: CALLERS is go or sipp, not $CALLERS" >&2; exit 2 ;; esac
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 100 250 500)
build
"$OUT/agentsim" -write-tone "$OUT/tone.ulaw"

# fail MESSAGE: no figure for pairs that were not all bridged.
fail() {
  local refused
  refused=$(health 2>/dev/null | json calls_refused) || refused=unknown
  echo "bench: $1; no figure for $n pairs (calls refused for max_calls: ${refused:-unknown}; see $OUT/acd.log and $OUT/agentsim.out)" >&2
  exit 1
}

# wait_until_calls_at_most N SECONDS: until /healthz counts N calls or fewer.
wait_until_calls_at_most() {
  local end=$((SECONDS + $2))
  while [ "$(calls)" -gt "$1" ]; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.1
  done
}

# wait_for_legs N SECONDS: until /healthz counts N answered agent legs;
# prints the most seen, since callers that got no agent may be gone by the
# end of the wait.
wait_for_legs() {
  local end=$((SECONDS + $2)) most=0 now
  while :; do
    now=$(legs)
    [ "$now" -gt "$most" ] && most=$now
    [ "$most" -lt "$1" ] && [ "$SECONDS" -lt "$end" ] || break
    sleep 0.1
  done
  echo "$most"
}

# sent: the RTP packets the server has sent (relayed ones, in this
# scenario), from /metrics.
sent() {
  curl -fs "http://$HTTP/metrics" | awk '$1 == "acd_rtp_packets_sent_total" { printf "%d", $2 }'
}

# recorded: the bytes of the recordings' files so far.
recorded() {
  local d=$OUT/data/recordings
  [ -d "$d" ] && du -sb "$d" | cut -f1 || echo 0
}

printf '%-6s %8s %14s %13s %11s %11s\n' pairs cpu_% us/pkt_relayed rss_kib/pair goroutines gap_p99_ms
for n in "${sizes[@]}"; do
  cfg=$OUT/bridged.yaml
  {
    # Each agent's *50 login is a call of its own, counted against
    # max_calls while its confirmation prompt plays (~2.4 s), so room for
    # all of them besides the pairs; each pair takes two RTP ports (the
    # caller's and the agent's leg), hence the wide range.
    echo "server: {log_level: warn, max_calls: ${MAX_CALLS:-$((2 * n + 100))}, rtp_ports: $RTP_PORTS}"
    # off, as in acd-bench.yaml: the simulated agents register from one
    # address, a thousand in a row, far past the default 100 messages/s
    echo 'sip: {rate_limit: {per_second: 0}}'
    echo 'prompts_dir: ""'
    echo 'media: {rtp_timeout: 1h, rtp_hold_timeout: 1h}'
    echo 'numbers: {"600": bridge}'
    echo "queues: {bridge: {strategy: longest-idle, ring_timeout: 10s, announce_every: 1h, recording: ${RECORDING:-never}}}"
    echo 'dialplans: {bridge: {entry: q, nodes: {q: {type: queue, queue: bridge, timeout: 1h, on_timeout: bye, on_exit: bye}, bye: {type: hangup}}}}'
    echo 'agents:'
    for i in $(seq 0 $((n - 1))); do echo "  \"$((3000 + i))\": {password: bench-secret, queues: [bridge]}"; done
  } >"$cfg"
  ACD_CONFIG=$cfg start_acd
  idle_rss=$(rss_kb)
  ramp=$(( n / RATE + 1 ))
  hold_ms=$(( (ramp + WINDOW + 40) * 1000 ))
  "$OUT/agentsim" -server "$SIP" -first 3000 -count "$n" -password bench-secret -for "$(( hold_ms / 1000 + 120 ))s" >"$OUT/agentsim.out" 2>&1 &
  sim=$!
  HELPER_PIDS=("$sim")
  for _ in $(seq $(( 600 + n / 2 ))); do grep -q '^ready' "$OUT/agentsim.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$OUT/agentsim.out" || fail "agents did not log in: $(cat "$OUT/agentsim.out")"
  # The login calls end when their prompt does; callers placed before
  # then would share max_calls and the ports with them.
  wait_until_calls_at_most 0 30 || fail "$(calls) login calls still up 30 s after the last agent logged in"
  callers=
  if [ "$CALLERS" = go ]; then
    "$OUT/callersim" -server "$SIP" -number 600 -count "$n" -rate "$RATE" -hold "${hold_ms}ms" \
      -for "$(( hold_ms / 1000 + 30 ))s" -tone "$OUT/tone.ulaw" ${CALLERSIM_ARGS:-} >"$OUT/callersim.out" 2>&1 &
    callers=$!
    caller_pid=$callers
    HELPER_PIDS+=("$callers")
  else
    (cd "$OUT" && exec sipp -sf "$BENCH/sipp/caller_stream.xml" -s 600 -i 127.0.0.1 -p 0 -d "$hold_ms" \
      -r "$RATE" -l "$n" -m "$n" -max_socket 4096 -nostdin \
      -timeout "$(( hold_ms / 1000 + 30 ))s" "$SIP" >/dev/null 2>&1) &
    SIPP_PID=$!
    caller_pid=$SIPP_PID
  fi
  up=$(wait_for_legs "$n" $(( ramp + 20 )))
  [ "$up" -ge "$n" ] || fail "only $up of $n pairs were bridged"
  sleep 1
  d0=$(recorded); s0=$(sent); c0=$(cpu_ms); t0=$(date +%s%N); k0=$(cpu_ms "$caller_pid")
  kill -USR1 "$sim" # agentsim counts the gaps between relayed packets from now
  [ -z "$callers" ] || kill -USR1 "$callers" # and callersim too, and the packets it sends
  sleep "$WINDOW"
  c1=$(cpu_ms); t1=$(date +%s%N); s1=$(sent); k1=$(cpu_ms "$caller_pid")
  kill -USR2 "$sim" # and prints them
  [ -z "$callers" ] || kill -USR2 "$callers"
  d1=$(recorded)
  rss=$(rss_kb); gor=$(health | json goroutines); still=$(legs)
  [ "$still" -ge "$n" ] || fail "only $still of $n pairs were still bridged at the end of the window"
  stop_acd
  stop_sipp
  stop_helpers
  read -r _ answered _ echoed < <(grep '^answered' "$OUT/agentsim.out") || true
  read -r _ _ _ gap50 _ gap99 _ < <(grep '^gaps' "$OUT/agentsim.out") || true
  [ "${answered:-0}" -ge "$n" ] && [ "${echoed:-0}" -gt 0 ] ||
    fail "the agents answered ${answered:-no} calls and echoed ${echoed:-no} packets"
  csent=nan cgap50=nan cgap99=nan
  if [ -n "$callers" ]; then
    read -r _ _ _ cgap50 _ cgap99 _ < <(grep '^gaps' "$OUT/callersim.out") || true
    read -r _ _ _ csent < <(grep '^sent' "$OUT/callersim.out") || true
    read -r _ _ canswered _ cup < <(grep '^calls answered' "$OUT/callersim.out") || true
    [ "${cup:-0}" -ge "$n" ] || fail "callersim had ${cup:-no} of ${canswered:-no} answered calls up at the end of the window"
  fi
  awk -v n="$n" -v c="$((c1 - c0))" -v ns="$((t1 - t0))" -v rss="$rss" -v idle="$idle_rss" -v g="$gor" -v gap99="${gap99:-nan}" -v gap50="${gap50:-nan}" -v disk="$((d1 - d0))" -v out="$((s1 - s0))" -v kc="$((k1 - k0))" -v csent="${csent:-nan}" -v cgap50="${cgap50:-nan}" -v cgap99="${cgap99:-nan}" 'BEGIN {
    sec = ns / 1e9
    relayed = 2 * n * 50 * sec   # caller to agent and the echo back, 50 packets a second each
    printf "%-6d %8.1f %14.2f %13.1f %11d %11s\n", n, 100 * c / (ns / 1e6), c * 1000 / relayed, (rss - idle) / n, g, gap99
    printf "RESULT scenario=bridged point=%d pairs=%d cpu_pct=%.1f us_per_pkt=%.3f rss_kib_per_pair=%.1f gap_p50_ms=%s gap_p99_ms=%s disk_mb_s=%.2f sent_per_s=%.0f us_per_sent_pkt=%.3f caller_sent_per_s=%s caller_gap_p50_ms=%s caller_gap_p99_ms=%s caller_cpu_pct=%.1f\n", n, n, 100 * c / (ns / 1e6), c * 1000 / relayed, (rss - idle) / n, gap50, gap99, disk / sec / 1e6, out / sec, (out > 0 ? c * 1000 / out : 0), csent, cgap50, cgap99, 100 * kc / (ns / 1e6)
  }'
done
