# Shared by the load scenarios: build, start and measure the server.
# Everything stays on 127.0.0.1 and every step is bounded in time.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
mkdir -p "$OUT"
SIP=127.0.0.1:5090
HTTP=127.0.0.1:8090
TICK_MS=$((1000 / $(getconf CLK_TCK)))

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 2; }; }
need sipp "apt-get install sip-tester"
need curl "apt-get install curl"

build() {
  (cd "$ROOT" && go build -o "$OUT/acd" ./cmd/acd && go build -o "$OUT/rtpstat" ./bench/rtpstat && go build -o "$OUT/agentsim" ./bench/agentsim)
}

ACD_PID=
start_acd() {
  rm -rf "$OUT/data"
  # shellcheck disable=SC2086 # ACD_ARGS holds extra flags, e.g. "-cpuprofile bench/out/cpu.prof"
  "$OUT/acd" -config "${ACD_CONFIG:-$BENCH/acd-bench.yaml}" -sip "$SIP" -http "$HTTP" -data "$OUT/data" -drain-timeout 0 ${ACD_ARGS:-} 2>"$OUT/acd.log" &
  ACD_PID=$!
  for _ in $(seq 100); do
    curl -fs "http://$HTTP/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: acd did not start; see $OUT/acd.log" >&2
  exit 1
}

stop_acd() {
  [ -n "$ACD_PID" ] || return 0
  kill "$ACD_PID" 2>/dev/null || true
  for _ in $(seq 400); do kill -0 "$ACD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$ACD_PID" 2>/dev/null || true
  wait "$ACD_PID" 2>/dev/null || true
  ACD_PID=
}
# SIPp runs in the background of a scenario as SIPP_PID; only that process
# is stopped, never another SIPp of the user's.
SIPP_PID=
stop_sipp() {
  [ -n "$SIPP_PID" ] || return 0
  kill "$SIPP_PID" 2>/dev/null || true
  wait "$SIPP_PID" 2>/dev/null || true
  SIPP_PID=
}
trap 'stop_acd; stop_sipp' EXIT

# CPU time the server has used, in milliseconds (user + system).
cpu_ms() { awk -v t="$TICK_MS" '{print ($14 + $15) * t}' "/proc/$ACD_PID/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$ACD_PID/status"; }
health() { curl -fs "http://$HTTP/healthz"; }
json() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
calls() { health | json calls; }
legs() { health | json legs; }

# wait_for COUNTER N TRIES: polls calls or legs every 0.1 s until it reaches
# N or TRIES run out, then prints the last count.
wait_for() {
  for _ in $(seq "$3"); do
    [ "$($1)" -ge "$2" ] 2>/dev/null && break
    sleep 0.1
  done
  $1
}
