#!/usr/bin/env bash
# grade_bench.sh - `luasync grade` over many generated submissions of the
# full exercise set (issue 7). Goal: 1,000 submissions in under 30 s with
# --jobs 2 on a 2-core machine, peak memory under 500 MB.
#
# usage:  bench/grade_bench.sh [N] [-- extra grade options, e.g. --no-dedupe]
# env:    LUASYNC=<repo>/build/luasync  JOBS=2  DISTINCT=0  KEEP=0
#
# The submissions (learn workspaces) are made in a temporary directory:
#   60%  solved:   every reference solution
#   30%  starter:  the starter files as `luasync learn init` makes them
#    8%  partial:  reference solutions for every other exercise, starters for the rest
#    2%  broken:   solved, but one file does not compile, one loops forever
#                  (`while true do end`), one is missing and one is not UTF-8
# Like a real class, many files are byte-identical (untouched starters,
# unchanged reference solutions), which the grader checks once per run
# (docs/grading.md, "Identical files"). DISTINCT=1 appends a comment naming
# the student to every file, so that no two files are the same and every
# file is run in the sandbox: the engine's raw throughput. `-- --no-dedupe`
# does the same on the default mix without changing the files.
#
# Measured: wall time and CPU time (/usr/bin/time), the largest single
# process's peak RSS (/usr/bin/time), and the peak of the summed PSS of the
# whole process tree (grader, workers, sandbox children and their
# subprocesses), sampled every 50 ms from /proc/PID/smaps_rollup. PSS
# counts a page shared by forked processes once in total, so the sum is the
# memory the run really holds.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
LUASYNC=${LUASYNC:-$ROOT/build/luasync}
JOBS=${JOBS:-2}
DISTINCT=${DISTINCT:-0}
N=1000
if [ $# -gt 0 ] && [ "$1" != "--" ]; then N=$1; shift; fi
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")

DIR=$(mktemp -d "${TMPDIR:-/tmp}/luasync-grade-bench-XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$DIR"' EXIT
LESSONS="$ROOT/lessons"

# Templates: one workspace of starters, one of reference solutions.
"$LUASYNC" learn init "$DIR/starter" >/dev/null
cp -r "$DIR/starter" "$DIR/solved"
for sol in "$LESSONS"/*/solutions/*.lua; do
  lesson=$(basename "$(dirname "$(dirname "$sol")")")
  cp "$sol" "$DIR/solved/exercises/$lesson/"
done
cp -r "$DIR/solved" "$DIR/partial"
i=0
for f in "$DIR"/starter/exercises/*/*.lua; do
  rel=${f#"$DIR/starter/"}
  [ $((i % 2)) -eq 1 ] && cp "$f" "$DIR/partial/$rel"
  i=$((i + 1))
done
cp -r "$DIR/solved" "$DIR/broken"
files=("$DIR"/broken/exercises/*/*.lua)
printf 'local x = = 1\nreturn {}\n' > "${files[0]}"             # does not compile
printf 'while true do end\n' > "${files[3]}"                      # loops forever
rm "${files[5]}"                                                   # missing
printf -- '-- caf\xe9\nreturn {}\n' > "${files[7]}"               # Latin-1, not UTF-8

SUBS="$DIR/submissions"
mkdir "$SUBS"
counts=(0 0 0 0)
for ((k = 0; k < N; k++)); do
  r=$((k * 37 % 100))  # a fixed, well-mixed sequence
  if [ $r -lt 60 ]; then kind=solved; counts[0]=$((counts[0] + 1))
  elif [ $r -lt 90 ]; then kind=starter; counts[1]=$((counts[1] + 1))
  elif [ $r -lt 98 ]; then kind=partial; counts[2]=$((counts[2] + 1))
  else kind=broken; counts[3]=$((counts[3] + 1))
  fi
  dest=$(printf '%s/student%04d' "$SUBS" "$k")
  cp -r "$DIR/$kind" "$dest"
  if [ "$DISTINCT" = 1 ]; then
    for f in "$dest"/exercises/*/*.lua; do
      [ -f "$f" ] && printf '\n-- submitted by student %04d\n' "$k" >> "$f"
    done
  fi
done
nfiles=$(find "$SUBS" -name '*.lua' | wc -l)
echo "grade_bench: $N submissions ($nfiles exercise files): ${counts[0]} solved, ${counts[1]} starter," \
     "${counts[2]} partial, ${counts[3]} broken; DISTINCT=$DISTINCT; luasync grade --jobs $JOBS ${EXTRA[*]:-}"

# Peak summed PSS of the process tree under $1, in KB, written to $2.
cat > "$DIR/sampler.py" <<'PY'
import os, sys, time
root, out = int(sys.argv[1]), sys.argv[2]
def children():
    kids = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            with open('/proc/%s/stat' % p) as f: ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except OSError: continue
        kids.setdefault(ppid, []).append(int(p))
    tree, todo = [], [root]
    while todo:
        p = todo.pop(); tree.append(p); todo.extend(kids.get(p, []))
    return tree
peak = 0
while os.path.exists('/proc/%d' % root):
    total = 0
    for p in children():
        try:
            with open('/proc/%d/smaps_rollup' % p) as f:
                for line in f:
                    if line.startswith('Pss:'): total += int(line.split()[1]); break
        except OSError: pass
    peak = max(peak, total)
    with open(out, 'w') as f: f.write(str(peak))
    time.sleep(0.05)
PY

/usr/bin/time -f '%e %U %S %M' -o "$DIR/time.txt" \
  "$LUASYNC" grade --jobs "$JOBS" -q --format json -o "$DIR/report.json" "${EXTRA[@]}" "$SUBS" &
pid=$!
python3 "$DIR/sampler.py" "$pid" "$DIR/pss.txt" &
sampler=$!
wait "$pid"
wait "$sampler" || true
read -r wall user sys maxrss < "$DIR/time.txt"
pss=$(cat "$DIR/pss.txt" 2>/dev/null || echo 0)

# Sanity: every solved submission has full marks, every one was graded.
python3 - "$DIR/report.json" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
subs = r["submissions"]
full = sum(1 for s in subs if s["score"] == s["max_score"])
assert len(subs) == int(sys.argv[2]), "graded %d of %s submissions" % (len(subs), sys.argv[2])
print("grade_bench: %d submissions graded, %d with full marks, mean %.1f%%"
      % (len(subs), full, sum(s["percent"] for s in subs) / max(1, len(subs))))
PY
awk -v w="$wall" -v u="$user" -v s="$sys" -v m="$maxrss" -v p="$pss" -v n="$N" 'BEGIN {
  printf "grade_bench: wall %.1f s (%.1f ms per submission), CPU %.1f s user + %.1f s sys\n", w, w * 1000 / n, u, s
  printf "grade_bench: peak memory %.0f MB (summed PSS of all processes); largest process %.0f MB RSS\n", p / 1024, m / 1024
  printf "grade_bench: goal (30 s, 500 MB) %s\n", (w < 30 && p / 1024 < 500) ? "met" : "MISSED"
}'
