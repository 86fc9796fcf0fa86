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
#include "scope.h"
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
// Its Lua values are kept in an anchor table (at `anchor`). The graph itself
// lives in a to-be-closed userdata (push_graph), and so do the text and the
// scratch space it builds: a Lua error raised while it works (a __tostring,
// a label's metamethod, out of memory) skips no C++ destructor.
class Graph {
 public:
  Graph(lua_State* L, const CallGraphOptions& o, int anchor) : L_(L), o_(o), loop_(runtime(L)->loop), anchor_(anchor) {}

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

  // The text (format_call_graph) is built in text().
  void text_down(int root);
  void text_forest();
  const std::string& text() const { return out_; }
  // Marks for a walk (push_capture's on_path).
  void reset_marks() {
    on_path_.assign(nodes_.size(), 0);
    shown_.assign(nodes_.size(), 0);
  }
  void push_capture(int n, bool down);

 private:
  void push(int n) { lua_rawgeti(L_, anchor_, nodes_[n].slot); }
  void link(int from, int to) {
    auto& d = nodes_[from].down;
    if (std::find(d.begin(), d.end(), to) != d.end()) return;
    d.push_back(to);
    nodes_[to].up.push_back(from);
  }
  void expand(int n);
  void header(int n);
  const char* state(int n);
  void frames(int n);
  void sleep_text(int n);
  bool is_leaf_future(int n) const { return !nodes_[n].t && nodes_[n].down.empty(); }
  void down(int n, int bullet, int sec);
  void up(int n, int bullet, int sec);
  void stack_lines(int n, int sec);

  lua_State* L_;
  CallGraphOptions o_;
  Loop* loop_;
  int anchor_;
  std::vector<Node> nodes_;
  std::unordered_map<const void*, int> index_;
  std::string out_;                  // the text
  std::vector<std::string> frames_;  // frames(): one task's call stack
  std::string scratch_;
  std::vector<char> on_path_, shown_;
  std::vector<int> tasks_;
};

// Pushes a new graph's anchor table and the graph, to-be-closed, above it.
Graph& push_graph(lua_State* L, const CallGraphOptions& o) {
  lua_newtable(L);
  int anchor = lua_gettop(L);
  return *push_scoped<Graph>(L, L, o, anchor);
}

// A waiting task awaits its UV_WAITER; a pending future labelled with
// children awaits each of them (keys or values of the table).
void Graph::expand(int n) {
  // No reference into nodes_: node_of may grow it.
  Future* f = nodes_[n].f;
  Task* t = nodes_[n].t;
  if (t) {
    if (t->done() || t->waiting != Task::Wait::Future) return;
    push(n);
    lua_getiuservalue(L_, -1, UV_WAITER);
    if (to_future(L_, -1)) link(n, node_of(-1));
    lua_pop(L_, 2);
    return;
  }
  if (!f || f->done()) return;
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

const char* Graph::state(int n) {
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
// Appended to the text.
void Graph::header(int n) {
  const Node& node = nodes_[n];
  std::string& s = out_;
  push(n);
  int idx = lua_gettop(L_);
  if (node.t) {
    push_task_name(L_, idx);
    s += "Task '";
    s += lua_tostring(L_, -1);
    s += "' ";
    lua_pop(L_, 1);
    lua_getiuservalue(L_, idx, UV_CORO);
    append_coro_call(L_, -1, s);
    if (to_coro(L_, -1)) {
      lua_getiuservalue(L_, -1, CORO_UV_FN);
      lua_Debug ar;
      lua_getinfo(L_, ">S", &ar);
      if (*ar.what != 'C') {
        char line[32];
        std::snprintf(line, sizeof line, ":%d", ar.linedefined);
        s += " at ";
        s += ar.short_src;
        s += line;
      }
    }
  } else {
    s += "Future";
    push_future_label(L_, idx);
    if (lua_isstring(L_, -1)) {
      s += " '";
      s += lua_tostring(L_, -1);
      s += "'";
    }
  }
  lua_settop(L_, idx - 1);
  const char* st = state(n);
  if (*st) {
    s += " (";
    s += st;
    s += ")";
  }
}

// The task's call stack, innermost frame first, cut to the limit (in frames_).
void Graph::frames(int n) {
  std::vector<std::string>& out = frames_;
  out.clear();
  Task* t = nodes_[n].t;
  if (!t || !t->co || o_.limit == 0) return;
  size_t keep = o_.limit == CallGraphOptions::kAll ? SIZE_MAX
                : o_.limit > 0                    ? static_cast<size_t>(o_.limit)
                                                  : static_cast<size_t>(-static_cast<long>(o_.limit));
  scratch_ = stack_frames(t->co, 0, t);
  const std::string& all = scratch_;
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
}

void Graph::sleep_text(int n) {
  Task* t = nodes_[n].t;
  char buf[96];
  double now = loop_ ? loop_->time() : 0;
  std::snprintf(buf, sizeof buf, "sleep until %.3f (%.3f s left)", t->wake_at, std::max(0.0, t->wake_at - now));
  out_ += buf;
}

void Graph::stack_lines(int n, int sec) {
  frames(n);
  if (frames_.empty()) return;
  out_.append(sec, ' ');
  out_ += "+ Call stack:\n";
  for (auto& f : frames_) {
    out_.append(sec, ' ');
    out_ += "|   ";
    out_ += f;
    out_ += '\n';
  }
}

// A node and, below it, what it awaits down to the leaves. (nodes_ does
// not change while the text is written: references into it stay valid.)
void Graph::down(int n, int bullet, int sec) {
  out_.append(bullet, ' ');
  out_ += "* ";
  header(n);
  if (on_path_[n]) {
    out_ += " (awaited above: the await chain is a cycle, a deadlock)\n";
    return;
  }
  if (shown_[n]) {
    out_ += " (shown above)\n";
    return;
  }
  out_ += '\n';
  shown_[n] = 1;
  on_path_[n] = 1;
  stack_lines(n, sec);
  const Node& node = nodes_[n];
  if (node.t && !node.t->done() && node.t->waiting == Task::Wait::Timer) {
    out_.append(sec, ' ');
    out_ += "+ Awaiting: ";
    sleep_text(n);
    out_ += '\n';
  } else if (node.down.size() == 1 && is_leaf_future(node.down[0])) {
    out_.append(sec, ' ');
    out_ += "+ Awaiting: ";
    header(node.down[0]);
    out_ += '\n';
  } else if (!node.down.empty()) {
    out_.append(sec, ' ');
    out_ += "+ Awaiting:\n";
    for (int c : node.down) down(c, sec + 3, sec + 6);
  }
  on_path_[n] = 0;
}

// A node and, below it, who awaits it up to the tasks nobody awaits.
void Graph::up(int n, int bullet, int sec) {
  out_.append(bullet, ' ');
  out_ += "* ";
  header(n);
  if (on_path_[n]) {
    out_ += " (cycle)\n";
    return;
  }
  out_ += '\n';
  on_path_[n] = 1;
  stack_lines(n, sec);
  const Node& node = nodes_[n];
  if (!node.up.empty()) {
    out_.append(sec, ' ');
    out_ += "+ Awaited by:\n";
    for (int p : node.up) up(p, sec + 3, sec + 6);
  }
  on_path_[n] = 0;
}

void Graph::text_down(int root) {
  out_.clear();
  reset_marks();
  down(root, 0, 0);
  const Node& node = nodes_[root];
  if (!node.up.empty()) {
    out_ += "+ Awaited by:\n";
    std::fill(on_path_.begin(), on_path_.end(), 0);
    on_path_[root] = 1;
    for (int p : node.up) up(p, 3, 6);
  }
}

// Every task, from those nobody awaits down; tasks only reachable through a
// cycle come last.
void Graph::text_forest() {
  tasks_.clear();
  for (size_t i = 0; i < nodes_.size(); i++)
    if (nodes_[i].t) tasks_.push_back(static_cast<int>(i));
  std::sort(tasks_.begin(), tasks_.end(), [&](int a, int b) { return nodes_[a].t->number < nodes_[b].t->number; });
  out_.clear();
  reset_marks();
  for (int n : tasks_)
    if (nodes_[n].up.empty()) down(n, 0, 0);
  for (int n : tasks_)
    if (!shown_[n]) down(n, 0, 0);
}

// capture_call_graph's table for node n: {future, kind, name|label, coro,
// state, call_stack, awaiting | awaited_by, sleep_until}.
void Graph::push_capture(int n, bool down_dir) {
  // References into nodes_ stay valid: it does not grow here.
  const Node& node = nodes_[n];
  lua_createtable(L_, 0, 8);
  int tbl = lua_gettop(L_);
  push(n);
  lua_setfield(L_, tbl, "future");
  lua_pushstring(L_, node.t ? "task" : "future");
  lua_setfield(L_, tbl, "kind");
  const char* st = state(n);
  lua_pushstring(L_, *st ? st : "waiting");
  lua_setfield(L_, tbl, "state");
  push(n);
  if (node.t) {
    push_task_name(L_, -1);
    lua_setfield(L_, tbl, "name");
    lua_getiuservalue(L_, -1, UV_CORO);
    scratch_.clear();
    append_coro_call(L_, -1, scratch_);
    lua_pop(L_, 1);
    lua_pushlstring(L_, scratch_.data(), scratch_.size());
    lua_setfield(L_, tbl, "coro");
  } else {
    push_future_label(L_, -1);
    lua_setfield(L_, tbl, "label");
  }
  lua_pop(L_, 1);
  frames(n);
  lua_createtable(L_, static_cast<int>(frames_.size()), 0);
  for (size_t i = 0; i < frames_.size(); i++) {
    push_frame_table(L_, frames_[i].data(), frames_[i].size());
    lua_rawseti(L_, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L_, tbl, "call_stack");
  on_path_[n] = 1;
  const std::vector<int>& next = down_dir ? node.down : node.up;
  lua_createtable(L_, static_cast<int>(next.size()), 0);
  lua_Integer k = 0;
  for (int m : next) {
    if (on_path_[m]) continue;
    push_capture(m, down_dir);
    lua_rawseti(L_, -2, ++k);
  }
  lua_setfield(L_, tbl, down_dir ? "awaiting" : "awaited_by");
  on_path_[n] = 0;
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
  push_call_graph(L, idx, o);
  return 1;
}

// Writes with io.write (so io.output() redirection applies), or opts.file:write.
int l_print_call_graph(lua_State* L) {
  lua_settop(L, 2);
  CallGraphOptions o;
  int idx = target_and_options(L, &o, "print_call_graph");
  push_call_graph(L, idx, o);  // 3
  if (lua_istable(L, 2) && lua_getfield(L, 2, "file") != LUA_TNIL) {
    lua_getfield(L, -1, "write");
    lua_insert(L, -2);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 0);
    return 0;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "io") == LUA_TTABLE && lua_getfield(L, -1, "write") == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    lua_call(L, 1, 0);
  } else {
    size_t len;
    const char* s = lua_tolstring(L, 3, &len);
    std::fwrite(s, 1, len, stdout);
  }
  return 0;
}

int l_capture_call_graph(lua_State* L) {
  lua_settop(L, 2);
  CallGraphOptions o;
  if (!target_and_options(L, &o, "capture_call_graph")) return 0;
  Graph& g = push_graph(L, o);  // its anchor (3) and itself (4)
  g.build();
  int root = g.node_of(1);
  g.expand_from(root);
  g.reset_marks();
  g.push_capture(root, true);
  // Python's FutureCallGraph goes up: who awaits the future.
  g.push_capture(root, false);
  lua_getfield(L, -1, "awaited_by");
  lua_setfield(L, -3, "awaited_by");
  lua_pop(L, 1);
  return 1;
}

}  // namespace

void push_call_graph(lua_State* L, int idx, const CallGraphOptions& opts) {
  int top = lua_gettop(L);
  if (idx) idx = lua_absindex(L, idx);
  if (!idx && !runtime(L)->loop) {
    lua_pushliteral(L, "");
    return;
  }
  Graph& g = push_graph(L, opts);  // top + 1, top + 2
  g.build();
  if (idx) {
    int root = g.node_of(idx);
    g.expand_from(root);
    g.text_down(root);
  } else {
    g.text_forest();
  }
  if (g.text().empty() && !idx)
    lua_pushliteral(L, "(no tasks)\n");
  else
    lua_pushlstring(L, g.text().data(), g.text().size());
  lua_replace(L, top + 1);
  lua_settop(L, top + 1);  // closes the graph
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
