#!/usr/bin/env bash
# Black-box tests of task recording: `luasync --timeline` charts compared with
# golden files (tests/golden/*.txt) at two widths, `--trace` files validated
# as JSON with the expected events, and asyncio.run's timeline/trace options.
#
# UPDATE_GOLDEN=1 bash tests/cli/timeline.sh build/luasync rewrites the
# golden files from the current output (check the diff before committing).
source "$(dirname "$0")/lib.bash"
LUASYNC=$(cd "$(dirname "$LUASYNC")" && pwd)/$(basename "$LUASYNC")  # we cd below
GOLDEN=$(cd "$(dirname "$0")/../golden" && pwd)
cd "$GOLDEN"

# A deterministic environment: no colour, UTF-8 glyphs, no terminal width.
export NO_COLOR=1 LANG=C.UTF-8 TERM=xterm
unset LC_ALL LC_CTYPE COLUMNS LUASYNC_ASCII FORCE_COLOR

golden() {  # golden NAME: stdout must be tests/golden/NAME.txt
  local file="$GOLDEN/$1.txt"
  if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    printf '%s\n' "$out" >"$file"
    ok
  elif [ -f "$file" ] && [ "$out" = "$(cat "$file")" ]; then
    ok
  else
    fail "stdout differs from $file:
$(diff <(printf '%s\n' "$out") "$file" 2>&1)"
  fi
}

for w in 60 100; do
  for ex in workers cancel fail; do
    case_ "timeline of $ex.lua at $w columns"
    run --virtual-time --timeline --width $w $ex.lua
    expect_rc 0; expect_no_err '.'
    golden "timeline_${ex}_$w"
  done
done

case_ "ASCII glyphs (LUASYNC_ASCII=1)"
out=$(LUASYNC_ASCII=1 "$LUASYNC" --virtual-time --timeline --width 60 workers.lua 2>"$TMP/stderr") && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
expect_rc 0
golden timeline_workers_60_ascii

case_ "colour only when asked for"
out=$(NO_COLOR= FORCE_COLOR=1 "$LUASYNC" --virtual-time --timeline --width 60 workers.lua 2>&1)
expect_out $'\x1b\\[32m'
run --virtual-time --timeline --width 60 workers.lua
grep -q $'\x1b' <<<"$out" && fail "escape codes with NO_COLOR" || ok

case_ "the chart fits the width"
for w in 40 60 100 150; do
  run --virtual-time --timeline --width $w fail.lua
  long=$(python3 -c '
import sys
w = int(sys.argv[1])
for line in sys.stdin.read().splitlines():
    if len(line) > w: print(line)
' $w <<<"$out")
  [ -z "$long" ] && ok || fail "lines wider than $w: $long"
done

case_ "an uncaught error still gets its timeline, after the error"
script boom <<'LUA'
asyncio.run(async(function()
  await(asyncio.sleep(1))
  error("boom")
end)())
LUA
run --virtual-time --timeline --width 60 "$TMP/boom.lua"
expect_rc 1; expect_err 'boom.lua:3: boom'
expect_out '^asyncio.run timeline: 1 task, 1.000 s on the virtual clock'
expect_out 'failed at 1.000 s:'; expect_out 'boom.lua:3: boom$'

case_ "several runs are numbered; no run says so"
run --virtual-time --timeline -e 'for i = 1, 2 do asyncio.run(async(function() await(asyncio.sleep(i)) end)()) end'
expect_rc 0; expect_out 'asyncio.run #1 timeline: 1 task, 1.000 s'; expect_out 'asyncio.run #2 timeline: 1 task, 2.000 s'
run --timeline -e 'print("no loop")'
expect_rc 0; expect_out 'no asyncio.run'

case_ "bad --width, --trace without a file or to a bad path"
run --width 5 -e 'print(1)'
expect_rc 2; expect_err 'from 30 to 1000'
run --trace
expect_rc 2; expect_err 'needs an argument'
run --trace /nonexistent/dir/t.json -e 'print(1)'
expect_rc 2; expect_err 'cannot open /nonexistent/dir/t.json'
run --help
expect_out '--timeline'; expect_out '--trace FILE'; expect_out '--width N'

case_ "--trace writes the Chrome trace event format"
run --virtual-time --trace "$TMP/w.json" workers.lua
expect_rc 0; expect_out 'All workers finished'
python3 -m json.tool "$TMP/w.json" >/dev/null && ok || fail "not JSON: $(head -c 300 "$TMP/w.json")"
got=$(python3 - "$TMP/w.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = {}
for e in doc["traceEvents"]:
    if e["ph"] == "M" and e["name"] == "thread_name":
        names[e["tid"]] = e["args"]["name"]
    if e["ph"] == "M" and e["name"] == "process_name":
        print("process", e["pid"], e["args"]["name"])
for e in doc["traceEvents"]:
    if e["ph"] == "M":
        continue
    extra = " dur=%g" % e["dur"] if e["ph"] == "X" else ""
    if e["ph"] == "X":
        assert e["args"]["real_us"] >= 0
    print(e["ph"], e["name"], names[e["tid"]], e["ts"], extra.strip())
PY
)
want='process 1 asyncio.run (virtual clock)
i created main() [Task-1] 0 
i created worker("A", 2) [Task-2] 0 
i created worker("B", 1) [Task-3] 0 
i created worker("C", 3) [Task-4] 0 
X run main() [Task-1] 0 dur=0
B gather main() [Task-1] 0 
X run worker("A", 2) [Task-2] 0 dur=0
B sleep 2s worker("A", 2) [Task-2] 0 
X run worker("B", 1) [Task-3] 0 dur=0
B sleep 1s worker("B", 1) [Task-3] 0 
X run worker("C", 3) [Task-4] 0 dur=0
B sleep 3s worker("C", 3) [Task-4] 0 
E sleep 1s worker("B", 1) [Task-3] 1000000 
X run worker("B", 1) [Task-3] 1000000 dur=0
i finished worker("B", 1) [Task-3] 1000000 
E sleep 2s worker("A", 2) [Task-2] 2000000 
X run worker("A", 2) [Task-2] 2000000 dur=0
i finished worker("A", 2) [Task-2] 2000000 
E sleep 3s worker("C", 3) [Task-4] 3000000 
X run worker("C", 3) [Task-4] 3000000 dur=0
i finished worker("C", 3) [Task-4] 3000000 
E gather main() [Task-1] 3000000 
X run main() [Task-1] 3000000 dur=0
i finished main() [Task-1] 3000000 '
[ "$got" = "$want" ] && ok || fail "trace events differ:
$(diff <(echo "$want") <(echo "$got"))"

case_ "--trace: cancelled and failed tasks are instants"
run --virtual-time --trace "$TMP/c.json" cancel.lua
python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
c = [e for e in ev if e["ph"] == "i" and e["name"] == "cancelled"]
assert len(c) == 1 and c[0]["ts"] == 2000000, c
' "$TMP/c.json" && ok || fail "no cancelled instant at 2 s"
run --virtual-time --trace "$TMP/f.json" fail.lua
python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
f = [e for e in ev if e["ph"] == "i" and e["name"] == "failed"]
assert len(f) == 1 and f[0]["ts"] == 1500000 and "cannot fetch API" in f[0]["args"]["error"], f
' "$TMP/f.json" && ok || fail "no failed instant at 1.5 s"

case_ "asyncio.run options: timeline = true / path / table, trace = path"
script opts <<'LUA'
local main = async(function(s) await(asyncio.sleep(s)) return s end)
print(asyncio.run(main(1), {clock = "virtual", timeline = true, timeline_width = 50}))
print("between")
print(asyncio.run(main(2), {clock = "virtual", timeline = arg[1]}))
print(asyncio.run(main(3), {clock = "virtual", timeline = {width = 40, ascii = true}, trace = arg[2]}))
print(asyncio.run(main(4), {clock = "virtual", timeline = false}))
LUA
run "$TMP/opts.lua" "$TMP/t.txt" "$TMP/t.json"
expect_rc 0
expect_out '^timeline: 1 task, 1.000 s, virtual clock$'
expect_out '^1$'; expect_out '^between$'
grep -q 'timeline: 1 task, 2.000 s' "$TMP/t.txt" && ok || fail "timeline file: $(cat "$TMP/t.txt")"
expect_out '#-+sleep 3s-+#'
python3 -m json.tool "$TMP/t.json" >/dev/null && ok || fail "trace option: not JSON"
[ "$(grep -c 'timeline:' <<<"$out")" = 2 ] && ok || fail "timeline = false still recorded"

case_ "asyncio.run options: errors before the run"
run -e 'asyncio.run(async(function() print("ran") end)(), {timeline = 3})'
expect_rc 1; expect_err "bad option 'timeline' to 'run' \\(boolean, path or table expected, got number\\)"
grep -q ran <<<"$out" && fail "ran anyway" || ok
run -e 'asyncio.run(async(function() print("ran") end)(), {trace = "/nonexistent/x.json"})'
expect_rc 1; expect_err "bad option 'trace' to 'run' \\(cannot open /nonexistent/x.json"

# ---- pictures: --timeline=svg FILE, --timeline=html FILE (timeline_svg.cpp)

# count FILE XPATH-ish: how many elements of the SVG match a CSS-like test.
svg_count() {  # svg_count FILE CLASS [ATTR=VALUE]
  python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
path, cls = sys.argv[1], sys.argv[2]
attr = sys.argv[3].split("=", 1) if len(sys.argv) > 3 else None
n = 0
for el in ET.parse(path).iter():
    if cls in (el.get("class") or "").split() and (attr is None or el.get(attr[0]) == attr[1]):
        n += 1
print(n)
PY
}

case_ "--timeline=svg FILE: an SVG document, a row per task, waits and runs apart"
run --virtual-time --timeline=svg "$TMP/w.svg" workers.lua
expect_rc 0; expect_out 'All workers finished'; expect_no_err '.'
xmllint --noout "$TMP/w.svg" 2>/dev/null && ok || fail "not well-formed XML: $(head -c 300 "$TMP/w.svg")"
[ "$(svg_count "$TMP/w.svg" lt-row)" = 4 ] && ok || fail "rows: $(svg_count "$TMP/w.svg" lt-row), expected 4"
[ "$(svg_count "$TMP/w.svg" lt-wait data-kind=wait)" = 4 ] && ok || fail "waits: $(svg_count "$TMP/w.svg" lt-wait data-kind=wait), expected 4"
[ "$(svg_count "$TMP/w.svg" lt-run data-kind=run)" = 8 ] && ok || fail "runs: $(svg_count "$TMP/w.svg" lt-run data-kind=run), expected 8"
titles=$(python3 -c '
import sys, xml.etree.ElementTree as ET
for e in ET.parse(sys.argv[1]).iter():
    if e.tag.endswith("title"): print(e.text)
' "$TMP/w.svg")
for what in 'worker\("A", 2\): waiting 0.000 s to 2.000 s on sleep 2s' 'main\(\): waiting 0.000 s to 3.000 s on gather' \
            '^asyncio.run timeline: 4 tasks, 3.000 s on the virtual clock$'; do
  grep -qE "$what" <<<"$titles" && ok || fail "no <title> /$what/ in: $titles"
done
grep -q 'data-snap=' "$TMP/w.svg" && ok || fail "the bars point at no call graph"

case_ "--timeline=svg: failures and cancellations are marked"
run --virtual-time --timeline=svg "$TMP/f.svg" fail.lua
expect_rc 0
python3 - "$TMP/f.svg" <<'PY' && ok || fail "no failed mark with the error"
import sys, xml.etree.ElementTree as ET
marks = [e for e in ET.parse(sys.argv[1]).iter() if "lt-mark-failed" in (e.get("class") or "") and e.get("data-task")]
assert len(marks) == 1, marks
assert "failed at 1.500 s" in marks[0].get("data-note") and "cannot fetch API" in marks[0].get("data-note")
PY
run --virtual-time --timeline=svg "$TMP/c.svg" cancel.lua
python3 - "$TMP/c.svg" <<'PY' && ok || fail "no cancelled mark at 2 s"
import sys, xml.etree.ElementTree as ET
marks = [e for e in ET.parse(sys.argv[1]).iter() if "lt-mark-cancelled" in (e.get("class") or "") and e.get("data-task")]
assert len(marks) == 1 and "cancelled at 2.000 s" in marks[0].get("data-note"), marks
PY

case_ "--timeline=html FILE: self-contained, with the call graphs"
run --virtual-time --timeline=html "$TMP/w.html" workers.lua
expect_rc 0
python3 - "$TMP/w.html" <<'PY' && ok || fail "the page is not what it should be"
import json, re, sys
page = open(sys.argv[1]).read()
assert page.startswith("<!DOCTYPE html>")
# Nothing from elsewhere: no src=, href= or url( to another document.
assert not re.search(r'(src|href)\s*=', page), "loads something"
assert "http://" not in page.replace("http://www.w3.org/2000/svg", ""), "names a URL"
snaps = json.loads(re.search(r'<script type="application/json" class="lt-snapshots">(.*?)</script>', page, re.S).group(1))
assert any("Task 'Task-2' worker(\"A\", 2)" in s and "Awaiting: sleep until 2.000" in s for s in snaps), snaps
assert "LuasyncTimeline" in page and "<svg" in page
PY

case_ "--timeline=svg - writes to stdout; several runs stack up; no run says so"
run --virtual-time --timeline=svg - -e 'for i = 1, 2 do asyncio.run(async(function() await(asyncio.sleep(i)) end)()) end'
expect_rc 0
printf '%s' "$out" >"$TMP/two.svg"
xmllint --noout "$TMP/two.svg" 2>/dev/null && ok || fail "stdout is not one SVG document"
expect_out 'asyncio.run #1 timeline: 1 task, 1.000 s'; expect_out 'asyncio.run #2 timeline: 1 task, 2.000 s'
run --timeline=html - -e 'print("no loop")'
expect_rc 0; expect_out 'ran no <code>asyncio.run</code>'

case_ "--timeline=FORMAT: errors"
run --timeline=png x.png -e 'print(1)'
expect_rc 2; expect_err "unknown timeline format in '--timeline=png' \(text, svg or html\)"
run --timeline=svg
expect_rc 2; expect_err "option '--timeline=svg' needs a file name"
run --timeline=svg /nonexistent/dir/x.svg -e 'print(1)'
expect_rc 2; expect_err '--timeline: cannot open /nonexistent/dir/x.svg'
run --help
expect_out '--timeline=svg FILE'; expect_out '--timeline=html FILE'

case_ "asyncio.run's timeline option: a .svg or .html path, or format ="
script pic <<'LUA'
local main = async(function(s) await(asyncio.sleep(s)) return s end)
asyncio.run(main(1), {clock = "virtual", timeline = arg[1]})
asyncio.run(main(2), {clock = "virtual", timeline = {path = arg[2], format = "html"}})
LUA
run "$TMP/pic.lua" "$TMP/opt.SVG" "$TMP/opt.page"
expect_rc 0
xmllint --noout "$TMP/opt.SVG" 2>/dev/null && grep -q '1 task, 1.000 s' "$TMP/opt.SVG" && ok || fail "no SVG from the option"
grep -q '<!DOCTYPE html>' "$TMP/opt.page" && grep -q '1 task, 2.000 s' "$TMP/opt.page" && ok || fail "no HTML from format ="
run -e 'asyncio.run(async(function() end)(), {timeline = {format = "svg"}})'
expect_rc 1; expect_err 'an SVG or HTML timeline needs a path'
run -e 'asyncio.run(async(function() end)(), {timeline = {path = "x", format = "gif"}})'
expect_rc 1; expect_err "bad option 'timeline.format' to 'run'"

finish
