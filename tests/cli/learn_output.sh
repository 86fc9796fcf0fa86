#!/usr/bin/env bash
# The learner's own output and the runtime's diagnostics in check results,
# on the built-in lessons: stdout shown under "your output" when a check
# fails (and with --verbose), stderr apart as debug output and never
# compared, the first differing line of checked output, the diagnostics
# (never awaited, a gather's future never awaited, blocking call, error in
# a loop callback, swallowed cancellation) with file:line in any lesson, and `learn run` with its
# timeline.
source "$(dirname "$0")/lib.bash"
WS="$TMP/ws"
learn() { run learn -C "$WS" "$@"; }
"$LUASYNC" learn init "$WS" >/dev/null || { echo "init failed"; exit 1; }
LESSONS="$(cd "$(dirname "$0")/../../lessons" && pwd)"
FA="$WS/exercises/12-pitfalls/forgot_await.lua"
KI="$WS/exercises/01-why-async/kitchen.lua"

case_ "a debug print in checked output: the first differing line, your output, stderr apart"
sed -e 's|^  print(now() .. " reserved " .. item)|  print("debug: reserving", item)\n  io.stderr:write("stderr\\tline\\n")\n&|' \
  "$LESSONS/12-pitfalls/solutions/forgot_await.lua" > "$FA"
grep -q 'debug: reserving' "$FA" && ok || fail "fixture not made"
learn check forgot_await
expect_rc 1
expect_out 'the output differs at line 1:'
expect_out 'expected "1.0 reserved kettle"'
expect_out 'yours    "debug: reserving\\tkettle"'
expect_out 'your output:'
expect_out '│ 1.0 reserved kettle'
expect_out 'your debug output \(stderr, never checked\):'
expect_out '│ stderr +line'
# stderr alone never fails a check
sed -e 's|^  print(now() .. " reserved " .. item)|  io.stderr:write("debug: reserving ", item, "\\n")\n&|' \
  "$LESSONS/12-pitfalls/solutions/forgot_await.lua" > "$FA"
learn check forgot_await
expect_rc 0; expect_out 'PASS forgot_await'; expect_out '│ debug: reserving kettle'

case_ "--verbose shows the output of passing checks"
learn check -v forgot_await
expect_rc 0; expect_out 'your output:'; expect_out '│ 2.0 charged 25'
learn check forgot_await
grep -q 'your output:' <<<"$out" && fail "output shown without --verbose on a pass" || ok

case_ "a blocking call and an error in a loop callback, in lesson 1, with file:line"
sed -e 's|^  local water = await(boil_water())|  asyncio.get_running_loop():call_later(0.5, function() error("oops in a callback") end)\n  time.sleep(1)\n&|' \
  "$LESSONS/01-why-async/exercises/kitchen.lua" > "$KI"
learn check kitchen
expect_rc 1
expect_out 'kitchen.lua:28: time.sleep\(1\) blocks the loop'
expect_out 'kitchen.lua:27: an error in a loop callback .*oops in a callback'
grep -q 'deadlock' <<<"$out" && fail "shown as a deadlock" || ok

case_ "a coroutine never awaited, in lesson 1"
sed -e 's|^  local done = |  toast_bread()\n&|' "$LESSONS/01-why-async/solutions/kitchen.lua" > "$KI"
learn check kitchen
expect_rc 1
expect_out 'luasync noticed a problem: the coroutine object toast_bread\(\) made here was never awaited'

case_ "gather without await: the failure names the likely cause, with the gather's line"
sed -e 's|local done = await(asyncio.gather(boil_water(), preheat_oven(), toast_bread()))|local done = asyncio.gather(boil_water(), preheat_oven(), toast_bread())|' \
  "$LESSONS/01-why-async/solutions/kitchen.lua" > "$KI"
grep -q 'local done = asyncio.gather' "$KI" && ok || fail "fixture not made"
learn check kitchen
expect_rc 1
expect_out 'expected "boiled water", got nil: the first result should be the water. Likely cause, line 20: a future from asyncio.gather that was never awaited \(did you forget await\?\)'
expect_out 'kitchen.lua:20: asyncio.gather\(\) here returned a future that nothing awaited'
# A gather that something waits on is not reported: under wait_for (which
# holds it), or awaited.
sed -e 's|local done = await(asyncio.gather(boil_water(), preheat_oven(), toast_bread()))|local done = await(asyncio.wait_for(asyncio.gather(boil_water(), preheat_oven(), toast_bread()), 10))|' \
  "$LESSONS/01-why-async/solutions/kitchen.lua" > "$KI"
grep -q 'wait_for(asyncio.gather' "$KI" && ok || fail "fixture not made"
learn check kitchen
expect_rc 0; expect_out 'PASS kitchen'
grep -q 'nothing awaited' <<<"$out" && fail "an awaited gather reported" || ok
# A future or coroutine object where a value was expected, as a value or in
# an error.
FC="$WS/exercises/03-await-and-run/forecast.lua"
sed -e 's|local degrees, wind, sky = await(measure(city))|local degrees, wind, sky = measure(city)|' \
  "$LESSONS/03-await-and-run/solutions/forecast.lua" > "$FC"
learn check forecast
expect_rc 1
expect_out "got asyncio.coroutine\) \(a coroutine object where its result was expected: did you forget await\? await\(x\) gives x's result\)"
WF="$WS/exercises/03-await-and-run/workflow.lua"
sed -e 's|return await(summarize(user, orders))|return summarize(user, orders)|' \
  "$LESSONS/03-await-and-run/solutions/workflow.lua" > "$WF"
learn check workflow
expect_rc 1
expect_out 'got <coroutine summarize\(\) at .*That is a coroutine object \(what calling an async function gives\), where its result was expected: did you forget await\?'

case_ "a swallowed cancellation fails the check and says where the pcall was"
sed -e 's|^  local water = await(boil_water())|  local helper = asyncio.create_task(async(function()\n    pcall(function() await(asyncio.sleep(10)) end)\n    return "carried on"\n  end)())\n  await(asyncio.sleep(0)); helper:cancel(); await(helper)\n&|' \
  "$LESSONS/01-why-async/exercises/kitchen.lua" > "$KI"
learn check kitchen
expect_rc 1
expect_out 'kitchen.lua:2[78]: .*cancel'

case_ "learn run: an exercise module runs what its first check calls, with the timeline"
cp "$LESSONS/01-why-async/solutions/kitchen.lua" "$KI"
learn run kitchen
expect_rc 0
expect_out '^-- running cook\(\) on the virtual clock'
expect_out 'finished at 3.0 virtual seconds'
expect_out 'asyncio.run timeline'
expect_out 'boil_water'
learn run forgot_await
expect_rc 0; expect_out '^1.0 reserved'; expect_out 'debug output \(stderr\)'

finish
