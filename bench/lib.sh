# Shared by the load scenarios: build, start and measure the server.
# Everything stays on 127.0.0.1 and every step is bounded in time.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=${BENCH_OUT:-$BENCH/out}
mkdir -p "$OUT"
SIP=${BENCH_SIP:-127.0.0.1:5090}
HTTP=${BENCH_HTTP:-127.0.0.1:8090}
TICK_MS=$((1000 / $(getconf CLK_TCK)))

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 2; }; }
need sipp "apt-get install sip-tester"
need curl "apt-get install curl"

# ACD_BIN runs a server built elsewhere (bench/compare.sh builds one per
# revision) instead of this tree's; BENCH_TOOLS_BUILT=1 says the harness's
# own tools in $OUT are already built from this tree.
ACD=${ACD_BIN:-$OUT/acd}
build() {
  if [ -n "${ACD_BIN:-}" ]; then
    [ -x "$ACD_BIN" ] || { echo "bench: ACD_BIN $ACD_BIN is not an executable" >&2; exit 2; }
  else
    (cd "$ROOT" && go build -o "$OUT/acd" ./cmd/acd)
  fi
  [ -n "${BENCH_TOOLS_BUILT:-}" ] || (cd "$ROOT" && go build -o "$OUT/rtpstat" ./bench/rtpstat && go build -o "$OUT/agentsim" ./bench/agentsim && go build -o "$OUT/callersim" ./bench/callersim)
}

# result SCENARIO POINT NAME=VALUE...: one machine-readable line per point
# measured, for bench/compare.sh; the table rows are for people.
result() {
  local scenario=$1 point=$2
  shift 2
  echo "RESULT scenario=$scenario point=$point $*"
}

ACD_PID=
start_acd() {
  rm -rf "$OUT/data"
  # shellcheck disable=SC2086 # ACD_ARGS holds extra flags, e.g. "-cpuprofile bench/out/cpu.prof"
  "$ACD" -config "${ACD_CONFIG:-$BENCH/acd-bench.yaml}" -sip "$SIP" -http "$HTTP" -data "$OUT/data" -drain-timeout 0 ${ACD_ARGS:-} 2>"$OUT/acd.log" &
  ACD_PID=$!
  for _ in $(seq 100); do
    # a server of someone else's on the same address would answer too
    kill -0 "$ACD_PID" 2>/dev/null || { echo "bench: acd exited at start (address in use?); see $OUT/acd.log" >&2; exit 1; }
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
# Other helpers a scenario starts in the background (agentsim, rtpstat),
# stopped by PID on exit like the server and SIPp.
HELPER_PIDS=()
stop_helpers() {
  local pid
  for pid in "${HELPER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  HELPER_PIDS=()
}
trap 'stop_acd; stop_sipp; stop_helpers' EXIT
# Caught, so that a signal ends a wait at once and the exit trap runs;
# long-running steps run in the background and are waited for.
trap 'exit 130' INT
trap 'exit 143' TERM

# CPU time the server (or process PID) has used, in milliseconds (user +
# system).
cpu_ms() { awk -v t="$TICK_MS" '{print ($14 + $15) * t}' "/proc/${1:-$ACD_PID}/stat"; }
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
