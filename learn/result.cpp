// result.cpp: see result.h.
#include "result.h"

#include <cstdlib>
#include <set>
#include <sstream>

namespace luasync::learn {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

// The learner's printed text under a heading, each line marked, at most
// max_lines of it.
std::string output_block(const std::string& heading, const std::string& text, size_t dropped, size_t max_lines,
                         const std::string& more, const Term& t) {
  std::string body = readable(text);
  std::string out = "      " + t.dim(heading) + "\n";
  std::istringstream in(body);
  std::string line;
  size_t n = 0, total = 0;
  while (std::getline(in, line)) {
    total++;
    if (n < max_lines) {
      out += "      " + t.dim("│ ") + line + "\n";
      n++;
    }
  }
  if (total > n || dropped > 0) {
    std::string rest = total > n ? plural(total - n, "more line", "more lines") : "";
    if (dropped > 0) rest += (rest.empty() ? "" : ", and ") + std::to_string(dropped) + " more bytes";
    out += "      " + t.dim("│ ... (" + rest + (more.empty() ? "" : "; " + more) + ")") + "\n";
  }
  return out;
}

// The diagnostics of one check; those already shown under an earlier check
// of the same result (most come from the same code) are only counted.
std::string diagnostics_block(const std::vector<Diagnostic>& ds, const std::string& file,
                              std::set<std::string>* shown, const Term& t) {
  if (ds.empty()) return "";
  std::string lines;
  size_t repeated = 0;
  for (const auto& d : ds) {
    if (!shown->insert(d.kind + "\n" + std::to_string(d.line) + "\n" + d.message).second) {
      repeated++;
      continue;
    }
    std::string where = d.line > 0 ? t.cyan(file + ":" + std::to_string(d.line)) + ": " : "";
    lines += "        " + t.yellow("!") + " " + where + readable(d.message) + "\n";
  }
  if (lines.empty())
    return "      " + t.dim("luasync noticed the same " + plural(repeated, "problem", "problems") + " as above") + "\n";
  std::string out = "      " + t.yellow("luasync noticed:") + "\n" + lines;
  if (repeated) out += "        " + t.dim("(and " + std::to_string(repeated) + " more, as above)") + "\n";
  return out;
}

std::string observed_block(const Observed& o, const std::string& file, bool show_output, size_t max_lines,
                           const std::string& name, std::set<std::string>* shown, const Term& t) {
  std::string out;
  std::string more = "`luasync learn run " + name + "` shows a whole run";
  if (show_output && !o.output.empty())
    out += output_block("your output:", o.output, o.output_dropped, max_lines, more, t);
  if (!o.debug_output.empty())
    out += output_block("your debug output (stderr, never checked):", o.debug_output, o.debug_dropped, max_lines,
                        "", t);
  out += diagnostics_block(o.diagnostics, file, shown, t);
  return out;
}

}  // namespace

std::string format_result(const ExerciseResult& r, const Term& term, bool verbose) {
  std::string out;
  const std::string& name = r.ex->name;
  if (!r.problem.empty()) {
    out += term.red(term.color ? "✗ " : "FAIL ") + term.bold(name) + ": " + readable(r.problem) + "\n";
    if (r.problem.find("does not exist") != std::string::npos)
      out += "  Run `luasync learn reset " + name + "` to get the starter file back.\n";
    return out;
  }
  size_t failed = r.failed_count(), total = r.checks.size();
  if (failed == 0) {
    out += term.green(term.color ? "✓ " : "PASS ") + term.bold(name) + ": all " + plural(total, "check", "checks") +
           " pass\n";
  } else {
    out += term.red(term.color ? "✗ " : "FAIL ") + term.bold(name) + ": " + std::to_string(failed) + " of " +
           plural(total, "check", "checks") + " failed (" + r.file + ")\n";
  }
  size_t max_lines = verbose ? 200 : 20;
  std::set<std::string> shown;
  for (const auto& c : r.checks) {
    if (c.status == CheckResult::Pass) {
      // Diagnostics show on every check, a passing one too.
      bool notes = !c.seen.diagnostics.empty() || !c.seen.debug_output.empty();
      if (verbose || failed > 0 || notes) out += "  " + term.green(term.color ? "✓" : "ok  ") + " " + c.name + "\n";
      if (verbose || notes) out += observed_block(c.seen, r.file, verbose, max_lines, name, &shown, term);
      continue;
    }
    if (c.status == CheckResult::NotRun) {
      out += "  " + term.dim(term.color ? "·" : "--  ") + " " + c.name + term.dim(" (not run)") + "\n";
      continue;
    }
    out += "  " + term.red(term.color ? "✗" : "FAIL") + " " + term.bold(c.name) + "\n";
    out += indent(readable(c.message), "      ");
    if (c.line > 0) out += "      " + term.dim("at ") + term.cyan(r.file + ":" + std::to_string(c.line)) + "\n";
    // A limit stopped the check: what it printed was not reported. A
    // diagnostic that is the failure's message is not said twice.
    if (c.limit.empty()) {
      Observed seen = c.seen;
      std::erase_if(seen.diagnostics,
                    [&](const Diagnostic& d) { return c.message.find(d.message) != std::string::npos; });
      out += observed_block(seen, r.file, true, max_lines, name, &shown, term);
    }
  }
  if (failed > 0) out += "  Stuck? `luasync learn hint " + name + "` gives a hint.\n";
  return out;
}

std::string format_run(const ExerciseResult& r, const Term& t) {
  std::string out;
  if (!r.problem.empty()) return t.red(readable(r.problem)) + "\n";
  const RunReport& run = r.run;
  if (!run.call.empty())
    out += t.dim("-- running " + run.call + " on the virtual clock (" + r.file + ")") + "\n";
  std::string printed = readable(run.output);
  out += printed;
  if (!printed.empty() && printed.back() != '\n') out += "\n";
  if (!run.seen.debug_output.empty()) {
    out += t.dim("-- debug output (stderr):") + "\n" + readable(run.seen.debug_output);
    if (out.back() != '\n') out += "\n";
  }
  if (!run.error.empty()) {
    out += t.red(readable(run.error)) + "\n";
    if (run.line > 0) out += t.cyan("at " + r.file + ":" + std::to_string(run.line)) + "\n";
  }
  for (const auto& d : run.seen.diagnostics) {
    std::string where = d.line > 0 ? t.cyan(r.file + ":" + std::to_string(d.line)) + ": " : "";
    out += t.yellow("! ") + where + readable(d.message) + "\n";
  }
  if (!run.time.empty()) {
    std::string summary = (run.error.empty() ? "finished" : "stopped") + std::string(" at ") + run.time +
                          " virtual seconds, " +
                          plural(static_cast<size_t>(std::atol(run.tasks.c_str())), "task", "tasks") + " created";
    if (!run.values.empty()) summary += "; returned " + readable(run.values, false);
    out += t.dim("-- " + summary) + "\n";
  }
  // A timeline of a run that took no time with one task shows nothing.
  if (!run.timeline.empty() && (std::atof(run.time.c_str()) > 0 || std::atol(run.tasks.c_str()) > 0)) {
    out += "\n" + run.timeline;
    if (out.back() != '\n') out += "\n";
  }
  return out;
}

}  // namespace luasync::learn
