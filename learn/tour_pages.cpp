// tour_pages.cpp: the JSON and HTML `luasync tour` gives the page (tour.h).
#include <cmark.h>

#include <cstdlib>
#include <string>

#include "cli.h"
#include "recorder.h"
#include "tour.h"

namespace luasync::learn::tour {

namespace {

std::string str(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

const char* boolean(bool b) { return b ? "true" : "false"; }

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// "  code\n" and "code" are the same example.
std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool is_done(Workspace* ws, const std::string& name) { return ws && ws->progress().done.count(name) > 0; }

std::string exercise_summary(const Exercise& e, Workspace* ws, const Exercise* current) {
  return "{\"name\":" + str(e.name) + ",\"title\":" + str(e.title) + ",\"path\":" + str(e.workspace_path()) +
         ",\"done\":" + boolean(is_done(ws, e.name)) + ",\"current\":" + boolean(&e == current) + "}";
}

}  // namespace

std::string progress_json(const Catalog& cat, Workspace* ws) {
  if (!ws) return "null";
  const Progress& p = ws->progress();
  size_t done = 0;
  std::string list;
  for (const auto& e : cat.exercises) {
    if (!p.done.count(e.name)) continue;
    done++;
    list += (list.empty() ? "" : ",") + str(e.name);
  }
  std::string hints;
  for (const auto& [name, n] : p.hints_shown) hints += (hints.empty() ? "" : ",") + str(name) + ":" + std::to_string(n);
  return "{\"current\":" + str(p.current) + ",\"done\":[" + list + "],\"hints\":{" + hints +
         "},\"done_count\":" + std::to_string(done) + ",\"total\":" + std::to_string(cat.exercises.size()) + "}";
}

std::string catalog_json(const Catalog& cat, Workspace* ws) {
  Exercise* current = ws ? ws->current(const_cast<Catalog&>(cat)) : nullptr;
  std::string out = "{\"origin\":" + str(cat.origin) + ",\"workspace\":" + (ws ? str(ws->root()) : "null") +
                    ",\"lessons\":[";
  for (size_t i = 0; i < cat.lessons.size(); i++) {
    const Lesson& l = cat.lessons[i];
    out += i ? "," : "";
    out += "{\"dir\":" + str(l.dir) + ",\"number\":" + std::to_string(i + 1) + ",\"title\":" + str(l.title) +
           ",\"summary\":" + str(l.summary) + ",\"exercises\":[";
    for (size_t k = 0; k < l.exercises.size(); k++)
      out += (k ? "," : "") + exercise_summary(cat.exercises[l.exercises[k]], ws, current);
    out += "],\"examples\":[";
    for (size_t k = 0; k < l.examples.size(); k++) out += (k ? "," : "") + str(l.examples[k].name);
    out += "]}";
  }
  out += "],\"progress\":" + progress_json(cat, ws) + "}";
  return out;
}

std::string lesson_html(const Lesson& lesson) {
  cmark_node* doc = cmark_parse_document(lesson.text.data(), lesson.text.size(), CMARK_OPT_DEFAULT);
  if (!doc) return "";
  // A code block whose text is an example's file becomes a runnable example.
  cmark_iter* it = cmark_iter_new(doc);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
    cmark_node* n = cmark_iter_get_node(it);
    if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK) continue;
    const char* lit = cmark_node_get_literal(n);
    std::string code = trimmed(lit ? lit : "");
    const char* info = cmark_node_get_fence_info(n);
    std::string lang = info ? info : "";
    std::string mark = lang.empty() || lang == "lua" ? "lua" : lang;
    for (const auto& e : lesson.examples)
      if (trimmed(e.code) == code) mark = "luasync-example-" + e.name;
    cmark_node_set_fence_info(n, mark.c_str());
  }
  cmark_iter_free(it);
  // Safe: raw HTML in the Markdown is left out (CMARK_OPT_UNSAFE is not given).
  char* html = cmark_render_html(doc, CMARK_OPT_DEFAULT);
  std::string out = html ? html : "";
  std::free(html);
  cmark_node_free(doc);
  return out;
}

std::string lesson_json(const Catalog& cat, const std::string& key, Workspace* ws) {
  const Lesson* l = cat.find_lesson(key);
  if (!l) return "";
  size_t index = static_cast<size_t>(l - cat.lessons.data());
  Exercise* current = ws ? ws->current(const_cast<Catalog&>(cat)) : nullptr;
  std::string out = "{\"dir\":" + str(l->dir) + ",\"number\":" + std::to_string(index + 1) + ",\"title\":" +
                    str(l->title) + ",\"summary\":" + str(l->summary) + ",\"html\":" + str(lesson_html(*l)) +
                    ",\"previous\":" + (index > 0 ? str(cat.lessons[index - 1].dir) : "null") + ",\"next\":" +
                    (index + 1 < cat.lessons.size() ? str(cat.lessons[index + 1].dir) : "null") + ",\"exercises\":[";
  for (size_t k = 0; k < l->exercises.size(); k++)
    out += (k ? "," : "") + exercise_summary(cat.exercises[l->exercises[k]], ws, current);
  out += "],\"examples\":[";
  for (size_t k = 0; k < l->examples.size(); k++) out += (k ? "," : "") + str(l->examples[k].name);
  out += "]}";
  return out;
}

std::string exercise_json(const Catalog& cat, const Exercise& ex, Workspace* ws) {
  std::string source, problem;
  if (!ws) {
    source = ex.starter;
  } else {
    read_learner_file(ws->path_of(ex), ex.workspace_path(), &source, &problem);
  }
  int seen = ws ? ws->progress().hints(ex.name) : 0;
  std::string hints;
  for (int i = 0; i < seen && i < static_cast<int>(ex.hints.size()); i++)
    hints += (hints.empty() ? "" : ",") + str(ex.hints[static_cast<size_t>(i)]);
  std::string checks;
  for (const auto& c : ex.checks)
    checks += (checks.empty() ? "" : ",") + std::string("{\"name\":") + str(c.name) + ",\"points\":" + number(c.points) + "}";
  const Lesson& l = cat.lessons[ex.lesson];
  return "{\"name\":" + str(ex.name) + ",\"title\":" + str(ex.title) + ",\"lesson\":" + str(l.dir) +
         ",\"lesson_title\":" + str(l.title) + ",\"path\":" + str(ex.workspace_path()) +
         ",\"file\":" + (ws ? str(ws->path_of(ex)) : "null") + ",\"source\":" + str(source) +
         ",\"problem\":" + str(problem) + ",\"done\":" + boolean(is_done(ws, ex.name)) + ",\"hints_seen\":[" + hints +
         "],\"hints_total\":" + std::to_string(ex.hints.size()) + ",\"checks\":[" + checks + "],\"grants\":{\"http\":" +
         boolean(ex.grants.http) + ",\"fs\":" + boolean(ex.grants.fs) + ",\"subprocess\":" +
         boolean(ex.grants.subprocess) + "}}";
}

std::string check_json(const ExerciseResult& r, const Catalog& cat, Workspace* ws) {
  std::string checks;
  for (const auto& c : r.checks) {
    const char* st = c.status == CheckResult::Pass ? "pass" : c.status == CheckResult::Fail ? "fail" : "not run";
    checks += (checks.empty() ? "" : ",") + std::string("{\"name\":") + str(c.name) + ",\"points\":" +
              number(c.points) + ",\"status\":\"" + st + "\",\"message\":" + str(c.message) +
              ",\"line\":" + std::to_string(c.line) + ",\"limit\":" + str(c.limit) + "}";
  }
  Term plain;  // what the terminal prints, without colours
  return "{\"exercise\":" + str(r.ex->name) + ",\"file\":" + str(r.file) + ",\"passed\":" + boolean(r.passed()) +
         ",\"problem\":" + str(r.problem) + ",\"failed\":" + std::to_string(r.failed_count()) + ",\"total\":" +
         std::to_string(r.checks.size()) + ",\"earned\":" + number(r.earned()) + ",\"max\":" +
         number(r.max_points()) + ",\"seconds\":" + number(r.seconds) + ",\"checks\":[" + checks +
         "],\"text\":" + str(format_result(r, plain, true)) + ",\"progress\":" + progress_json(cat, ws) + "}";
}

std::string run_json(const ExerciseResult& r) {
  const RunReport& run = r.run;
  return "{\"file\":" + str(r.file) + ",\"problem\":" + str(r.problem) + ",\"finished\":" + boolean(run.finished) +
         ",\"time\":" + str(run.time) + ",\"tasks\":" + str(run.tasks) + ",\"values\":" + str(run.values) +
         ",\"error\":" + str(run.error) + ",\"warnings\":" + str(run.warnings) + ",\"line\":" +
         std::to_string(run.line) + ",\"seconds\":" + number(r.seconds) + "}";
}

}  // namespace luasync::learn::tour
