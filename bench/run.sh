#!/usr/bin/env bash
# run.sh - run luasync's workloads (bench/workloads/*.lua) and the peers' programs
# (../shared/bench/peers) side by side, workload by workload, in one run; check every program's
# RESULT line; then print luasync's median wall time and median peak RSS per workload, its time
# ratio to each peer and to the fastest peer, and PASS/MISS against the targets.
#
# usage:  bench/run.sh
#         QUICK=1 bench/run.sh                       RUNS=1 WARMUP=0 RSS_RUNS=1, peers node lua-luv
#         WORKLOADS="w6 w2" PEERS="py-uvloop node" RUNS=10 bench/run.sh
#         WORKLOADS="w6 w1 w2 w3 w4 w5" bench/run.sh  (w5 only when asked for)
# env:    RUNS=5 WARMUP=1 RSS_RUNS=3      timed runs, untimed warm-up runs, runs for peak RSS
#         WORKLOADS="w6 w1 w2 w3 w4"      subset / order; w6 first gives the start-up baselines
#         PEERS="py-asyncio py-uvloop node lua-luv trio"   (the installed ones)
#         LUASYNC=<repo>/build/luasync    PEERS_DIR=<repo>/../shared/bench/peers
#         PY=/usr/bin/python3 NODE=node LUA=lua5.4
#         W1_N=100000 W2_M=200000 W3_N=100000 W4_K=20000 W4_D=50 W5_C=50 W5_R=2000
#         TIMEOUT=300 (seconds allowed for each program's checksum run)
#
# Needs: bash, awk, coreutils, /usr/bin/time (Debian package "time"), hyperfine (optional;
# without it wall time is taken with date +%s%N around each run).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
PEERS_DIR=${PEERS_DIR:-$BENCH/../../shared/bench/peers}
LUASYNC=${LUASYNC:-$ROOT/build/luasync}

if [ "${QUICK:-0}" = 1 ]; then
  RUNS=${RUNS:-1}; WARMUP=${WARMUP:-0}; RSS_RUNS=${RSS_RUNS:-1}; PEERS=${PEERS:-"node lua-luv"}
fi
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
RSS_RUNS=${RSS_RUNS:-3}
WORKLOADS=${WORKLOADS:-"w6 w1 w2 w3 w4"}
PEERS=${PEERS:-"py-asyncio py-uvloop node lua-luv trio"}
PY=${PY:-/usr/bin/python3}
NODE=${NODE:-node}
LUA=${LUA:-lua5.4}
W1_N=${W1_N:-100000}
W2_M=${W2_M:-200000}
W3_N=${W3_N:-100000}
W4_K=${W4_K:-20000}
W4_D=${W4_D:-50}
W5_C=${W5_C:-50}
W5_R=${W5_R:-2000}
TIMEOUT=${TIMEOUT:-300}

# Targets: luasync wall / fastest peer wall (w4: / py-uvloop wall), peak RSS limit in MiB,
# and w6's absolute wall limit in seconds.
W1_MAX_RATIO=0.5 W1_MAX_MIB=130
W2_MAX_RATIO=1.0
W3_MAX_RATIO=0.5 W3_MAX_MIB=130
W4_MAX_RATIO=0.6 W4_REF=py-uvloop
W5_MAX_RATIO=0.8
W6_MAX_S=0.005

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -d "$PEERS_DIR" ] || { echo "run.sh: peers not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 2; }
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
calc() { awk "BEGIN {$1}" </dev/null; } # calc 'printf "%.2f", 1/3'
log() { echo "$*" >&2; }

# Is the runner available?  (luasync: the binary is there and executable)
runner_ok() {
  case $1 in
    luasync)    [ -x "$LUASYNC" ] ;;
    py-asyncio) "$PY" -c 'import asyncio' 2>/dev/null ;;
    py-uvloop)  "$PY" -c 'import uvloop' 2>/dev/null ;;
    trio)       "$PY" -c 'import trio' 2>/dev/null ;;
    node)       command -v "$NODE" >/dev/null 2>&1 ;;
    lua-luv)    "$LUA" -e 'require("luv")' 2>/dev/null ;;
    *) return 1 ;;
  esac
}

# The command line (one word per line) running workload file $2 of runner $1.
command_for() {
  case $1 in
    luasync)        printf '%s\n' "$LUASYNC" "$BENCH/workloads/$2.lua" ;;
    py-*|trio)      printf '%s\n' "$PY" "$PEERS_DIR/$1/$2.py" ;;
    node)           printf '%s\n' "$NODE" "$PEERS_DIR/node/$2.js" ;;
    lua-luv)        printf '%s\n' "$LUA" "$PEERS_DIR/lua-luv/$2.lua" ;;
  esac
}

# Sum of (i*7919 % 51) for i in [0, n): the W3 checksum.
w3_expected() { awk -v n="$1" 'BEGIN {s = 0; for (i = 0; i < n; i++) s += (i * 7919) % 51; printf "%d", s}'; }

# "file args expected ops unit scale" for a workload (args comma-separated, - for none).
job_for() {
  case $1 in
    w1) echo "w1_spawn $W1_N $((W1_N * (W1_N - 1) / 2)) $W1_N us/task 1e6" ;;
    w2) echo "w2_pingpong $W2_M $W2_M $((2 * W2_M)) us/message 1e6" ;;
    w3) echo "w3_timers $W3_N $(w3_expected "$W3_N") $W3_N us/task 1e6" ;;
    w4) echo "w4_chain $W4_K,$W4_D $((W4_K * W4_D)) $((W4_K * (W4_D + 1))) ns/await 1e9" ;;
    w5) echo "w5_echo $W5_C,$W5_R $((W5_C * W5_R * 64)) $((W5_C * W5_R)) us/roundtrip 1e6" ;;
    w6) echo "w6_startup - hi 1 - 0" ;;
    *) echo "run.sh: unknown workload $1" >&2; return 2 ;;
  esac
}

wall_median() { # prints the median wall seconds of "$@"
  if [ "$HAVE_HYPERFINE" = 1 ]; then
    local q=() a
    for a in "$@"; do q+=("$(printf '%q' "$a")"); done
    rm -f "$TMP/hf.csv"
    hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --style none \
      --export-csv "$TMP/hf.csv" -- "${q[*]}" >/dev/null 2>&1 || true
    if [ -s "$TMP/hf.csv" ]; then awk -F, 'NR == 2 {print $4}' "$TMP/hf.csv"; else echo nan; fi
  else
    local i t0 t1
    for ((i = 0; i < WARMUP; i++)); do "$@" </dev/null >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s%N); "$@" </dev/null >/dev/null 2>&1 || true; t1=$(date +%s%N)
      awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", (b - a) / 1e9}'
    done | median
  fi
}

rss_median_mb() { # prints the median peak RSS in MiB of "$@"
  local i
  for ((i = 0; i < RSS_RUNS; i++)); do
    /usr/bin/time -f '%M' -o "$TMP/rss" "$@" </dev/null >/dev/null 2>&1 || true
    tail -n 1 "$TMP/rss"
  done | median | awk '{printf "%.1f", $1 / 1024}'
}

# Results, keyed "runner:workload".
declare -A CHECK WALL RSS DERIVED STARTUP OK
RUNNERS="luasync"
for p in $PEERS; do
  case $p in
    py-asyncio|py-uvloop|node|lua-luv|trio) RUNNERS="$RUNNERS $p" ;;
    *) echo "run.sh: unknown peer $p (known: py-asyncio py-uvloop node lua-luv trio)" >&2; exit 2 ;;
  esac
done
declare -A AVAILABLE
for r in $RUNNERS; do runner_ok "$r" && AVAILABLE[$r]=1 || AVAILABLE[$r]=0; done
for w in $WORKLOADS; do job_for "$w" >/dev/null || exit 2; done

# Run one runner x workload: checksum first (one run, with a timeout), then timing and RSS.
measure() {
  local r=$1 w=$2 file args expected ops unit scale cmd extra out got check base
  read -r file args expected ops unit scale <<<"$(job_for "$w")"
  local key="$r:$w"
  WALL[$key]=nan RSS[$key]=- DERIVED[$key]="" OK[$key]=0
  if [ "${AVAILABLE[$r]}" != 1 ]; then
    if [ "$r" = luasync ]; then CHECK[$key]="not built ($LUASYNC)"; else CHECK[$key]="runtime not installed"; fi
    log "[$w] $r: ${CHECK[$key]}"
    return
  fi
  mapfile -t cmd < <(command_for "$r" "$file")
  if [ "$args" != - ]; then IFS=, read -r -a extra <<<"$args"; cmd+=("${extra[@]}"); fi
  if out=$(timeout --kill-after=5 "$TIMEOUT" "${cmd[@]}" </dev/null 2>"$TMP/err"); then
    if [ "$w" = w6 ]; then got=$out; else got=$(awk '$1 == "RESULT" {print $3}' <<<"$out"); fi
    if [ "$got" = "$expected" ]; then check=ok; else check="BAD(got '$got', want '$expected')"; fi
  else
    local rc=$?
    [ "$rc" = 124 ] && check="FAILED(timeout ${TIMEOUT}s)" || \
      check="FAILED(exit $rc: $(head -c 160 "$TMP/err" | tr '\n|' '  '))"
  fi
  CHECK[$key]=$check
  if [ "$check" != ok ]; then
    log "[$w] $r: $check"
    return
  fi
  WALL[$key]=$(wall_median "${cmd[@]}")
  if [ "${WALL[$key]}" = nan ]; then
    CHECK[$key]="FAILED(in a timed run)"
    log "[$w] $r: ${CHECK[$key]}"
    return
  fi
  OK[$key]=1
  RSS[$key]=$(rss_median_mb "${cmd[@]}")
  if [ "$w" = w6 ]; then
    STARTUP[$r]=${WALL[$key]}
    DERIVED[$key]="start-up baseline"
  else
    base=${STARTUP[$r]:-0}
    # W3 cannot finish before its longest sleep (50 ms): take that off too.
    [ "$w" = w3 ] && base=$(calc "print $base + 0.050")
    DERIVED[$key]=$(calc "printf \"%.3g %s\", (${WALL[$key]} - $base) / $ops * $scale, \"$unit\"")
    [ -n "${STARTUP[$r]:-}" ] || DERIVED[$key]="${DERIVED[$key]} (no w6 baseline)"
  fi
  log "[$w] $r: ok, wall $(printf '%.4f' "${WALL[$key]}") s, peak ${RSS[$key]} MiB"
}

# A rebuild of the binary during the run would mix two builds in one table: note its identity.
binary_id() { [ -e "$LUASYNC" ] && stat -L -c '%s bytes, modified %y' "$LUASYNC" 2>/dev/null || echo missing; }
LUASYNC_ID=$(binary_id)
log "run.sh: luasync=$LUASYNC ($LUASYNC_ID) peers=$PEERS_DIR runs=$RUNS warmup=$WARMUP rss_runs=$RSS_RUNS"
for w in $WORKLOADS; do
  for r in $RUNNERS; do measure "$r" "$w"; done
done

# ---- report ----
ratio() { # luasync wall / runner wall for workload $2, or "-"
  local l="luasync:$2" p="$1:$2"
  if [ "${OK[$l]}" = 1 ] && [ "${OK[$p]}" = 1 ]; then calc "printf \"%.2f\", ${WALL[$l]} / ${WALL[$p]}"; else echo -; fi
}
le() { calc "exit !($1 <= $2)"; } # le A B: is A <= B

echo "# luasync vs peers ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, runs=$RUNS warmup=$WARMUP" \
     "rss_runs=$RSS_RUNS, wall: $([ $HAVE_HYPERFINE = 1 ] && echo 'hyperfine -N' || echo date))"
echo
echo "luasync: \`$LUASYNC\` ($LUASYNC_ID)"
if [ "$(binary_id)" != "$LUASYNC_ID" ]; then
  echo
  echo "**Warning: $LUASYNC changed during the run (now $(binary_id)); the luasync rows may mix two builds.**"
  log "run.sh: warning: $LUASYNC changed during the run"
fi
echo
hdr="| workload | args | check | luasync wall s | luasync peak MiB |"
sep="|---|---|---|---:|---:|"
for p in $PEERS; do hdr="$hdr ÷ $p |"; sep="$sep---:|"; done
echo "$hdr ÷ fastest peer | target | result |"
echo "$sep---:|---|---|"
for w in $WORKLOADS; do
  read -r _ args _ <<<"$(job_for "$w")"
  l="luasync:$w"
  row="| $w | $args | ${CHECK[$l]} |"
  if [ "${OK[$l]}" = 1 ]; then row="$row $(printf '%.4f' "${WALL[$l]}") | ${RSS[$l]} |"; else row="$row - | - |"; fi
  fastest="" fwall=""
  for p in $PEERS; do
    row="$row $(ratio "$p" "$w") |"
    if [ "${OK[$p:$w]}" = 1 ] && { [ -z "$fwall" ] || le "${WALL[$p:$w]}" "$fwall"; }; then
      fastest=$p fwall=${WALL[$p:$w]}
    fi
  done
  if [ -n "$fastest" ]; then row="$row $(ratio "$fastest" "$w") ($fastest) |"; else row="$row - |"; fi
  # target and verdict
  max_ratio="" max_mib="" ref=$fastest
  case $w in
    w1) max_ratio=$W1_MAX_RATIO max_mib=$W1_MAX_MIB ;;
    w2) max_ratio=$W2_MAX_RATIO ;;
    w3) max_ratio=$W3_MAX_RATIO max_mib=$W3_MAX_MIB ;;
    w4) max_ratio=$W4_MAX_RATIO ref=$W4_REF ;;
    w5) max_ratio=$W5_MAX_RATIO ;;
  esac
  if [ "$w" = w6 ]; then
    target="wall ≤ $(calc "print $W6_MAX_S * 1000") ms"
  elif [ "$w" = w4 ]; then
    target="÷ $W4_REF ≤ $max_ratio"
  else
    target="÷ fastest ≤ $max_ratio"
  fi
  [ -n "$max_mib" ] && target="$target, peak ≤ $max_mib MiB"
  result=""
  if [ "${AVAILABLE[luasync]}" != 1 ]; then
    result="n/a (luasync not built)"
  elif [ "${OK[$l]}" != 1 ]; then
    result="MISS (no valid luasync result)"
  elif [ "$w" = w6 ]; then
    le "${WALL[$l]}" "$W6_MAX_S" && result=PASS || result="MISS ($(calc "printf \"%.1f\", ${WALL[$l]} * 1000") ms)"
  elif [ -z "$ref" ] || [ "${OK[$ref:$w]:-0}" != 1 ]; then
    result="n/a (no valid ${ref:-peer} result)"
  else
    miss=""
    le "$(ratio "$ref" "$w")" "$max_ratio" || miss="time"
    if [ -n "$max_mib" ] && ! le "${RSS[$l]}" "$max_mib"; then miss="${miss:+$miss, }memory"; fi
    [ -z "$miss" ] && result=PASS || result="MISS ($miss)"
  fi
  echo "$row $target | $result |"
done
echo
echo "÷ X = luasync median wall / X median wall, whole processes in this run (start-up included);" \
     "below 1 means luasync is faster. Fastest peer = lowest median wall among the peers run here."
echo
echo "| runner | workload | args | check | wall s (median) | peak RSS MiB (median) | derived |"
echo "|---|---|---|---|---:|---:|---|"
for w in $WORKLOADS; do
  read -r _ args _ <<<"$(job_for "$w")"
  for r in $RUNNERS; do
    k="$r:$w"
    if [ "${OK[$k]}" = 1 ]; then wall=$(printf '%.4f' "${WALL[$k]}"); else wall=-; fi
    echo "| $r | $w | $args | ${CHECK[$k]} | $wall | ${RSS[$k]} | ${DERIVED[$k]} |"
  done
done
echo
echo "derived = (wall - the same runner's w6 wall) / operations (w3: also - 0.050 s, its longest sleep)."
