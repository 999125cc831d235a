#!/usr/bin/env bash
# Bridged calls: N SIPp callers streaming audio, each bridged to an agent
# whose phone (bench/agentsim) echoes the audio back, so the server relays
# every packet both ways. Reports server CPU %, µs of server CPU per
# relayed packet, RSS per pair and goroutines.
#   bench/bridged.sh [N ...]          (default: 50 100 250 500)
#   WINDOW=10 RATE=50 bench/bridged.sh 100
source "$(dirname "$0")/lib.sh"
WINDOW=${WINDOW:-10}
RATE=${RATE:-50}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 100 250 500)
build
"$OUT/agentsim" -write-tone "$OUT/tone.ulaw"

printf '%-6s %8s %14s %13s %11s\n' pairs cpu_% us/pkt_relayed rss_kib/pair goroutines
for n in "${sizes[@]}"; do
  cfg=$OUT/bridged.yaml
  {
    echo 'server: {log_level: warn}'
    # off, as in acd-bench.yaml: the simulated agents register from one
    # address, a thousand in a row, far past the default 100 messages/s
    echo 'sip: {rate_limit: {per_second: 0}}'
    echo 'prompts_dir: ""'
    echo 'media: {rtp_timeout: 1h, rtp_hold_timeout: 1h}'
    echo 'numbers: {"600": bridge}'
    echo 'queues: {bridge: {strategy: longest-idle, ring_timeout: 10s, announce_every: 1h}}'
    echo 'dialplans: {bridge: {entry: q, nodes: {q: {type: queue, queue: bridge, timeout: 1h, on_timeout: bye, on_exit: bye}, bye: {type: hangup}}}}'
    echo 'agents:'
    for i in $(seq 0 $((n - 1))); do echo "  \"$((3000 + i))\": {password: bench-secret, queues: [bridge]}"; done
  } >"$cfg"
  ACD_CONFIG=$cfg start_acd
  idle_rss=$(rss_kb)
  ramp=$(( n / RATE + 1 ))
  hold_ms=$(( (ramp + WINDOW + 20) * 1000 ))
  "$OUT/agentsim" -server "$SIP" -first 3000 -count "$n" -password bench-secret -for "$(( hold_ms / 1000 + 30 ))s" >"$OUT/agentsim.out" 2>&1 &
  sim=$!
  for _ in $(seq 600); do grep -q '^ready' "$OUT/agentsim.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready' "$OUT/agentsim.out" || { echo "bench: agents did not log in: $(cat "$OUT/agentsim.out")" >&2; kill "$sim"; stop_acd; exit 1; }
  (cd "$OUT" && exec sipp -sf "$BENCH/sipp/caller_stream.xml" -s 600 -i 127.0.0.1 -p 0 -d "$hold_ms" \
    -r "$RATE" -l "$n" -m "$n" -max_socket 4096 -nostdin \
    -timeout "$(( hold_ms / 1000 + 30 ))s" "$SIP" >/dev/null 2>&1) &
  SIPP_PID=$!
  up=$(wait_for legs "$n" $(( ramp * 10 + 300 )))
  if [ "$up" -lt "$n" ]; then
    echo "bench: only $up of $n pairs were bridged; stopping here" >&2
    stop_acd; stop_sipp; kill "$sim" 2>/dev/null || true
    break
  fi
  sleep 1
  c0=$(cpu_ms); t0=$(date +%s%N)
  sleep "$WINDOW"
  c1=$(cpu_ms); t1=$(date +%s%N)
  rss=$(rss_kb); gor=$(health | json goroutines)
  awk -v n="$n" -v c="$((c1 - c0))" -v ns="$((t1 - t0))" -v rss="$rss" -v idle="$idle_rss" -v g="$gor" 'BEGIN {
    sec = ns / 1e9
    relayed = 2 * n * 50 * sec   # caller to agent and the echo back, 50 packets a second each
    printf "%-6d %8.1f %14.2f %13.1f %11d\n", n, 100 * c / (ns / 1e6), c * 1000 / relayed, (rss - idle) / n, g
  }'
  stop_acd
  stop_sipp
  kill "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
done
