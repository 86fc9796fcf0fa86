#!/usr/bin/env bash
# Black-box tests of `luasync tour` without a browser (tests/browser/ has
# the browser's): the command line, the workspace it finds or makes, the
# browser it opens, the HTTP API behind the page (token, Host, saving,
# hints, reset, streamed runs and checks), and the job backend's protocol,
# through which every example of every lesson runs in the sandbox and
# prints exactly its .out file.
source "$(dirname "$0")/lib.bash"
LUASYNC=$(cd "$(dirname "$LUASYNC")" && pwd)/$(basename "$LUASYNC")
LESSONS=$(cd "$(dirname "$0")/../../lessons" && pwd)
cd "$TMP"
export NO_COLOR=1

TOUR_PID=""
stop_tour() {
  if [ -n "$TOUR_PID" ]; then
    kill -INT "$TOUR_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$TOUR_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TOUR_PID" 2>/dev/null
    wait "$TOUR_PID" 2>/dev/null
    TOUR_PID=""
  fi
}
trap 'stop_tour; rm -rf "$TMP"' EXIT

# start_tour DIR ARGS...: starts the tour in DIR; sets URL BASE TOKEN.
start_tour() {
  local dir=$1
  shift
  (cd "$dir" && exec "$LUASYNC" tour "$@" >"$TMP/tour.out" 2>"$TMP/tour.err") &
  TOUR_PID=$!
  URL=""
  for _ in $(seq 200); do
    URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/?token=[0-9a-f]*' "$TMP/tour.out" 2>/dev/null | head -1)
    [ -n "$URL" ] && break
    kill -0 "$TOUR_PID" 2>/dev/null || break
    sleep 0.05
  done
  BASE=${URL%%/\?*}
  TOKEN=${URL##*token=}
  out=$(cat "$TMP/tour.out"); err=$(cat "$TMP/tour.err")
}

api() {  # api METHOD PATH [BODY-FILE]: sets $out (body) and $code
  local args=(-s -o "$TMP/body" -w '%{http_code}' -X "$1" -H "X-Luasync-Token: $TOKEN")
  [ $# -ge 3 ] && args+=(--data-binary "@$3")
  code=$(curl "${args[@]}" "$BASE$2")
  out=$(cat "$TMP/body"); err=""
}

# ---- the command line

case_ "tour --help; bad options"
run tour --help
expect_rc 0; expect_out '^usage: luasync tour \[--port N\] \[--no-open\] \[WORKSPACE\]'; expect_out '127\.0\.0\.1 only'
run --help
expect_out 'luasync tour \[--port N\] \[--no-open\] \[WORKSPACE\]'
run tour --port
expect_rc 2; expect_err "option '--port' needs a port number"
run tour --port 70000
expect_rc 2; expect_err "option '--port' needs a port number"
run tour --frobnicate
expect_rc 2; expect_err "unrecognized option '--frobnicate'"
run tour a b
expect_rc 2; expect_err "one workspace at most"
touch "$TMP/plainfile"
run tour --no-open "$TMP/plainfile"
expect_rc 1; expect_err 'is not a directory'

case_ "no workspace around: it makes ./luasync-learn, and learn works in it"
mkdir -p "$TMP/fresh"
start_tour "$TMP/fresh" --no-open
[ -n "$URL" ] && ok || fail "no URL printed"
expect_out 'Made the workspace luasync-learn \(41 exercises\)'
expect_out "the lessons of $TMP/fresh/luasync-learn"
expect_out 'Open that URL in your browser'
[ -f "$TMP/fresh/luasync-learn/.luasync-progress" ] && ok || fail "no workspace made"
stop_tour
out=$(cat "$TMP/tour.out")
expect_out 'luasync tour: stopped'
run learn list -C "$TMP/fresh/luasync-learn"
expect_rc 0; expect_out 'kitchen'

case_ "it opens the browser (\$BROWSER, with the URL), unless --no-open"
cat >"$TMP/browser.sh" <<EOF
#!/bin/sh
echo "\$@" > "$TMP/browser.args"
EOF
chmod +x "$TMP/browser.sh"
(cd "$TMP/fresh/luasync-learn" && BROWSER="$TMP/browser.sh" exec "$LUASYNC" tour >"$TMP/tour.out" 2>&1) &
TOUR_PID=$!
for _ in $(seq 200); do [ -s "$TMP/browser.args" ] && break; sleep 0.05; done
got=$(cat "$TMP/browser.args" 2>/dev/null)
grep -qE '^http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{48}$' <<<"$got" && ok || fail "the browser got: '$got'"
stop_tour
out=$(cat "$TMP/tour.out")
expect_out "Opened it with $TMP/browser.sh"
rm -f "$TMP/browser.args"

# ---- the HTTP API

mkdir -p "$TMP/w"
"$LUASYNC" learn init "$TMP/w/ws" >/dev/null
start_tour "$TMP/w/ws" --no-open --port 0

case_ "the token: required everywhere, in the URL, a header or the page's cookie"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$URL")
[ "$code" = 200 ] && grep -q '<title>luasync tour</title>' "$TMP/body" && ok || fail "the page with the token: $code"
grep -q "content=\"$TOKEN\"" "$TMP/body" && ok || fail "the page does not carry its token"
headers=$(curl -s -D - -o /dev/null "$URL")
grep -qi "^set-cookie: luasync_tour_[0-9]*=$TOKEN; Path=/; HttpOnly; SameSite=Strict" <<<"$headers" && ok || fail "no cookie: $headers"
for path in / /api/catalog /static/tour.js /api/lesson/1; do
  code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$BASE$path")
  [ "$code" = 403 ] && grep -q 'needs the token' "$TMP/body" && ok || fail "$path without the token: $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/catalog?token=${TOKEN}x")
[ "$code" = 403 ] && ok || fail "a longer token: $code"
port=${BASE##*:}
code=$(curl -s -o /dev/null -w '%{http_code}' -b "luasync_tour_$port=$TOKEN" "$BASE/static/tour.js")
[ "$code" = 200 ] && ok || fail "the cookie does not open the page's files: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "luasync_tour_$port=$TOKEN" -X POST --data 'x' "$BASE/api/run/kitchen")
[ "$code" = 403 ] && ok || fail "the cookie alone may change things: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: attacker.example" "$URL")
[ "$code" = 403 ] && ok || fail "another Host is answered: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:$port" "$URL")
[ "$code" = 200 ] && ok || fail "localhost:PORT is refused: $code"

case_ "assets from the binary: CodeMirror (Lua mode), the timeline script"
for f in codemirror/lib/codemirror.js codemirror/mode/lua/lua.js codemirror/lib/codemirror.css timeline.js tour.js; do
  api GET "/static/$f"
  [ "$code" = 200 ] && [ -n "$out" ] && ok || fail "/static/$f: $code"
done
api GET /static/codemirror/mode/lua/lua.js
grep -q 'defineMode("lua"' <<<"$out" && ok || fail "not CodeMirror's Lua mode"
api GET /static/../../etc/passwd
[ "$code" = 404 ] && ok || fail "a path outside the assets: $code"

case_ "the catalog and a lesson (Markdown by cmark, examples marked)"
api GET /api/catalog
[ "$code" = 200 ] && ok || fail "catalog: $code"
python3 -c '
import json, sys
c = json.load(sys.stdin)
assert len(c["lessons"]) == 18, len(c["lessons"])
assert c["progress"]["total"] == 41 and c["progress"]["done"] == [], c["progress"]
assert c["lessons"][0]["exercises"][0]["name"] == "lua_warmup"
assert c["lessons"][1]["exercises"][0]["name"] == "kitchen"
' <<<"$out" && ok || fail "catalog JSON"
api GET /api/lesson/01-why-async
python3 -c '
import json, sys
l = json.load(sys.stdin)
h = l["html"]
assert h.startswith("<h1>Why async: the waiting problem</h1>"), h[:80]
assert "<em>" in h and "<h2>" in h
assert h.count("language-luasync-example-") == 2, h.count("language-luasync-example-")
assert "language-luasync-example-all_at_once" in h
assert l["next"] == "02-coroutines" and l["previous"] == "00-lua-basics"
' <<<"$out" && ok || fail "lesson JSON: ${out:0:300}"
api GET /api/lesson/no-such-lesson
[ "$code" = 404 ] && ok || fail "unknown lesson: $code"

case_ "saving an exercise: atomic, only inside the workspace's exercise file"
printf -- '-- edited in the tour\nreturn {}\n' >"$TMP/src.lua"
api PUT /api/exercise/kitchen "$TMP/src.lua"
[ "$code" = 200 ] && cmp -s "$TMP/src.lua" "$TMP/w/ws/exercises/01-why-async/kitchen.lua" && ok || fail "not saved: $code $out"
api GET /api/exercise/kitchen
python3 -c 'import json,sys; assert json.load(sys.stdin)["source"] == "-- edited in the tour\nreturn {}\n"' <<<"$out" && ok || fail "read back: $out"
api PUT /api/exercise/no_such_exercise "$TMP/src.lua"
[ "$code" = 404 ] && ok || fail "unknown exercise: $code"
api PUT /api/exercise/..%2F..%2Fetc "$TMP/src.lua"
[ "$code" = 404 ] && ok || fail "a path as a name: $code"
ls -a "$TMP/w/ws/exercises/01-why-async" | grep -q tmp && fail "a temporary file was left" || ok

case_ "hints are recorded in the progress; reset keeps the learner's version"
api POST /api/hint/kitchen
python3 -c '
import json, sys
h = json.load(sys.stdin)
assert h["text"].startswith("Hint 1 of 3 for kitchen:"), h["text"]
assert len(h["exercise"]["hints_seen"]) == 1
' <<<"$out" && ok || fail "hint: $out"
grep -q '^hints kitchen 1$' "$TMP/w/ws/.luasync-progress" && ok || fail "hint not in the progress"
api POST /api/reset/kitchen
python3 -c '
import json, sys
r = json.load(sys.stdin)
assert "TODO" in r["exercise"]["source"] and r["backup"], r
' <<<"$out" && ok || fail "reset: $out"
grep -rq 'edited in the tour' "$TMP/w/ws/.luasync-backup" && ok || fail "the learner's version was not kept"

case_ "check: streamed JSON lines, the terminal's messages, the progress"
cp "$LESSONS/01-why-async/exercises/kitchen.lua" "$TMP/starter.lua"
curl -s -N -X POST -H "X-Luasync-Token: $TOKEN" --data-binary @"$TMP/starter.lua" "$BASE/api/check/kitchen" >"$TMP/check.jsonl"
python3 - "$TMP/check.jsonl" <<'PY' && ok || fail "check stream: $(head -c 600 "$TMP/check.jsonl")"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
assert [m["type"] for m in msgs] == ["check", "end"], [m["type"] for m in msgs]
r = msgs[0]["result"]
assert not r["passed"] and r["failed"] == 1 and r["total"] == 2
fail = [c for c in r["checks"] if c["status"] == "fail"][0]
assert "but it finished at 6.0" in fail["message"], fail
assert r["text"].startswith("FAIL kitchen: 1 of 2 checks failed (exercises/01-why-async/kitchen.lua)"), r["text"]
assert r["progress"]["done"] == []
PY
curl -s -N -X POST -H "X-Luasync-Token: $TOKEN" --data-binary @"$LESSONS/01-why-async/solutions/kitchen.lua" \
  "$BASE/api/check/kitchen" >"$TMP/check.jsonl"
python3 - "$TMP/check.jsonl" <<'PY' && ok || fail "check of the solution: $(head -c 600 "$TMP/check.jsonl")"
import json, sys
r = json.loads(open(sys.argv[1]).readline())["result"]
assert r["passed"], r
assert r["progress"]["done"] == ["kitchen"] and r["progress"]["current"] != "kitchen", r["progress"]
PY
cmp -s "$LESSONS/01-why-async/solutions/kitchen.lua" "$TMP/w/ws/exercises/01-why-async/kitchen.lua" && ok || fail "the checked file was not saved"
grep -q '^done kitchen$' "$TMP/w/ws/.luasync-progress" && grep -q '^hints kitchen 1$' "$TMP/w/ws/.luasync-progress" && ok ||
  fail "progress: $(cat "$TMP/w/ws/.luasync-progress")"

case_ "run: the output as it is printed, a timeline per asyncio.run, then how it ended"
cat >"$TMP/run.lua" <<'LUA'
print("first")
asyncio.run(async(function()
  local a = asyncio.create_task(async(function() await(asyncio.sleep(1)) end)())
  await(asyncio.sleep(2)); await(a)
end)())
print("between")
asyncio.run(async(function() error("boom") end)())
LUA
curl -s -N -X POST -H "X-Luasync-Token: $TOKEN" --data-binary @"$TMP/run.lua" "$BASE/api/run/kitchen" >"$TMP/run.jsonl"
python3 - "$TMP/run.jsonl" <<'PY' && ok || fail "run stream: $(head -c 900 "$TMP/run.jsonl")"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
kinds = [m["type"] for m in msgs]
assert kinds[-2:] == ["run", "end"], kinds
out = "".join(m["text"] for m in msgs if m["type"] == "output")
assert out == "first\nbetween\n", repr(out)
tl = [m for m in msgs if m["type"] == "timeline"]
assert len(tl) == 2, kinds
assert 'data-rows="2"' in tl[0]["svg"] and tl[0]["snapshots"], tl[0]["svg"][:200]
assert 'lt-mark-failed' in tl[1]["svg"]
# The first timeline came before the output printed after that run.
assert kinds.index("timeline") < max(i for i, k in enumerate(kinds) if k == "output")
r = msgs[-2]["result"]
assert "boom" in r["error"] and r["line"] == 7, r
PY

case_ "an endless loop stops with the terminal's message"
printf 'print("going")\nwhile true do end\n' >"$TMP/loop.lua"
curl -s -N -X POST -H "X-Luasync-Token: $TOKEN" --data-binary @"$TMP/loop.lua" "$BASE/api/run/kitchen" >"$TMP/loop.jsonl"
python3 - "$TMP/loop.jsonl" <<'PY' && ok || fail "loop: $(head -c 600 "$TMP/loop.jsonl")"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
assert msgs[0] == {"id": msgs[0]["id"], "type": "output", "text": "going\n"}, msgs[0]
r = [m for m in msgs if m["type"] == "run"][0]["result"]
assert r["error"].startswith("stopped: your code ran more than 50 million Lua instructions in this check"), r
assert r["line"] == 2, r
PY
cp "$LESSONS/01-why-async/solutions/kitchen.lua" "$TMP/sol.lua"
api PUT /api/exercise/kitchen "$TMP/sol.lua"
stop_tour

case_ "the tour and a terminal side by side: neither loses the other's progress"
start_tour "$TMP/w/ws" --no-open
"$LUASYNC" learn check classify -C "$TMP/w/ws" >/dev/null 2>&1
"$LUASYNC" learn hint make_coroutine -C "$TMP/w/ws" >/dev/null
curl -s -N -X POST -H "X-Luasync-Token: $TOKEN" --data-binary @"$LESSONS/01-why-async/solutions/three_fetches.lua" \
  "$BASE/api/check/three_fetches" >/dev/null 2>&1 || true
grep -q '^hints make_coroutine 1$' "$TMP/w/ws/.luasync-progress" && grep -q '^done kitchen$' "$TMP/w/ws/.luasync-progress" && ok ||
  fail "progress lost: $(cat "$TMP/w/ws/.luasync-progress")"
stop_tour

# ---- the job backend: every example, in the sandbox

case_ "every example of every lesson runs in the backend and prints its .out file"
python3 - "$LESSONS" >"$TMP/requests.jsonl" <<'PY'
import glob, json, os, sys
i = 0
for d in sorted(glob.glob(sys.argv[1] + "/[0-9]*")):
    for f in sorted(glob.glob(d + "/examples/*.lua")):
        i += 1
        print(json.dumps({"id": i, "op": "example", "lesson": os.path.basename(d),
                          "example": os.path.basename(f)[:-4], "source": open(f).read()}))
print(json.dumps({"id": i + 1, "op": "frobnicate"}))
print(json.dumps({"id": i + 2, "op": "example", "lesson": "01-why-async", "example": "nope", "source": ""}))
PY
"$LUASYNC" tour --backend "$TMP/w/ws" <"$TMP/requests.jsonl" >"$TMP/responses.jsonl" 2>"$TMP/backend.err"
rc=$?
[ $rc = 0 ] && ok || fail "backend exit status $rc: $(cat "$TMP/backend.err")"
python3 - "$LESSONS" "$TMP/requests.jsonl" "$TMP/responses.jsonl" <<'PY' && ok || fail "examples in the backend"
import json, sys
lessons, reqs, resps = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])], [json.loads(l) for l in open(sys.argv[3])]
assert resps[0]["type"] == "ready"
out, ends, runs, errors = {}, set(), {}, {}
for m in resps[1:]:
    if m["type"] == "output": out[m["id"]] = out.get(m["id"], "") + m["text"]
    if m["type"] == "end": ends.add(m["id"])
    if m["type"] == "run": runs[m["id"]] = m["result"]
    if m["type"] == "error": errors[m["id"]] = m["message"]
bad = []
for r in reqs:
    if r["id"] not in ends: bad.append("no end for %d" % r["id"])
    if r["op"] != "example" or r["example"] == "nope": continue
    want = open("%s/%s/examples/%s.out" % (lessons, r["lesson"], r["example"])).read()
    if out.get(r["id"], "") != want:
        bad.append("%s/%s: %r (%s)" % (r["lesson"], r["example"], out.get(r["id"], "")[:200], runs.get(r["id"], {}).get("error", "")[:300]))
n = len(reqs)
assert "unknown request 'frobnicate'" in errors.get(n - 1, ""), errors
assert "no such example" in errors.get(n, ""), errors
assert not bad, "\n".join(bad)
print("%d examples" % (n - 2), file=sys.stderr)
PY

finish
