#!/usr/bin/env bash
# Queued callers: N concurrent callers hold in a queue with hold music.
# For each N: server CPU %, µs of server CPU per RTP packet sent, RSS per
# call, goroutines, and RTP pacing at the receiver.
#   bench/queued.sh [N ...]          (default: 250 500 1000 2000 4000)
#   WINDOW=10 RATE=200 bench/queued.sh 1000
source "$(dirname "$0")/lib.sh"
WINDOW=${WINDOW:-10}   # seconds measured once all callers are in
RATE=${RATE:-200}      # new calls per second while ramping up
POLL=${POLL:-1ms}      # how often the RTP receiver drains its socket; 0: it blocks in recvmsg
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(250 500 1000 2000 4000)
build

printf '%-6s %8s %10s %12s %11s %10s %10s %8s %8s\n' callers cpu_% us/pkt_sent rss_kib/call goroutines gap_p50_ms gap_p99_ms lost pkts/s
for n in "${sizes[@]}"; do
  start_acd
  idle_rss=$(rss_kb)
  ramp=$(( n / RATE + 1 ))
  hold_ms=$(( (ramp + WINDOW + 20) * 1000 ))
  sipp -sf "$BENCH/sipp/caller_timed.xml" -s 500 -i 127.0.0.1 -p 0 \
    -key rtp_ip 127.0.0.1 -key rtp_port 4000 -d "$hold_ms" \
    -r "$RATE" -l "$n" -m "$n" -max_socket 4096 -nostdin \
    -timeout "$(( hold_ms / 1000 + 30 ))s" "$SIP" >/dev/null 2>&1 &
  SIPP_PID=$!
  up=$(wait_for calls "$n" $(( ramp * 10 + 200 )))
  if [ "$up" -lt "$n" ]; then
    echo "bench: only $up of $n callers got in; stopping here" >&2
    stop_acd; stop_sipp
    break
  fi
  "$OUT/rtpstat" -listen 127.0.0.1:4000 -poll "$POLL" -wait 1s -for "${WINDOW}s" >"$OUT/rtp.json" &
  stat_pid=$!
  HELPER_PIDS=("$stat_pid")
  sleep 1
  c0=$(cpu_ms); t0=$(date +%s%N)
  wait "$stat_pid"
  HELPER_PIDS=()
  c1=$(cpu_ms); t1=$(date +%s%N)
  rss=$(rss_kb); gor=$(health | json goroutines)
  pkts=$(json packets <"$OUT/rtp.json"); lost=$(json lost <"$OUT/rtp.json")
  p50=$(json gap_p50_ms <"$OUT/rtp.json"); p99=$(json gap_p99_ms <"$OUT/rtp.json"); pps=$(json packets_per_second <"$OUT/rtp.json")
  awk -v n="$n" -v c="$((c1 - c0))" -v ns="$((t1 - t0))" -v rss="$rss" -v idle="$idle_rss" -v g="$gor" \
      -v p50="$p50" -v p99="$p99" -v lost="$lost" -v pps="$pps" -v pkts="$pkts" -v win="$WINDOW" 'BEGIN {
    sec = ns / 1e9
    sent = n * 50 * sec          # every caller is sent 50 packets a second
    printf "%-6d %8.1f %10.2f %12.1f %11d %10.1f %10.1f %8d %8.0f\n", n, 100 * c / (ns / 1e6), c * 1000 / sent, (rss - idle) / n, g, p50, p99, lost, pps
    printf "RESULT scenario=queued point=%d cpu_pct=%.1f us_per_pkt=%.3f rss_kib_per_call=%.1f gap_p99_ms=%.1f lost=%d\n", n, 100 * c / (ns / 1e6), c * 1000 / sent, (rss - idle) / n, p99, lost
  }'
  stop_acd   # first, so that SIPp answers the server's BYEs
  stop_sipp
done
