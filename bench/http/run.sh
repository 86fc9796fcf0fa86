#!/usr/bin/env bash
# run.sh - HTTP server benchmark: wrk against an http.serve hello-world
# (hello.lua) and against Node's http module hello-world (hello.js), in the
# same run, on 127.0.0.1. The two servers are measured in turns (RUNS rounds,
# order alternating); the table gives the median of the rounds: requests/s,
# latency percentiles, and the server's CPU time per request (user + system,
# from /proc, which a busy machine disturbs less than requests/s). Then the
# issue's target: at least Node's requests/s, with a lower p99.
#
# usage:  bench/http/run.sh
# env:    LUASYNC=<repo>/build/luasync  NODE=node  WRK=wrk
#         THREADS=2 CONNECTIONS=100 DURATION=10s WARMUP=2s RUNS=3
#         PORT_LUA=18181 PORT_NODE=18182
# Needs:  wrk (Debian package "wrk"), node, Linux /proc.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LUASYNC=${LUASYNC:-$ROOT/build/luasync}
NODE=${NODE:-node}
WRK=${WRK:-wrk}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-100}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
RUNS=${RUNS:-3}
PORT_LUA=${PORT_LUA:-18181}
PORT_NODE=${PORT_NODE:-18182}

for tool in "$WRK" "$NODE"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
[ -x "$LUASYNC" ] || { echo "run.sh: $LUASYNC not found (build first, or set LUASYNC)" >&2; exit 2; }

TMP=$(mktemp -d)
declare -A PID
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME PORT CMD...: runs a server in the background, waits for its
# "listening on" line.
start() {
  local name=$1 port=$2
  shift 2
  "$@" "$port" >"$TMP/$name.out" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$TMP/$name.out" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "run.sh: $name did not start:" >&2
  cat "$TMP/$name.out" >&2
  exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# bench NAME PORT ROUND: a warm-up, then the measured run; appends one line
# "rps p50 p90 p99 cpu_us_per_request" to $TMP/NAME.res.
bench() {
  local name=$1 port=$2 round=$3 url="http://127.0.0.1:$2/"
  local out="$TMP/$name.$round.wrk"
  "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
  local t0 t1
  t0=$(cpu_ticks "${PID[$name]}")
  "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
  t1=$(cpu_ticks "${PID[$name]}")
  if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "run.sh: $name: $(grep -E 'Non-2xx|Socket errors' "$out" | paste -sd';' -)" >&2
  fi
  awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" '
    function ms(v,   u) { u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      return u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v + 0 }
    /requests in/ { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f %.2f %.2f\n", rps, p50, p90, p99, (t1 - t0) / hz / n * 1e6 }' "$out" >>"$TMP/$name.res"
}

# median of column C of file F
median() { sort -g -k"$2","$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {print v[int((NR + 1) / 2)]}'; }

start luasync "$PORT_LUA" "$LUASYNC" "$HERE/hello.lua"
start node "$PORT_NODE" "$NODE" "$HERE/hello.js"

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS rounds (after a $WARMUP warm-up each), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
  if [ $((r % 2)) = 1 ]; then order="luasync node"; else order="node luasync"; fi
  for name in $order; do
    port=$PORT_LUA
    [ "$name" = node ] && port=$PORT_NODE
    bench "$name" "$port" "$r"
  done
done

printf '%-10s %12s %9s %9s %9s %14s\n' server "requests/s" "p50 ms" "p90 ms" "p99 ms" "CPU us/req"
for name in luasync node; do
  f="$TMP/$name.res"
  printf '%-10s %12s %9s %9s %9s %14s\n' "$name" "$(median "$f" 1)" "$(median "$f" 2)" \
    "$(median "$f" 3)" "$(median "$f" 4)" "$(median "$f" 5)"
done
for name in luasync node; do
  echo "  $name rounds (rps p50 p90 p99 cpu_us):" $(paste -sd'|' "$TMP/$name.res")
done

awk -v lr="$(median "$TMP/luasync.res" 1)" -v nr="$(median "$TMP/node.res" 1)" \
    -v lp="$(median "$TMP/luasync.res" 4)" -v np="$(median "$TMP/node.res" 4)" 'BEGIN {
  ok = (lr >= nr && lp < np)
  printf "luasync/node: %.2fx requests/s; p99 %.2f ms vs %.2f ms: %s\n", lr / nr, lp, np, ok ? "PASS" : "MISS"
}'
