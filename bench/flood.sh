#!/usr/bin/env bash
# OPTIONS flood: SIPp sends out-of-dialog OPTIONS from one address at RATE
# per second for SECONDS, as a scanner would. Reports the server's RSS
# before, at its peak during, right after and AFTER seconds after the
# flood, and how many OPTIONS were answered, once with the rate limit off
# (every OPTIONS answered: what an answer costs) and once with the
# default limit (what a flood from one address gets).
#   bench/flood.sh                 (RATE=2000 DURATION=30 AFTER=30)
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-2000}
DURATION=${DURATION:-30}
AFTER=${AFTER:-30}
build

unlimited=$BENCH/acd-bench.yaml   # its rate limit is off
limited=$OUT/flood-limited.yaml
sed 's/^    per_second: 0\b/    per_second: 100/' "$BENCH/acd-bench.yaml" >"$limited"   # the default limit
grep -q 'per_second: 100' "$limited" || { echo "bench: no rate_limit.per_second in acd-bench.yaml" >&2; exit 2; }

printf '%-10s %8s %9s %10s %10s %10s %11s\n' limit sent answered rss_mib peak_mib after_mib later_mib
for mode in off default; do
  cfg=$unlimited
  [ "$mode" = default ] && cfg=$limited
  ACD_CONFIG=$cfg start_acd
  before=$(rss_kb)
  rm -f "$OUT/stat.csv"
  sipp -sf "$BENCH/sipp/options.xml" -s 100 -i 127.0.0.1 -p 0 -default_behaviors none \
    -r "$RATE" -m $(( RATE * DURATION )) -l $(( RATE * 4 )) -nostdin \
    -trace_stat -stf "$OUT/stat.csv" -fd 1 \
    -timeout "$(( DURATION + 20 ))s" "$SIP" >/dev/null 2>&1 &
  SIPP_PID=$!
  peak=$before
  while kill -0 "$SIPP_PID" 2>/dev/null; do
    r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r
    sleep 1
  done
  wait "$SIPP_PID" || true
  SIPP_PID=
  after=$(rss_kb)
  sleep "$AFTER"
  later=$(rss_kb)
  read -r ok failed < <(awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i; if ($i=="FailedCall(C)") f=i}} END {print $s+0, $f+0}' "$OUT/stat.csv")
  awk -v m="$mode" -v ok="$ok" -v f="$failed" -v b="$before" -v p="$peak" -v a="$after" -v l="$later" 'BEGIN {
    printf "%-10s %8d %9d %10.1f %10.1f %10.1f %11.1f\n", m, ok + f, ok, b / 1024, p / 1024, a / 1024, l / 1024
  }'
  stop_acd
done
