#!/usr/bin/env bash
# recorder_overhead.sh - what task recording (runtime/observe/recorder.h) costs: the
# W1 (spawn), W2 (pingpong) and W3 (timers) workloads run plain, with
# `--timeline` (recording plus the chart, printed to /dev/null) and with
# `--trace` (recording plus the Chrome trace written to a file), and the
# ratio of each to the plain run, wall time and peak RSS.
#
# usage:  bench/recorder_overhead.sh
#         RUNS=10 W1_N=20000 bench/recorder_overhead.sh
# env:    LUASYNC=<repo>/build/luasync  RUNS=7 WARMUP=1
#         W1_N=100000 W2_M=200000 W3_N=100000  WORKLOADS="w1 w2 w3"
#
# Each workload's events: W1 five per task (created, started, suspended,
# resumed, finished), W3 the same, W2 two per message on each side. The
# chart itself shows 60 rows whatever the task count, so --timeline measures
# the recording; --trace also measures writing every event as JSON.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LUASYNC=${LUASYNC:-$ROOT/build/luasync}
RUNS=${RUNS:-7}
WARMUP=${WARMUP:-1}
W1_N=${W1_N:-100000}
W2_M=${W2_M:-200000}
W3_N=${W3_N:-100000}
WORKLOADS=${WORKLOADS:-"w1 w2 w3"}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -x "$LUASYNC" ] || { echo "recorder_overhead.sh: $LUASYNC is not built (set LUASYNC)" >&2; exit 2; }

args_for() {
  case $1 in
    w1) echo "w1_spawn.lua $W1_N" ;;
    w2) echo "w2_pingpong.lua $W2_M" ;;
    w3) echo "w3_timers.lua $W3_N" ;;
  esac
}

# Wall seconds of one run of a command line.
once() {
  local t0 t1
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  $1 >/dev/null 2>&1 </dev/null
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Median wall seconds of the three command lines, run interleaved (plain,
# timeline, trace, plain, ...) so that a machine busy with something else
# slows all three alike. Prints "plain timeline trace".
walls() {
  local i k
  for ((i = 0; i < WARMUP; i++)); do for k in 1 2 3; do once "${!k}" >/dev/null; done; done
  : >"$TMP/w1"; : >"$TMP/w2"; : >"$TMP/w3"
  for ((i = 0; i < RUNS; i++)); do
    for k in 1 2 3; do once "${!k}" >>"$TMP/w$k"; done
  done
  for k in 1 2 3; do median <"$TMP/w$k" | awk '{printf "%.4f ", $1 / 1e6}'; done
  echo
}

# peak RSS in MiB of a command line (one run)
rss() {
  # shellcheck disable=SC2086
  /usr/bin/time -f '%M' -o "$TMP/rss" $1 >/dev/null 2>&1 || true
  awk '{printf "%.1f", $1 / 1024}' "$TMP/rss"
}

echo "# task recording overhead ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, runs=$RUNS, $LUASYNC)"
echo
echo "| workload | mode | wall s (median) | ÷ plain | peak RSS MiB | ÷ plain |"
echo "|---|---|---:|---:|---:|---:|"
for w in $WORKLOADS; do
  read -r file n <<<"$(args_for "$w")"
  script="$BENCH/workloads/$file"
  plain_cmd="$LUASYNC $script $n"
  tl_cmd="$LUASYNC --timeline --width 100 $script $n"
  tr_cmd="$LUASYNC --trace $TMP/trace.json $script $n"
  read -r plain tl tr <<<"$(walls "$plain_cmd" "$tl_cmd" "$tr_cmd")"
  plain_rss=$(rss "$plain_cmd"); tl_rss=$(rss "$tl_cmd"); tr_rss=$(rss "$tr_cmd")
  for row in "plain $plain $plain_rss" "--timeline $tl $tl_rss" "--trace $tr $tr_rss"; do
    read -r mode t m <<<"$row"
    printf '| %s %s | %s | %.4f | %.2f | %s | %.2f |\n' "$w" "$n" "$mode" "$t" \
      "$(python3 -c "print($t / $plain)")" "$m" "$(python3 -c "print($m / $plain_rss)")"
  done
done
echo
echo "÷ plain: the mode's median wall time (peak RSS) over the plain run's; the three modes run"
echo "interleaved. The trace file of"
echo "the last --trace run was $(du -h "$TMP/trace.json" 2>/dev/null | cut -f1) (written to a temporary directory)."
