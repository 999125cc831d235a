#!/usr/bin/env bash
# Call rate: answer + prompt + hang-up after 3 s, ramping the rate until more
# than 0.1 % of calls fail or the setup time p99 passes 200 ms. Reports the
# highest clean rate, server CPU-ms per call and RSS.
#   bench/callrate.sh [RATE ...]     (default: 200 400 800 1000 1200 1500 2000)
#   STEP=10 bench/callrate.sh 100 200
source "$(dirname "$0")/lib.sh"
STEP=${STEP:-10}   # seconds of calls at each rate
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(200 400 800 1000 1200 1500 2000)
build

printf '%-6s %7s %7s %12s %12s %11s %9s\n' rate calls failed setup_p50_ms setup_p99_ms cpu_ms/call rss_mib
best=0
for r in "${rates[@]}"; do
  start_acd
  m=$(( r * STEP ))
  rm -f "$OUT"/caller_timed_*
  c0=$(cpu_ms)
  (cd "$OUT" && exec sipp -sf "$BENCH/sipp/caller_timed.xml" -s 300 -i 127.0.0.1 -p 0 \
    -key rtp_ip 127.0.0.1 -key rtp_port 9 -d 3000 \
    -r "$r" -m "$m" -l $(( r * 6 )) -max_socket 8192 -nostdin \
    -trace_stat -stf "$OUT/stat.csv" -trace_rtt -rtt_freq 1 \
    -timeout "$(( STEP + 30 ))s" "$SIP" >/dev/null 2>&1) &
  SIPP_PID=$!
  wait "$SIPP_PID" || true
  SIPP_PID=
  c1=$(cpu_ms); rss=$(rss_kb)
  rtt=$(ls "$OUT"/caller_timed_*_rtt.csv 2>/dev/null | head -1)
  read -r ok failed < <(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i}} END {print $s+0, $f+0}' "$OUT/stat.csv")
  read -r p50 p99 < <(awk -F';' 'NR>1 && $2 != "" {print $2}' "$rtt" | sort -n | awk '{v[NR]=$1} END {if (NR==0) {print "- -"; exit} print v[int(NR*0.5)+1], v[int(NR*0.99)+1]}')
  total=$(( ok + failed ))
  awk -v r="$r" -v t="$total" -v f="$failed" -v p50="$p50" -v p99="$p99" -v c="$((c1 - c0))" -v rss="$rss" 'BEGIN {
    printf "%-6d %7d %7d %12s %12s %11.2f %9.1f\n", r, t, f, p50, p99, (t ? c / t : 0), rss / 1024
    printf "RESULT scenario=callrate point=%d calls=%d failed=%d setup_p99_ms=%s cpu_ms_per_call=%.3f rss_mib=%.1f\n", r, t, f, p99, (t ? c / t : 0), rss / 1024
  }'
  stop_acd
  if [ "$total" -eq 0 ] || [ $(( failed * 1000 )) -gt "$total" ] || awk -v p="$p99" 'BEGIN {exit !(p == "-" || p > 200)}'; then
    break
  fi
  best=$r
done
echo "highest clean rate: $best calls/s"
