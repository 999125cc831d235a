#!/usr/bin/env bash
# Compares two revisions of the server at the main load points: builds
# each revision's cmd/acd into its own binary, then runs the scenarios of
# this tree (scripts, configuration, agentsim, rtpstat) against them in
# turn, OLD NEW OLD NEW…, RUNS times each, and prints every run's figures,
# their medians and NEW/OLD. A run that gives no figure (a scenario that
# failed, such as pairs that did not all bridge) is shown as failed and
# the script exits 1.
#   bench/compare.sh OLD NEW [POINT ...]
#     OLD, NEW: git revisions (main, HEAD, a commit); only committed code
#     POINT: callrate:RATE, queued:CALLERS or bridged:PAIRS
#            (default: callrate:400 queued:1000 bridged:250)
#   RUNS=3 STEP=10 WINDOW=10 RATE=50 bench/compare.sh main HEAD
# STEP (callrate), WINDOW (queued, bridged) and RATE (queued, bridged) go
# to the scenarios as when they are run alone.
source "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
OLD=$1 NEW=$2
shift 2
points=("$@")
[ ${#points[@]} -gt 0 ] || points=(callrate:400 queued:1000 bridged:250)
RUNS=${RUNS:-3}
for p in "${points[@]}"; do
  case $p in
    callrate:[0-9]* | queued:[0-9]* | bridged:[0-9]*) ;;
    *) echo "bench: point $p: want callrate:RATE, queued:CALLERS or bridged:PAIRS" >&2; exit 2 ;;
  esac
done

CMP=$OUT/compare
mkdir -p "$CMP"

# The scenario running now, stopped by its PID on exit; its own exit trap
# stops the server, SIPp and helpers it started.
RUN_PID=
stop_run() {
  [ -n "$RUN_PID" ] || return 0
  kill "$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  RUN_PID=
}
trap stop_run EXIT
trap 'exit 130' INT TERM

# in_background CMD...: runs CMD as RUN_PID, so that a signal to this
# script stops it too, and returns its status.
in_background() {
  local status=0
  "$@" &
  RUN_PID=$!
  wait "$RUN_PID" || status=$?
  RUN_PID=
  return "$status"
}

# build_rev REV VAR: builds REV's server from a copy of its tree (git
# archive, so the worktree and its uncommitted changes play no part) and
# sets VAR to the binary's path. A revision already built is reused.
build_rev() {
  local sha dir
  sha=$(git -C "$ROOT" rev-parse --verify --quiet "$1^{commit}") || { echo "bench: $1 is not a revision" >&2; exit 2; }
  dir=$CMP/build-${sha:0:12}
  if [ ! -x "$dir/acd" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/src"
    git -C "$ROOT" archive "$sha" | tar -x -C "$dir/src"
    in_background go -C "$dir/src" build -o "$dir/acd.tmp" ./cmd/acd || { echo "bench: building $1 ($sha) failed" >&2; exit 1; }
    mv "$dir/acd.tmp" "$dir/acd"
    rm -rf "$dir/src"
  fi
  printf -v "$2" '%s' "$dir/acd"
}

old_sha=$(git -C "$ROOT" rev-parse --short "$OLD^{commit}" 2>/dev/null) || { echo "bench: $OLD is not a revision" >&2; exit 2; }
new_sha=$(git -C "$ROOT" rev-parse --short "$NEW^{commit}" 2>/dev/null) || { echo "bench: $NEW is not a revision" >&2; exit 2; }
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ] ||
  echo "bench: the worktree has uncommitted changes: they are in neither binary, only in the scenarios" >&2
echo "building OLD $OLD ($old_sha) and NEW $NEW ($new_sha)…" >&2
build_rev "$OLD" old_bin
build_rev "$NEW" new_bin
# The harness's own tools come from this tree, the same for both.
in_background go -C "$ROOT" build -o "$OUT/rtpstat" ./bench/rtpstat
in_background go -C "$ROOT" build -o "$OUT/agentsim" ./bench/agentsim
in_background go -C "$ROOT" build -o "$OUT/callersim" ./bench/callersim
export BENCH_TOOLS_BUILT=1

results=$CMP/results.txt
: >"$results"
failed=0
for p in "${points[@]}"; do
  scenario=${p%%:*} size=${p#*:}
  for run in $(seq "$RUNS"); do
    for side in old new; do
      bin=$old_bin
      [ "$side" = new ] && bin=$new_bin
      log=$CMP/$scenario-$size-$side-$run.log
      echo "$p run $run/$RUNS: $side" >&2
      status=0
      ACD_BIN=$bin in_background bash "$BENCH/$scenario.sh" "$size" >"$log" 2>&1 || status=$?
      line=$(grep -m1 "^RESULT scenario=$scenario point=$size " "$log" || true)
      if [ "$status" -ne 0 ] || [ -z "$line" ]; then
        failed=1
        echo "bench: $p run $run ($side) gave no figure (exit $status); $log:" >&2
        tail -n 3 "$log" | sed 's/^/  /' >&2
        echo "FAILED side=$side run=$run scenario=$scenario point=$size" >>"$results"
        continue
      fi
      echo "side=$side run=$run ${line#RESULT }" >>"$results"
    done
  done
done

# One row per point and figure: each run's value in run order, medians,
# NEW/OLD of the medians; the same as COMPARE lines in summary.txt.
awk -v old="$OLD ($old_sha)" -v new="$NEW ($new_sha)" -v runs="$RUNS" -v summary="$CMP/summary.txt" '
function median(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return num(n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
}
function num(v,   s) { s = sprintf("%.3f", v); sub(/\.?0+$/, "", s); return s }
$1 == "FAILED" {
  split($4, s, "="); split($5, q, "="); split($2, d, "=")
  key = s[2] ":" q[2]
  if (!(key in seen)) { seen[key] = 1; order[++npoints] = key }
  nfail[key, d[2]]++
  next
}
{
  delete f
  for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2]; if (i > 4) names[i] = kv[1] }
  key = f["scenario"] ":" f["point"]
  if (!(key in seen)) { seen[key] = 1; order[++npoints] = key }
  for (i = 5; i <= NF; i++) {
    name = names[i]
    if (!((key, name) in has)) { has[key, name] = 1; figs[key] = figs[key] " " name }
    vals[key, name, f["side"]] = vals[key, name, f["side"]] " " f[name]
  }
}
END {
  printf "OLD %s, NEW %s, %d runs of each, alternately\n\n", old, new, runs
  printf "%-15s %-17s %-34s %9s %-34s %9s %8s\n", "point", "figure", "OLD runs", "median", "NEW runs", "median", "NEW/OLD"
  for (k = 1; k <= npoints; k++) {
    key = order[k]
    n = split(figs[key], names2, " ")
    for (i = 1; i <= n; i++) {
      name = names2[i]
      o = vals[key, name, "old"]; w = vals[key, name, "new"]
      mo = median(o); mw = median(w)
      ratio = (mo != "" && mw != "" && mo + 0 != 0) ? sprintf("%.3f", mw / mo) : "-"
      gsub(/^ /, "", o); gsub(/^ /, "", w)
      printf "%-15s %-17s %-34s %9s %-34s %9s %8s\n", key, name, o, mo, w, mw, ratio
      printf "COMPARE point=%s figure=%s old_median=%s new_median=%s ratio=%s\n", key, name, mo, mw, ratio > summary
    }
    if (nfail[key, "old"] + nfail[key, "new"] > 0)
      printf "%-15s %d OLD and %d NEW runs gave no figure\n", key, nfail[key, "old"] + 0, nfail[key, "new"] + 0
  }
}' "$results"
exit "$failed"
