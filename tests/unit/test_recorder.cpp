// Unit tests for the task recorder (runtime/observe/recorder.h): the events of a
// run (creation, steps, each suspension and on what, the three endings),
// wait descriptions and labels, the coroutine-call names, a recorder
// attached to a loop directly, the timeline's layout, the Chrome trace, and
// the call graph.
#include <gtest/gtest.h>

#include <lua.hpp>

#include <memory>
#include <string>
#include <vector>

#include "asyncio_lib.h"
#include "call_graph.h"
#include "coro.h"
#include "json.h"
#include "loop.h"
#include "lua_state_test.h"
#include "recorder.h"
#include "runtime.h"
#include "task.h"

using namespace luasync;

namespace {

using Kind = Recorder::Kind;
using Wait = Recorder::Wait;
using Outcome = Recorder::Outcome;

class RecorderTest : public LuaStateTest {
 protected:
  std::shared_ptr<RecordSession> session;

  void SetUp() override {
    LuaStateTest::SetUp();
    // As `luasync --timeline`: every asyncio.run records into the session
    // (which the test reads instead of printing).
    session = std::make_shared<RecordSession>();
    session->options.timeline = true;
    set_record_session(L, session);
  }

  void TearDown() override {
    set_record_session(L, nullptr);
    LuaStateTest::TearDown();
  }

  // Runs `body` as the main coroutine on the virtual clock; returns the
  // recording of that run.
  const Recorder& record(const std::string& prelude, const std::string& body) {
    std::string r = eval(prelude + "\nreturn asyncio.run(async(function()\n" + body +
                         "\nend)(), {clock = 'virtual'})");
    EXPECT_EQ(r.rfind("error:", 0), std::string::npos) << r;
    EXPECT_FALSE(session->runs.empty());
    return *session->runs.back();
  }

  // The events of task i as "kind@time[:wait]" words.
  static std::string events_of(const Recorder& rec, uint32_t task) {
    std::string out;
    for (const auto& e : rec.events()) {
      if (e.task != task) continue;
      static const char* names[] = {"created", "started", "suspended", "resumed", "finished", "cancelled", "failed"};
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s@%g", names[static_cast<int>(e.kind)], e.time);
      if (!out.empty()) out += ' ';
      out += buf;
      if (e.kind == Kind::Suspended) out += ":" + rec.describe_wait(e);
    }
    return out;
  }
};

const char* kWorkers = R"(
local worker = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  return name
end))";

TEST_F(RecorderTest, ThreeWorkersOnTheVirtualClock) {
  const Recorder& rec = record(kWorkers, R"(
  local a = asyncio.create_task(worker("A", 2))
  local b = asyncio.create_task(worker("B", 1))
  local c = asyncio.create_task(worker("C", 3))
  return await(asyncio.gather(a, b, c)).n)");
  ASSERT_EQ(rec.tasks().size(), 4u);
  EXPECT_TRUE(rec.virtual_clock());
  EXPECT_EQ(rec.start_time(), 0);
  EXPECT_EQ(rec.end_time(), 3);
  const auto& t = rec.tasks();
  EXPECT_EQ(t[0].call, "anonymous()");
  EXPECT_EQ(t[1].call, "worker(\"A\", 2)");
  EXPECT_EQ(t[1].label(), "worker(\"A\", 2)");
  EXPECT_EQ(t[0].parent, Recorder::kNone);
  EXPECT_EQ(t[1].parent, 0u);
  EXPECT_EQ(t[3].parent, 0u);
  EXPECT_EQ(t[1].number, t[0].number + 1);
  EXPECT_EQ(t[1].ended, 2);
  EXPECT_EQ(t[2].ended, 1);
  EXPECT_EQ(t[3].ended, 3);
  for (const auto& info : t) EXPECT_EQ(info.outcome, Outcome::Finished);
  EXPECT_EQ(events_of(rec, 0), "created@0 started@0 suspended@0:gather resumed@3 finished@3");
  EXPECT_EQ(events_of(rec, 1), "created@0 started@0 suspended@0:sleep 2s resumed@2 finished@2");
  EXPECT_EQ(events_of(rec, 2), "created@0 started@0 suspended@0:sleep 1s resumed@1 finished@1");
  // Real time moves on its own: every event has one, in order.
  double last = 0;
  for (const auto& e : rec.events()) {
    EXPECT_GE(e.real, last);
    last = e.real;
  }
}

TEST_F(RecorderTest, CancelledWhileSleepingAndBeforeStarting) {
  const Recorder& rec = record(kWorkers, R"(
  local stuck = asyncio.create_task(worker("stuck", 10), "stuck")
  local never = asyncio.create_task(worker("never", 1), "never")
  never:cancel()
  await(asyncio.sleep(1))
  stuck:cancel("enough")
  pcall(await, stuck)
  return 1)");
  ASSERT_EQ(rec.tasks().size(), 3u);
  const auto& stuck = rec.tasks()[1];
  EXPECT_EQ(stuck.name, "stuck");
  EXPECT_EQ(stuck.label(), "stuck");
  EXPECT_EQ(stuck.outcome, Outcome::Cancelled);
  EXPECT_EQ(stuck.ended, 1);
  EXPECT_EQ(events_of(rec, 1), "created@0 started@0 suspended@0:sleep 10s resumed@1 cancelled@1");
  // Cancelled before its first step: it never started.
  const auto& never = rec.tasks()[2];
  EXPECT_EQ(never.outcome, Outcome::Cancelled);
  EXPECT_LT(never.started, 0);
  EXPECT_EQ(events_of(rec, 2), "created@0 cancelled@0");
  EXPECT_EQ(events_of(rec, 0),
            "created@0 started@0 suspended@0:sleep 1s resumed@1 suspended@1:await stuck resumed@1 finished@1");
}

TEST_F(RecorderTest, FailedTaskKeepsItsError) {
  const Recorder& rec = record(R"(
local boom = async(function(s) await(asyncio.sleep(s)); error("cannot fetch", 0) end))",
                               R"(
  local t = asyncio.create_task(boom(1.5))
  local ok, err = pcall(await, t)
  return ok)");
  ASSERT_EQ(rec.tasks().size(), 2u);
  EXPECT_EQ(rec.tasks()[1].outcome, Outcome::Failed);
  EXPECT_EQ(rec.tasks()[1].error, "cannot fetch");
  EXPECT_EQ(rec.tasks()[1].ended, 1.5);
  EXPECT_EQ(events_of(rec, 1), "created@0 started@0 suspended@0:sleep 1.5s resumed@1.5 failed@1.5");
}

TEST_F(RecorderTest, WaitsAreDescribed) {
  const Recorder& rec = record("", R"(
  local lock, ev, q = asyncio.Lock(), asyncio.Event(), asyncio.Queue()
  await(lock:acquire())
  local holder = asyncio.create_task(async(function()
    await(lock:acquire()); await(ev:wait()); await(q:get()); lock:release()
  end)(), "holder")
  await(asyncio.sleep(0))
  lock:release()
  await(asyncio.sleep(1)); ev:set()
  await(asyncio.sleep(1)); q:put_nowait(1)
  local f = asyncio.Future()
  asyncio.get_running_loop():call_later(1, function() f:set_result(1) end)
  await(f)
  await(holder))");
  EXPECT_EQ(events_of(rec, 1),
            "created@0 started@0 suspended@0:lock resumed@0 suspended@0:event resumed@1 "
            "suspended@1:queue get resumed@2 finished@2");
  EXPECT_EQ(events_of(rec, 0),
            "created@0 started@0 suspended@0:yield resumed@0 suspended@0:sleep 1s resumed@1 "
            "suspended@1:sleep 1s resumed@2 suspended@2:future resumed@3 finished@3");
}

TEST_F(RecorderTest, LabelIsStoredWithoutATableAndSurvivesExtraFields) {
  EXPECT_EQ(eval(R"(
return asyncio.run(async(function()
  local f = asyncio._label(asyncio.Future(), "read")
  asyncio._set_cancel_handler(f, function(fut, msg) return asyncio._cancel_default(fut, msg) end)
  local g = asyncio._label(asyncio.Future(), "gather", {f})
  return tostring(f:cancel()) .. " " .. tostring(f:cancelled())
end)())
)"),
            "true true");
  EXPECT_NE(eval("return asyncio.run(async(function() asyncio._label(asyncio.current_task(), 'x') end)())")
                .find("a plain Future expected"),
            std::string::npos);
}

TEST_F(RecorderTest, CoroutineCallNames) {
  const Recorder& rec = record(R"(
local f = async(function(...) await(asyncio.sleep(0)) end))",
                               R"(
  await(asyncio.create_task(f("a very long string argument", 2.0, 3, true, {}, 6)))
  await(asyncio.create_task(f(nil, "x\ny")))
  await(asyncio.create_task(asyncio.sleep(1)))
  await(asyncio.create_task(f()), "named"))");
  const auto& t = rec.tasks();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[1].call, "f(\"a very long s...\", 2.0, 3, true, ...)");
  EXPECT_EQ(t[2].call, "f(nil, \"x y\")");
  EXPECT_EQ(t[3].call, "sleep(1)");
  EXPECT_EQ(t[4].call, "f()");
}

TEST_F(RecorderTest, RecorderAttachedToALoopDirectly) {
  Loop::Options o;
  o.virtual_clock = true;
  Loop* loop = loop_open(L, o);
  int loop_idx = lua_gettop(L);
  {
    Recorder rec(loop);
    EXPECT_EQ(loop->observer, &rec);
    EXPECT_EQ(eval("t = asyncio.create_task(async(function() await(asyncio.sleep(2)) end)())"), "");
    loop->run_until([&] { return loop->task_count() == 0; });
    rec.stop();
    EXPECT_EQ(loop->observer, nullptr);
    EXPECT_EQ(rec.end_time(), 2);
    EXPECT_EQ(events_of(rec, 0), "created@0 started@0 suspended@0:sleep 2s resumed@2 finished@2");
    rec.stop();  // idempotent
  }
  // Not recorded: the hooks see no recorder.
  EXPECT_EQ(eval("t = asyncio.create_task(async(function() await(asyncio.sleep(1)) end)())"), "");
  loop->run_until([&] { return loop->task_count() == 0; });
  loop_shutdown(L, loop);
  lua_settop(L, loop_idx - 1);
}

// ---------------------------------------------------------------- rendering

// A hand-made recording: t0 runs 0..0.5 then waits on a "lock" until 2;
// t1 (created by t0) sleeps 1 s and fails; t2 is cancelled at 1.5.
Recorder* hand_made(std::unique_ptr<Recorder>& holder, Loop* loop) {
  holder = std::make_unique<Recorder>(loop);
  Recorder& r = *holder;
  r.stop();
  r.set_span_for_test(0, 2, true);
  Recorder::TaskInfo a, b, c;
  a.number = 1, a.call = "main()", a.created = 0, a.started = 0, a.ended = 2, a.outcome = Outcome::Finished;
  b.number = 2, b.call = "fetch(\"x\")", b.parent = 0, b.created = 0.5, b.started = 0.5, b.ended = 1.5;
  b.outcome = Outcome::Failed, b.error = "boom";
  c.number = 3, c.name = "worker-3", c.parent = 0, c.created = 0.5, c.started = 0.5, c.ended = 1.5;
  c.outcome = Outcome::Cancelled;
  r.add_task_for_test(a);
  r.add_task_for_test(b);
  r.add_task_for_test(c);
  auto ev = [&](double t, uint32_t task, Kind k, Wait w = Wait::Yield, double delay = 0) {
    Recorder::Event e{};
    e.time = e.real = t;
    e.task = task;
    e.kind = k;
    e.wait = w;
    if (w == Wait::Sleep)
      e.delay = delay;
    else
      e.ref = Recorder::kNone;
    r.add_event_for_test(e);
  };
  ev(0, 0, Kind::Created);
  ev(0, 0, Kind::Started);
  ev(0.5, 1, Kind::Created);
  ev(0.5, 2, Kind::Created);
  ev(0.5, 0, Kind::Suspended, Wait::Future);
  ev(0.5, 1, Kind::Started);
  ev(0.5, 1, Kind::Suspended, Wait::Sleep, 1);
  ev(0.5, 2, Kind::Started);
  ev(0.5, 2, Kind::Suspended, Wait::Sleep, 5);
  ev(1.5, 1, Kind::Resumed);
  ev(1.5, 1, Kind::Failed);
  ev(1.5, 2, Kind::Resumed);
  ev(1.5, 2, Kind::Cancelled);
  ev(2, 0, Kind::Resumed);
  ev(2, 0, Kind::Finished);
  return &r;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

size_t columns(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

TEST_F(RecorderTest, TimelineFitsTheWidthAndMarksEndings) {
  Loop::Options o;
  o.virtual_clock = true;
  Loop* loop = loop_open(L, o);
  int loop_idx = lua_gettop(L);
  std::unique_ptr<Recorder> holder;
  Recorder* r = hand_made(holder, loop);
  for (int width : {40, 60, 100, 160}) {
    TimelineStyle st;
    st.width = width;
    st.color = false;
    std::string text = render_timeline(*r, st);
    auto lines = lines_of(text);
    ASSERT_GE(lines.size(), 7u) << text;
    for (const auto& l : lines) EXPECT_LE(columns(l), static_cast<size_t>(width)) << l;
    EXPECT_NE(text.find("3 tasks, 2.000 s"), std::string::npos) << text;
    EXPECT_NE(text.find("  fetch(\"x\")"), std::string::npos) << text;  // under its creator
    EXPECT_NE(text.find("\u2717 fetch(\"x\") failed at 1.500 s: boom"), std::string::npos) << text;
    EXPECT_NE(text.find("\u2298 worker-3 cancelled at 1.500 s"), std::string::npos) << text;
    EXPECT_EQ(text.find("\x1b["), std::string::npos);
    // Both ends of main's bar at the first and last columns of the bar area.
    const std::string& main_row = lines[3];
    EXPECT_EQ(main_row.rfind("\u2588"), main_row.size() - 3) << main_row;
  }
  TimelineStyle ascii;
  ascii.width = 80;
  ascii.unicode = false;
  ascii.color = false;
  std::string text = render_timeline(*r, ascii);
  EXPECT_NE(text.find("X fetch(\"x\") failed"), std::string::npos) << text;
  EXPECT_NE(text.find("/ worker-3 cancelled"), std::string::npos) << text;
  ascii.color = true;
  text = render_timeline(*r, ascii);
  EXPECT_NE(text.find("\x1b[32m#"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[1;31mX\x1b[0m fetch(\"x\") failed"), std::string::npos) << text;
  for (unsigned char c : text) {
    if (c >= 0x80) {
      ADD_FAILURE() << "non-ASCII output in ASCII mode:\n" << text;
      break;
    }
  }
  ascii.max_rows = 2;
  EXPECT_NE(render_timeline(*r, ascii).find("... and 1 more task (0 failed, 1 cancelled)"), std::string::npos);
  holder.reset();
  loop_shutdown(L, loop);
  lua_settop(L, loop_idx - 1);
}

TEST_F(RecorderTest, SvgTimelineMarksEndingsAndSummarisesHiddenRows) {
  Loop::Options o;
  o.virtual_clock = true;
  Loop* loop = loop_open(L, o);
  int loop_idx = lua_gettop(L);
  std::unique_ptr<Recorder> holder;
  Recorder* r = hand_made(holder, loop);
  SvgTimelineStyle st;
  std::string svg = render_timeline_svg(*r, st);
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("data-rows=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("3 tasks, 2.000 s on the virtual clock"), std::string::npos);
  EXPECT_NE(svg.find("class=\"lt-mark lt-mark-failed\" data-task=\"1\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("class=\"lt-mark lt-mark-cancelled\" data-task=\"2\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("fetch(&quot;x&quot;) failed at 1.500 s: boom"), std::string::npos) << svg;
  // Names are escaped; a step that takes no virtual time is still 3 px wide.
  EXPECT_EQ(svg.find("fetch(\"x\")"), std::string::npos);
  EXPECT_NE(svg.find("width=\"3.0\" height=\"16\""), std::string::npos) << svg;
  // No snapshots were taken: the bars say so instead of pointing at one.
  EXPECT_EQ(svg.find("data-snap="), std::string::npos);
  EXPECT_NE(svg.find("this recording has no call graphs"), std::string::npos);
  st.max_rows = 2;
  st.standalone = false;
  svg = render_timeline_svg(*r, st);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("... and 1 more task (0 failed, 1 cancelled)"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("lt-mark-cancelled\" data-task"), std::string::npos);
  holder.reset();
  loop_shutdown(L, loop);
  lua_settop(L, loop_idx - 1);
}

TEST_F(RecorderTest, SnapshotsOfTheCallGraphAtEachSuspension) {
  session->options.format = TimelineFormat::Svg;  // pictures record call graphs
  const Recorder& rec = record(kWorkers, R"(
    await(asyncio.gather(worker("A", 2), worker("B", 1)))
  )");
  ASSERT_TRUE(rec.snapshots_on());
  size_t suspensions = 0, with_snapshot = 0;
  std::string of_a;
  for (size_t i = 0; i < rec.events().size(); i++) {
    const auto& e = rec.events()[i];
    if (e.kind != Kind::Suspended) {
      EXPECT_EQ(rec.snapshot_of(i), Recorder::kNone);
      continue;
    }
    suspensions++;
    uint32_t s = rec.snapshot_of(i);
    if (s == Recorder::kNone) continue;
    with_snapshot++;
    if (rec.tasks()[e.task].call == "worker(\"A\", 2)") of_a = rec.snapshots()[s];
  }
  EXPECT_EQ(suspensions, 3u);
  EXPECT_EQ(with_snapshot, 3u);
  EXPECT_NE(of_a.find("* Task 'Task-2' worker(\"A\", 2)"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("+ Awaiting: sleep until 2.000 (2.000 s left)"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("+ Awaited by:"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("Future 'gather'"), std::string::npos) << of_a;
  EXPECT_NE(of_a.find("Task 'Task-1' anonymous()"), std::string::npos) << of_a;
  SvgTimelineStyle st;
  std::string svg = render_timeline_svg(rec, st);
  EXPECT_NE(svg.find("data-snap=\"0\""), std::string::npos) << svg;
  std::string json = timeline_snapshots_json(rec);
  EXPECT_EQ(json.front(), '[');
  EXPECT_EQ(json.find("</"), std::string::npos);
}

TEST_F(RecorderTest, SnapshotsAreOffForTextAndCappedForPictures) {
  const Recorder& text = record(kWorkers, "await(worker('A', 1))");
  EXPECT_FALSE(text.snapshots_on());
  EXPECT_TRUE(text.snapshots().empty());
  session->options.format = TimelineFormat::Html;
  const Recorder& many = record("", R"(
    for i = 1, )" + std::to_string(Recorder::kMaxSnapshots + 10) + R"( do await(asyncio.sleep(0)) end
  )");
  // Equal texts are stored once; the cap counts suspensions, not texts.
  EXPECT_EQ(many.snapshots().size(), 1u);
  EXPECT_EQ(many.snapshots_dropped(), 10u);
}

TEST_F(RecorderTest, ChromeTraceIsJsonWithTheEvents) {
  Loop::Options o;
  o.virtual_clock = true;
  Loop* loop = loop_open(L, o);
  int loop_idx = lua_gettop(L);
  std::unique_ptr<Recorder> holder;
  Recorder* r = hand_made(holder, loop);
  std::string json = chrome_trace_json({r});
  JsonError err;
  ASSERT_TRUE(json_decode(L, json.data(), json.size(), &err)) << err.message << " at " << err.line << "\n" << json;
  lua_getfield(L, -1, "traceEvents");
  int evs = lua_gettop(L);
  std::string seen;
  for (lua_Integer i = 1; lua_rawgeti(L, evs, i) == LUA_TTABLE; i++) {
    lua_getfield(L, -1, "ph");
    lua_getfield(L, -2, "name");
    lua_getfield(L, -3, "tid");
    lua_getfield(L, -4, "ts");
    std::string ph = lua_tostring(L, -4);
    if (ph != "M") {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%s:%s:%lld@%g ", ph.c_str(), lua_tostring(L, -3),
                    static_cast<long long>(lua_tointeger(L, -2)), lua_tonumber(L, -1));
      seen += buf;
    }
    lua_pop(L, 5);
  }
  lua_pop(L, 1);
  EXPECT_EQ(seen,
            "i:created:1@0 i:created:2@500000 i:created:3@500000 X:run:1@0 B:future:1@500000 "
            "X:run:2@500000 B:sleep 1s:2@500000 X:run:3@500000 B:sleep 5s:3@500000 "
            "E:sleep 1s:2@1.5e+06 X:run:2@1.5e+06 i:failed:2@1.5e+06 E:sleep 5s:3@1.5e+06 "
            "X:run:3@1.5e+06 i:cancelled:3@1.5e+06 E:future:1@2e+06 X:run:1@2e+06 i:finished:1@2e+06 ");
  EXPECT_NE(json.find("\"name\":\"thread_name\",\"args\":{\"name\":\"worker-3 [Task-3]\"}"), std::string::npos);
  EXPECT_NE(json.find("\"args\":{\"error\":\"boom\"}"), std::string::npos);
  lua_pop(L, 1);
  holder.reset();
  loop_shutdown(L, loop);
  lua_settop(L, loop_idx - 1);
}

// ---------------------------------------------------------------- call graph

TEST_F(RecorderTest, CallGraphFromATaskDownToTheLeafAndUp) {
  set_record_session(L, nullptr);
  std::string r = eval(R"(
local worker = async(function(name, s) await(asyncio.sleep(s)) end)
local locked = async(function(lock) await(lock:acquire()) end)
local forest, of_a, cap
local snapshot = async(function(a, lock)
  forest = asyncio.format_call_graph(nil, {all = true, limit = 1})
  of_a = asyncio.format_call_graph(a)
  cap = asyncio.capture_call_graph(a)
  lock:release()
end)
asyncio.run(async(function()
  local lock = asyncio.Lock()
  await(lock:acquire())
  local a = asyncio.create_task(worker("A", 2), "A")
  local b = asyncio.create_task(locked(lock), "B")
  asyncio.create_task(snapshot(a, lock), "snapshot")
  await(asyncio.gather(a, b))
end)(), {clock = "virtual"})
return forest .. "====\n" .. of_a .. "====\n" .. cap.name .. " " .. cap.state .. " "
  .. tostring(cap.sleep_until) .. " " .. cap.call_stack[1].source .. ":" .. cap.call_stack[1].line
  .. " " .. #cap.awaited_by .. " " .. cap.awaited_by[1].label .. " "
  .. cap.awaited_by[1].awaited_by[1].name .. " " .. #cap.awaiting
)");
  EXPECT_EQ(r,
            "* Task 'Task-1' anonymous() at unit:11\n"
            "+ Call stack:\n"
            "|   unit:17: in function <unit:11>\n"
            "+ Awaiting:\n"
            "   * Future 'gather' (pending)\n"
            "      + Awaiting:\n"
            "         * Task 'A' worker(\"A\", 2) at unit:2\n"
            "            + Call stack:\n"
            "            |   unit:2: in coroutine 'worker'\n"
            "            + Awaiting: sleep until 2.000 (2.000 s left)\n"
            "         * Task 'B' locked(Lock) at unit:3\n"
            "            + Call stack:\n"
            "            |   [asyncio]/locks.lua:36: in upvalue 'wait_on_new_future'\n"
            "            + Awaiting: Future 'lock' (pending)\n"
            "* Task 'snapshot' snapshot(Task, Lock) at unit:5 (running)\n"
            "+ Call stack:\n"
            "|   unit:6: in coroutine 'snapshot'\n"
            "====\n"
            "* Task 'A' worker(\"A\", 2) at unit:2\n"
            "+ Call stack:\n"
            "|   unit:2: in coroutine 'worker'\n"
            "+ Awaiting: sleep until 2.000 (2.000 s left)\n"
            "+ Awaited by:\n"
            "   * Future 'gather' (pending)\n"
            "      + Awaited by:\n"
            "         * Task 'Task-1' anonymous() at unit:11\n"
            "            + Call stack:\n"
            "            |   unit:17: in function <unit:11>\n"
            "====\n"
            "A waiting 2.0 unit:2 1 gather Task-1 0");
}

}  // namespace
