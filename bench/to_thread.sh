#!/usr/bin/env bash
# to_thread.sh - CPU-bound work handed to threads (asyncio.to_thread): two
# fib(N) calls one after the other against the same two calls at once, and
# the ratio. On 2 cores the two calls at once should take <= 0.6x the time of
# one after the other (issue 14). For comparison, the same with CPython's
# asyncio.to_thread, where the GIL lets one thread compute at a time.
#
# usage:  bench/to_thread.sh
#         RUNS=11 N=30 bench/to_thread.sh
# env:    LUASYNC=<repo>/build/luasync  RUNS=7 (runs per mode, alternating)
#         N=32  PY=/usr/bin/python3 (PY= to skip the Python column)
#
# Each run prints the seconds its two calls took (measured inside the
# program, around the calls: start-up excluded); the table shows the median
# of RUNS runs per mode. Timing on a shared machine is noisy: quote ratios.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LUASYNC=${LUASYNC:-$ROOT/build/luasync}
RUNS=${RUNS:-7}
N=${N:-32}
PY=${PY-/usr/bin/python3}
CORES=$(nproc)

[ -x "$LUASYNC" ] || { echo "to_thread.sh: $LUASYNC is not built (set LUASYNC)" >&2; exit 2; }

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

PYPROG=$TMP/threads_fib.py
cat > "$PYPROG" <<'PYEOF'
import asyncio, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)
async def main():
    t0 = time.monotonic()
    if mode == "direct":
        a, b = fib(n), fib(n)
    elif mode == "sequence":
        a = await asyncio.to_thread(fib, n)
        b = await asyncio.to_thread(fib, n)
    else:
        a, b = await asyncio.gather(asyncio.to_thread(fib, n), asyncio.to_thread(fib, n))
    return a + b, time.monotonic() - t0
s, secs = asyncio.run(main())
print(f"RESULT threads_fib {mode} {s} {secs:.4f}")
PYEOF

expected=$("$LUASYNC" -e "local function f(k) if k < 2 then return k end return f(k-1) + f(k-2) end print(2 * f($N))")

run_one() {  # run_one PROGRAM... -> seconds (checks the checksum)
  local out
  out=$("$@")
  set -- $out
  [ "$4" = "$expected" ] || { echo "to_thread.sh: bad result from ${*}: $out (want $expected)" >&2; exit 1; }
  echo "$5"
}

for mode in direct sequence parallel; do : > "$TMP/luasync.$mode"; : > "$TMP/python.$mode"; done
echo "to_thread.sh: fib($N) twice, $RUNS runs per mode, $CORES cores" >&2
for i in $(seq "$RUNS"); do
  for mode in direct sequence parallel; do
    run_one "$LUASYNC" "$BENCH/workloads/threads_fib.lua" "$mode" "$N" >> "$TMP/luasync.$mode"
    if [ -n "$PY" ]; then run_one "$PY" "$PYPROG" "$mode" "$N" >> "$TMP/python.$mode"; fi
  done
  echo "  run $i/$RUNS done" >&2
done

printf '\n| fib(%s) x 2 | direct (loop thread) | to_thread, one after the other | to_thread, both at once | at once / one after the other |\n' "$N"
printf '|---|---|---|---|---|\n'
for who in luasync python; do
  [ "$who" = python ] && [ -z "$PY" ] && continue
  d=$(median < "$TMP/$who.direct")
  s=$(median < "$TMP/$who.sequence")
  p=$(median < "$TMP/$who.parallel")
  r=$(awk -v p="$p" -v s="$s" 'BEGIN { printf "%.2f", p / s }')
  printf '| %s | %.3f s | %.3f s | %.3f s | **%sx** |\n' "$who" "$d" "$s" "$p" "$r"
  if [ "$who" = luasync ]; then
    verdict=$(awk -v r="$r" 'BEGIN { print (r <= 0.6) ? "PASS" : "MISS" }')
    luasync_line="luasync: two fib($N) calls at once take ${r}x the time of one after the other (target <= 0.6 on 2 cores): $verdict"
  fi
done
echo
echo "$luasync_line"
