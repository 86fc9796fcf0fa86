// call_graph.cpp: the await graph of the running loop (see call_graph.h).
#include "call_graph.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "coro.h"
#include "future.h"
#include "loop.h"
#include "options.h"
#include "recorder.h"
#include "runtime.h"
#include "task.h"
#include "task_stack.h"
#include "traceback.h"
#include "trampoline.h"

namespace luasync {

namespace {

struct Node {
  int slot;     // the Task or Future, at this index of the anchor table
  Future* f;
  Task* t;      // nullptr for a plain future
  std::vector<int> down;  // what it awaits
  std::vector<int> up;    // who awaits it
};

// The graph of the tasks of the running loop and of the futures they await.
// Its Lua values are kept in an anchor table pushed by the constructor; the
// caller restores the stack.
class Graph {
 public:
  Graph(lua_State* L, const CallGraphOptions& o) : L_(L), o_(o), loop_(runtime(L)->loop) {
    lua_newtable(L);
    anchor_ = lua_gettop(L);
  }

  // Adds every task of the loop and follows what each awaits.
  void build() {
    if (loop_) {
      for (Task* t = loop_->first_task(); t; t = t->next) {
        lua_rawgeti(L_, LUA_REGISTRYINDEX, t->self_ref);
        node_of(-1);
        lua_pop(L_, 1);
      }
    }
    for (size_t i = 0; i < nodes_.size(); i++) expand(static_cast<int>(i));
  }
  // The node of the Task or Future at idx (added, and followed, if new).
  int node_of(int idx) {
    idx = lua_absindex(L_, idx);
    const void* p = lua_topointer(L_, idx);
    auto it = index_.find(p);
    if (it != index_.end()) return it->second;
    Node n;
    n.slot = static_cast<int>(nodes_.size()) + 1;
    n.f = to_future(L_, idx);
    n.t = n.f && n.f->is_task ? static_cast<Task*>(n.f) : nullptr;
    lua_pushvalue(L_, idx);
    lua_rawseti(L_, anchor_, n.slot);
    nodes_.push_back(std::move(n));
    int id = static_cast<int>(nodes_.size()) - 1;
    index_[p] = id;
    return id;
  }
  size_t size() const { return nodes_.size(); }
  void expand_from(int n) {
    for (size_t i = n; i < nodes_.size(); i++) expand(static_cast<int>(i));
  }

  std::string text_down(int root);
  std::string text_forest();
  void push_capture(int n, bool down, std::vector<char>& on_path);

 private:
  void push(int n) { lua_rawgeti(L_, anchor_, nodes_[n].slot); }
  void link(int from, int to) {
    auto& d = nodes_[from].down;
    if (std::find(d.begin(), d.end(), to) != d.end()) return;
    d.push_back(to);
    nodes_[to].up.push_back(from);
  }
  void expand(int n);
  std::string header(int n);
  std::string state(int n);
  std::vector<std::string> frames(int n);
  std::string sleep_text(int n);
  bool is_leaf_future(int n) const { return !nodes_[n].t && nodes_[n].down.empty(); }
  void down(int n, int bullet, int sec, std::string& out, std::vector<char>& on_path, std::vector<char>& shown);
  void up(int n, int bullet, int sec, std::string& out, std::vector<char>& on_path);
  void stack_lines(int n, int sec, std::string& out);

  lua_State* L_;
  CallGraphOptions o_;
  Loop* loop_;
  int anchor_;
  std::vector<Node> nodes_;
  std::unordered_map<const void*, int> index_;
};

// A waiting task awaits its UV_WAITER; a pending future labelled with
// children awaits each of them (keys or values of the table).
void Graph::expand(int n) {
  Node node = nodes_[n];  // a copy: node_of may grow nodes_
  if (node.t) {
    if (node.t->done() || node.t->waiting != Task::Wait::Future) return;
    push(n);
    lua_getiuservalue(L_, -1, UV_WAITER);
    if (to_future(L_, -1)) link(n, node_of(-1));
    lua_pop(L_, 2);
    return;
  }
  if (!node.f || node.f->done()) return;
  push(n);
  push_future_children(L_, -1);
  if (lua_istable(L_, -1)) {
    int tbl = lua_gettop(L_);
    lua_pushnil(L_);
    while (lua_next(L_, tbl)) {
      if (to_future(L_, -2))
        link(n, node_of(-2));
      else if (to_future(L_, -1))
        link(n, node_of(-1));
      lua_pop(L_, 1);
    }
  }
  lua_pop(L_, 2);
}

std::string Graph::state(int n) {
  const Node& node = nodes_[n];
  if (node.f->state == Future::Cancelled) return "cancelled";
  if (node.f->state == Future::Finished) return node.f->has_exception ? "failed" : "done";
  if (!node.t) return "pending";
  if (loop_ && loop_->current_task() == node.t) return "running";
  if (!node.t->started) return "not started";
  if (node.t->waiting == Task::Wait::None) return "ready";
  return "";  // waiting: the Awaiting line says on what
}

// * Task 'A' worker("A", 2) at demo.lua:3   /   * Future 'gather' (pending)
std::string Graph::header(int n) {
  const Node& node = nodes_[n];
  std::string s;
  push(n);
  int idx = lua_gettop(L_);
  if (node.t) {
    push_task_name(L_, idx);
    s = std::string("Task '") + lua_tostring(L_, -1) + "' ";
    lua_pop(L_, 1);
    lua_getiuservalue(L_, idx, UV_CORO);
    append_coro_call(L_, -1, s);
    if (to_coro(L_, -1)) {
      lua_getiuservalue(L_, -1, CORO_UV_FN);
      lua_Debug ar;
      lua_getinfo(L_, ">S", &ar);
      if (*ar.what != 'C') s += std::string(" at ") + ar.short_src + ":" + std::to_string(ar.linedefined);
    }
  } else {
    s = "Future";
    push_future_label(L_, idx);
    if (lua_isstring(L_, -1)) s += std::string(" '") + lua_tostring(L_, -1) + "'";
  }
  lua_settop(L_, idx - 1);
  std::string st = state(n);
  if (!st.empty()) s += " (" + st + ")";
  return s;
}

// The task's call stack, innermost frame first, cut to the limit.
std::vector<std::string> Graph::frames(int n) {
  std::vector<std::string> out;
  Task* t = nodes_[n].t;
  if (!t || !t->co || o_.limit == 0) return out;
  size_t keep = o_.limit == CallGraphOptions::kAll ? SIZE_MAX
                : o_.limit > 0                    ? static_cast<size_t>(o_.limit)
                                                  : static_cast<size_t>(-static_cast<long>(o_.limit));
  std::string all = stack_frames(t->co, 0, t);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    if (nl == std::string::npos) nl = all.size();
    std::string line = all.substr(pos, nl - pos);
    while (!line.empty() && line[0] == '\t') line.erase(0, 1);
    if (!line.empty()) out.push_back(line);
    pos = nl + 1;
  }
  if (out.size() > keep) {
    if (o_.limit > 0)
      out.resize(keep);  // the innermost frames
    else
      out.erase(out.begin(), out.end() - static_cast<long>(keep));  // the outermost
  }
  return out;
}

std::string Graph::sleep_text(int n) {
  Task* t = nodes_[n].t;
  char buf[96];
  double now = loop_ ? loop_->time() : 0;
  std::snprintf(buf, sizeof buf, "sleep until %.3f (%.3f s left)", t->wake_at, std::max(0.0, t->wake_at - now));
  return buf;
}

void Graph::stack_lines(int n, int sec, std::string& out) {
  auto fr = frames(n);
  if (fr.empty()) return;
  std::string pad(sec, ' ');
  out += pad + "+ Call stack:\n";
  for (auto& f : fr) out += pad + "|   " + f + "\n";
}

// A node and, below it, what it awaits down to the leaves.
void Graph::down(int n, int bullet, int sec, std::string& out, std::vector<char>& on_path,
                 std::vector<char>& shown) {
  std::string bpad(bullet, ' '), spad(sec, ' ');
  if (on_path[n]) {
    out += bpad + "* " + header(n) + " (awaited above: the await chain is a cycle, a deadlock)\n";
    return;
  }
  if (shown[n]) {
    out += bpad + "* " + header(n) + " (shown above)\n";
    return;
  }
  shown[n] = 1;
  on_path[n] = 1;
  out += bpad + "* " + header(n) + "\n";
  stack_lines(n, sec, out);
  const Node node = nodes_[n];
  if (node.t && !node.t->done() && node.t->waiting == Task::Wait::Timer) {
    out += spad + "+ Awaiting: " + sleep_text(n) + "\n";
  } else if (node.down.size() == 1 && is_leaf_future(node.down[0])) {
    out += spad + "+ Awaiting: " + header(node.down[0]) + "\n";
  } else if (!node.down.empty()) {
    out += spad + "+ Awaiting:\n";
    for (int c : node.down) down(c, sec + 3, sec + 6, out, on_path, shown);
  }
  on_path[n] = 0;
}

// A node and, below it, who awaits it up to the tasks nobody awaits.
void Graph::up(int n, int bullet, int sec, std::string& out, std::vector<char>& on_path) {
  std::string bpad(bullet, ' '), spad(sec, ' ');
  if (on_path[n]) {
    out += bpad + "* " + header(n) + " (cycle)\n";
    return;
  }
  on_path[n] = 1;
  out += bpad + "* " + header(n) + "\n";
  stack_lines(n, sec, out);
  const Node node = nodes_[n];
  if (!node.up.empty()) {
    out += spad + "+ Awaited by:\n";
    for (int p : node.up) up(p, sec + 3, sec + 6, out, on_path);
  }
  on_path[n] = 0;
}

std::string Graph::text_down(int root) {
  std::string out;
  std::vector<char> on_path(nodes_.size()), shown(nodes_.size());
  down(root, 0, 0, out, on_path, shown);
  const Node node = nodes_[root];
  if (!node.up.empty()) {
    out += "+ Awaited by:\n";
    std::fill(on_path.begin(), on_path.end(), 0);
    on_path[root] = 1;
    for (int p : node.up) up(p, 3, 6, out, on_path);
  }
  return out;
}

// Every task, from those nobody awaits down; tasks only reachable through a
// cycle come last.
std::string Graph::text_forest() {
  std::vector<int> tasks;
  for (size_t i = 0; i < nodes_.size(); i++)
    if (nodes_[i].t) tasks.push_back(static_cast<int>(i));
  std::sort(tasks.begin(), tasks.end(), [&](int a, int b) { return nodes_[a].t->number < nodes_[b].t->number; });
  std::string out;
  std::vector<char> on_path(nodes_.size()), shown(nodes_.size());
  for (int n : tasks)
    if (nodes_[n].up.empty()) down(n, 0, 0, out, on_path, shown);
  for (int n : tasks)
    if (!shown[n]) down(n, 0, 0, out, on_path, shown);
  return out;
}

// capture_call_graph's table for node n: {future, kind, name|label, coro,
// state, call_stack, awaiting | awaited_by, sleep_until}.
void Graph::push_capture(int n, bool down_dir, std::vector<char>& on_path) {
  const Node node = nodes_[n];
  lua_createtable(L_, 0, 8);
  int tbl = lua_gettop(L_);
  push(n);
  lua_setfield(L_, tbl, "future");
  lua_pushstring(L_, node.t ? "task" : "future");
  lua_setfield(L_, tbl, "kind");
  std::string st = state(n);
  lua_pushstring(L_, st.empty() ? "waiting" : st.c_str());
  lua_setfield(L_, tbl, "state");
  push(n);
  if (node.t) {
    push_task_name(L_, -1);
    lua_setfield(L_, tbl, "name");
    lua_getiuservalue(L_, -1, UV_CORO);
    std::string call;
    append_coro_call(L_, -1, call);
    lua_pop(L_, 1);
    lua_pushstring(L_, call.c_str());
    lua_setfield(L_, tbl, "coro");
  } else {
    push_future_label(L_, -1);
    lua_setfield(L_, tbl, "label");
  }
  lua_pop(L_, 1);
  auto fr = frames(n);
  lua_createtable(L_, static_cast<int>(fr.size()), 0);
  for (size_t i = 0; i < fr.size(); i++) {
    push_frame_table(L_, fr[i].data(), fr[i].size());
    lua_rawseti(L_, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L_, tbl, "call_stack");
  on_path[n] = 1;
  const std::vector<int>& next = down_dir ? node.down : node.up;
  lua_createtable(L_, static_cast<int>(next.size()), 0);
  lua_Integer k = 0;
  for (int m : next) {
    if (on_path[m]) continue;
    push_capture(m, down_dir, on_path);
    lua_rawseti(L_, -2, ++k);
  }
  lua_setfield(L_, tbl, down_dir ? "awaiting" : "awaited_by");
  on_path[n] = 0;
  if (node.t && !node.t->done() && node.t->waiting == Task::Wait::Timer) {
    lua_pushnumber(L_, node.t->wake_at);
    lua_setfield(L_, tbl, "sleep_until");
  }
}

// The Task/Future argument at 1 (nil or none: the current task; 0 when
// there is none, or with the option `all`: every task) and the options at 2.
static int target_and_options(lua_State* L, CallGraphOptions* o, const char* fname) {
  static const char* const printing[] = {"all", "limit", "file", nullptr};
  static const char* const other[] = {"all", "limit", nullptr};
  bool all = false;
  if (check_options(L, 2, fname, std::strcmp(fname, "print_call_graph") == 0 ? printing : other, 2)) {
    all = lua_getfield(L, 2, "all") != LUA_TNIL && lua_toboolean(L, -1);
    lua_pop(L, 1);
    int t = lua_getfield(L, 2, "limit");
    if (t == LUA_TNUMBER)
      o->limit = static_cast<int>(std::clamp<lua_Integer>(luaL_checkinteger(L, -1), -100000, 100000));
    else if (t != LUA_TNIL)
      luaL_error(L, "bad option 'limit' (integer expected, got %s)", luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  if (!lua_isnoneornil(L, 1)) {
    check_future(L, 1);
    return 1;
  }
  Loop* loop = runtime(L)->loop;
  if (all) return 0;
  if (!loop || !loop->current_task()) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, loop->current_task()->self_ref);
  lua_replace(L, 1);
  return 1;
}

int l_format_call_graph(lua_State* L) {
  lua_settop(L, 2);
  CallGraphOptions o;
  int idx = target_and_options(L, &o, "format_call_graph");
  std::string s = format_call_graph(L, idx, o);
  lua_pushlstring(L, s.data(), s.size());
  return 1;
}

// Writes with io.write (so io.output() redirection applies), or opts.file:write.
int l_print_call_graph(lua_State* L) {
  lua_settop(L, 2);
  CallGraphOptions o;
  int idx = target_and_options(L, &o, "print_call_graph");
  std::string s = format_call_graph(L, idx, o);
  if (lua_istable(L, 2) && lua_getfield(L, 2, "file") != LUA_TNIL) {
    lua_getfield(L, -1, "write");
    lua_insert(L, -2);
    lua_pushlstring(L, s.data(), s.size());
    lua_call(L, 2, 0);
    return 0;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "io") == LUA_TTABLE && lua_getfield(L, -1, "write") == LUA_TFUNCTION) {
    lua_pushlstring(L, s.data(), s.size());
    lua_call(L, 1, 0);
  } else {
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  return 0;
}

int l_capture_call_graph(lua_State* L) {
  lua_settop(L, 2);
  CallGraphOptions o;
  if (!target_and_options(L, &o, "capture_call_graph")) return 0;
  Graph g(L, o);  // pushes its anchor (3)
  g.build();
  int root = g.node_of(1);
  g.expand_from(root);
  std::vector<char> on_path(g.size());
  g.push_capture(root, true, on_path);
  // Python's FutureCallGraph goes up: who awaits the future.
  g.push_capture(root, false, on_path);
  lua_getfield(L, -1, "awaited_by");
  lua_setfield(L, -3, "awaited_by");
  lua_pop(L, 1);
  return 1;
}

}  // namespace

std::string format_call_graph(lua_State* L, int idx, const CallGraphOptions& opts) {
  int top = lua_gettop(L);
  if (idx) idx = lua_absindex(L, idx);
  if (!idx && !runtime(L)->loop) return "";
  std::string out;
  {
    Graph g(L, opts);
    g.build();
    if (idx) {
      int root = g.node_of(idx);
      g.expand_from(root);
      out = g.text_down(root);
    } else {
      out = g.text_forest();
      if (out.empty()) out = "(no tasks)\n";
    }
  }
  lua_settop(L, top);
  return out;
}

void open_call_graph(lua_State* L) {
  static const Reg fns[] = {
      {"print_call_graph", fn<l_print_call_graph>},
      {"format_call_graph", fn<l_format_call_graph>},
      {"capture_call_graph", fn<l_capture_call_graph>},
      {nullptr, nullptr},
  };
  set_funcs(L, fns, 0);
}

}  // namespace luasync
