// grade_report.cpp: the report formats of `luasync grade` (docs/grading.md
// has each schema) and reading a JSON report back (`luasync grade merge`).
//
// Every string that reaches a report went through normalize_message (or,
// for a submission's name, escape_name) or is repaired here, so a report is
// valid UTF-8 with no control characters but newline and tab, whatever the
// learner's code printed or raised (escape.h); JSON and XML escaping come
// on top, as a second line of defence.
#include <jansson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "escape.h"
#include "grade.h"
#include "render.h"

namespace luasync::learn {

// ---------------------------------------------------------------- model

double GradedExercise::score() const {
  double p = 0;
  for (const auto& c : checks)
    if (c.passed) p += c.points;
  return p;
}

double GradedExercise::max_score() const {
  double p = 0;
  for (const auto& c : checks) p += c.points;
  return p;
}

bool GradedExercise::passed() const {
  if (missing || !reason.empty() || checks.empty()) return false;
  for (const auto& c : checks)
    if (!c.passed) return false;
  return true;
}

const char* GradedExercise::status() const { return missing ? "missing" : passed() ? "passed" : "failed"; }

double GradedSubmission::score() const {
  double p = 0;
  for (const auto& e : exercises) p += e.score();
  return p;
}

double GradedSubmission::max_score() const {
  double p = 0;
  for (const auto& e : exercises) p += e.max_score();
  return p;
}

size_t GradedSubmission::passed_count() const {
  size_t n = 0;
  for (const auto& e : exercises) n += e.passed();
  return n;
}

// ---------------------------------------------------------------- text

namespace {

// s with every invalid UTF-8 sequence replaced by U+FFFD.
std::string repair_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    uint32_t cp = len == 1 ? c : len ? (c & (0x7F >> len)) : 0;
    for (size_t k = 1; ok && k < len; k++) {
      auto d = static_cast<unsigned char>(s[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (ok && len > 1) {
      static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i++;
    }
  }
  return out;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' || c == '-';
}

// Longest message kept in a report (a check message is a few lines; a
// learner's error can be megabytes).
constexpr size_t kMaxMessage = 4096;

}  // namespace

std::string normalize_message(const std::string& msg) {
  std::string s;
  s.reserve(msg.size());
  // Addresses ("table: 0x55d0c4a1b2c0") change from run to run.
  for (size_t i = 0; i < msg.size(); i++) {
    if (msg[i] == '0' && i + 1 < msg.size() && msg[i + 1] == 'x' &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(msg[i - 1])))) {
      size_t j = i + 2;
      while (j < msg.size() && is_hex(msg[j])) j++;
      if (j - i - 2 >= 6 && (j == msg.size() || !std::isalnum(static_cast<unsigned char>(msg[j])))) {
        s += "0x…";
        i = j - 1;
        continue;
      }
    }
    s += msg[i];
  }
  // The fs grant's private directory (mkdtemp: TMPDIR/luasync-learn-XXXXXX).
  for (size_t at; (at = s.find("/luasync-learn-")) != std::string::npos;) {
    size_t start = at;
    while (start > 0 && is_path_char(s[start - 1])) start--;
    size_t end = at + std::strlen("/luasync-learn-");
    while (end < s.size() && std::isalnum(static_cast<unsigned char>(s[end]))) end++;
    s.replace(start, end - start, "WORKDIR");
  }
  // Ports of loopback servers (the checks' test servers bind port 0: the
  // kernel picks a different one every run).
  for (const char* host : {"127.0.0.1:", "localhost:", "[::1]:", "127.0.0.1 port "}) {
    size_t hl = std::strlen(host);
    for (size_t at = 0; (at = s.find(host, at)) != std::string::npos;) {
      size_t d = at + hl, e = d;
      while (e < s.size() && std::isdigit(static_cast<unsigned char>(s[e]))) e++;
      if (e > d) s.replace(d, e - d, "PORT");
      at = d;
    }
  }
  if (s.size() > kMaxMessage) {
    size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) cut--;
    size_t more = s.size() - cut;
    s.resize(cut);
    s += "\n… (" + std::to_string(more) + " more bytes)";
  }
  return escape_controls(repair_utf8(s));
}

namespace {

// Numbers as a report shows them: integers without a fraction, others
// with up to 15 significant digits (so 0.1 + 0.2 prints as 0.3).
std::string num(double x) {
  char buf[64];
  if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", x == 0 ? 0.0 : x);
  else if (std::isfinite(x))
    std::snprintf(buf, sizeof buf, "%.15g", x);
  else
    std::snprintf(buf, sizeof buf, "0");
  return buf;
}

std::string percent(double score, double max) {
  if (max <= 0) return "0";
  return num(std::round(score / max * 10000.0) / 100.0);
}

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

std::string json_str(const std::string& raw) {
  std::string s = repair_utf8(raw);
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// XML 1.0 text or attribute value: markup escaped; characters XML does not
// allow (controls other than tab and newline) replaced by U+FFFD.
std::string xml(const std::string& raw, bool attribute) {
  std::string s = repair_utf8(raw);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\xEF\xBF\xBD";
        } else if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xBE || static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
          out += "\xEF\xBF\xBD";  // U+FFFE, U+FFFF
          i += 2;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// A failed check's text: the message and where.
std::string check_text(const GradedExercise& e, const GradedCheck& c) {
  std::string t = c.message;
  if (c.line > 0) t += "\nat " + e.file + ":" + std::to_string(c.line);
  return t;
}

std::string pad(std::string s, size_t width) {
  size_t cols = 0;  // UTF-8 characters
  for (char c : s) cols += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (cols < width) s.append(width - cols, ' ');
  return s;
}

std::string clip_line(const std::string& s, size_t width) {
  std::string l = first_line(s);
  size_t cols = 0;
  for (size_t i = 0; i < l.size(); i++) {
    if ((static_cast<unsigned char>(l[i]) & 0xC0) != 0x80 && ++cols > width) return l.substr(0, i) + "…";
  }
  return l;
}

std::string summary_line(const GradedSubmission& s) {
  return num(s.score()) + " of " + num(s.max_score()) + " points (" + percent(s.score(), s.max_score()) + "%), " +
         std::to_string(s.passed_count()) + " of " + std::to_string(s.exercises.size()) + " exercises pass";
}

// ---------------------------------------------------------------- human

std::string human_submission(const GradedSubmission& s, const Term& t, bool verbose) {
  std::string out = t.bold(escape_name(s.path)) + ": " + summary_line(s) + "\n";
  size_t width = 0;
  for (const auto& e : s.exercises) width = std::max(width, e.name.size());
  for (const auto& e : s.exercises) {
    std::string mark = e.passed() ? t.green(t.color ? "✓" : "PASS")
                       : e.missing ? t.yellow(t.color ? "-" : "MISS")
                                   : t.red(t.color ? "✗" : "FAIL");
    std::string pts = pad(num(e.score()) + "/" + num(e.max_score()), 7);
    std::string line = "  " + mark + " " + pad(e.name, width) + "  " + pts;
    if (!e.reason.empty()) {
      line += "  " + t.dim(clip_line(e.reason, 100));
    } else if (!verbose) {
      for (const auto& c : e.checks)
        if (!c.passed) {
          line += "  " + t.dim(clip_line(c.name + ": " + c.message, 100));
          break;
        }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (verbose && e.reason.empty()) {
      for (const auto& c : e.checks) {
        out += "      " + (c.passed ? t.green(t.color ? "✓" : "ok  ") : t.red(t.color ? "✗" : "FAIL")) + " " +
               c.name + " (" + num(c.passed ? c.points : 0) + "/" + num(c.points) + ")\n";
        if (!c.passed) {
          std::string text = check_text(e, c);
          size_t start = 0;
          while (start <= text.size()) {
            size_t nl = text.find('\n', start);
            out += "          " + text.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
            if (nl == std::string::npos) break;
            start = nl + 1;
          }
        }
      }
    }
  }
  return out;
}

std::string human(const GradeReport& r, bool color, bool verbose) {
  Term t;
  t.color = color;
  std::string out;
  for (const auto& s : r.submissions) out += human_submission(s, t, verbose) + "\n";
  // The summary table.
  size_t w = std::strlen("submission");
  for (const auto& s : r.submissions) w = std::max(w, escape_name(s.path).size());
  out += t.bold(pad("submission", w) + "  " + pad("score", 13) + "  " + pad("%", 6) + "  exercises passed") + "\n";
  double sum_pct = 0;
  for (const auto& s : r.submissions) {
    double max = s.max_score();
    sum_pct += max > 0 ? s.score() / max * 100 : 0;
    out += pad(escape_name(s.path), w) + "  " + pad(num(s.score()) + "/" + num(max), 13) + "  " +
           pad(percent(s.score(), max), 6) + "  " + std::to_string(s.passed_count()) + "/" +
           std::to_string(s.exercises.size()) + "\n";
  }
  std::string n = std::to_string(r.submissions.size()) + (r.submissions.size() == 1 ? " submission" : " submissions");
  if (!r.submissions.empty()) {
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.2f", sum_pct / static_cast<double>(r.submissions.size()));
    out += "\n" + n + ", mean score " + num(std::strtod(mean, nullptr)) + "%";
  } else {
    out += "\nno submissions";
  }
  if (r.shard_count) out += " (shard " + std::to_string(r.shard_index) + "/" + std::to_string(r.shard_count) + ")";
  if (r.timing) out += ", graded in " + secs(r.seconds) + " s";
  return out + "\n";
}

// ---------------------------------------------------------------- json

std::string json(const GradeReport& r) {
  std::string o = "{\n";
  o += "  \"format\": \"luasync-grade\",\n  \"version\": 1,\n";
  o += "  \"lessons\": " + json_str(r.lessons) + ",\n";
  if (r.shard_count)
    o += "  \"shard\": {\"index\": " + std::to_string(r.shard_index) + ", \"count\": " + std::to_string(r.shard_count) +
         "},\n";
  if (r.timing) o += "  \"seconds\": " + secs(r.seconds) + ",\n";
  o += "  \"submissions\": [";
  for (size_t i = 0; i < r.submissions.size(); i++) {
    const auto& s = r.submissions[i];
    o += i ? ",\n    {\n" : "\n    {\n";
    o += "      \"submission\": " + json_str(escape_name(s.path)) + ",\n";
    o += "      \"layout\": " + json_str(s.layout) + ",\n";
    o += "      \"score\": " + num(s.score()) + ",\n";
    o += "      \"max_score\": " + num(s.max_score()) + ",\n";
    o += "      \"percent\": " + percent(s.score(), s.max_score()) + ",\n";
    o += "      \"exercises_passed\": " + std::to_string(s.passed_count()) + ",\n";
    o += "      \"exercise_count\": " + std::to_string(s.exercises.size()) + ",\n";
    if (r.timing) o += "      \"seconds\": " + secs(s.seconds) + ",\n";
    o += "      \"exercises\": [";
    for (size_t k = 0; k < s.exercises.size(); k++) {
      const auto& e = s.exercises[k];
      o += k ? ",\n        {" : "\n        {";
      o += "\"name\": " + json_str(e.name) + ", \"lesson\": " + json_str(e.lesson) + ", \"title\": " +
           json_str(e.title) + ", \"file\": " + json_str(e.file) + ",\n";
      o += "         \"status\": \"" + std::string(e.status()) + "\", \"score\": " + num(e.score()) +
           ", \"max_score\": " + num(e.max_score());
      if (!e.reason.empty()) o += ", \"reason\": " + json_str(e.reason);
      if (r.timing) o += ", \"seconds\": " + secs(e.seconds);
      o += ",\n         \"checks\": [";
      for (size_t c = 0; c < e.checks.size(); c++) {
        const auto& ch = e.checks[c];
        o += c ? ",\n           {" : "\n           {";
        o += "\"name\": " + json_str(ch.name) + ", \"points\": " + num(ch.points) +
             ", \"score\": " + num(ch.passed ? ch.points : 0) + ", \"status\": \"" +
             (ch.passed ? "passed" : "failed") + "\"";
        if (!ch.passed) o += ", \"message\": " + json_str(ch.message);
        if (ch.line > 0) o += ", \"line\": " + std::to_string(ch.line);
        if (!ch.limit.empty()) o += ", \"limit\": " + json_str(ch.limit);
        o += "}";
      }
      o += e.checks.empty() ? "]}" : "\n         ]}";
    }
    o += s.exercises.empty() ? "]\n    }" : "\n      ]\n    }";
  }
  o += r.submissions.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return o;
}

// ---------------------------------------------------------------- junit

std::string junit(const GradeReport& r) {
  size_t tests = 0, failures = 0;
  for (const auto& s : r.submissions)
    for (const auto& e : s.exercises)
      for (const auto& c : e.checks) tests++, failures += !c.passed;
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<testsuites name=\"luasync grade\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
       std::to_string(failures) + "\" errors=\"0\"";
  if (r.timing) o += " time=\"" + secs(r.seconds) + "\"";
  o += ">\n";
  for (const auto& s : r.submissions) {
    size_t st = 0, sf = 0;
    for (const auto& e : s.exercises)
      for (const auto& c : e.checks) st++, sf += !c.passed;
    o += "  <testsuite name=\"" + xml(escape_name(s.path), true) + "\" tests=\"" + std::to_string(st) + "\" failures=\"" +
         std::to_string(sf) + "\" errors=\"0\" skipped=\"0\"";
    if (r.timing) o += " time=\"" + secs(s.seconds) + "\"";
    o += ">\n    <properties>\n";
    o += "      <property name=\"score\" value=\"" + num(s.score()) + "\"/>\n";
    o += "      <property name=\"max_score\" value=\"" + num(s.max_score()) + "\"/>\n";
    o += "      <property name=\"percent\" value=\"" + percent(s.score(), s.max_score()) + "\"/>\n";
    o += "      <property name=\"layout\" value=\"" + xml(s.layout, true) + "\"/>\n";
    o += "    </properties>\n";
    for (const auto& e : s.exercises) {
      for (const auto& c : e.checks) {
        o += "    <testcase classname=\"" + xml(e.lesson + "." + e.name, true) + "\" name=\"" +
             xml(e.name + ": " + c.name, true) + "\"";
        if (c.passed) {
          o += "/>\n";
          continue;
        }
        std::string type = e.missing ? "missing" : !e.reason.empty() ? "error" : !c.limit.empty() ? "limit" : "failed";
        std::string text = check_text(e, c);
        o += ">\n      <failure type=\"" + type + "\" message=\"" + xml(first_line(text), true) + "\">" +
             xml(text, false) + "</failure>\n    </testcase>\n";
      }
    }
    o += "  </testsuite>\n";
  }
  return o + "</testsuites>\n";
}

// ---------------------------------------------------------------- gradescope, prairielearn

std::string plain_breakdown(const GradedSubmission& s) {
  Term t;
  return human_submission(s, t, true);
}

std::string gradescope_one(const GradedSubmission& s, bool timing, bool with_path) {
  std::string o = "{\n";
  if (with_path) o += "  \"submission\": " + json_str(escape_name(s.path)) + ",\n";
  o += "  \"score\": " + num(s.score()) + ",\n";
  if (timing) o += "  \"execution_time\": " + secs(s.seconds) + ",\n";
  o += "  \"output\": " + json_str(plain_breakdown(s)) + ",\n";
  o += "  \"visibility\": \"visible\",\n";
  o += "  \"stdout_visibility\": \"hidden\",\n";
  o += "  \"tests\": [";
  size_t n = 0;
  for (size_t k = 0; k < s.exercises.size(); k++) {
    const auto& e = s.exercises[k];
    for (size_t c = 0; c < e.checks.size(); c++) {
      const auto& ch = e.checks[c];
      o += n++ ? ",\n    {" : "\n    {";
      o += "\"name\": " + json_str(e.name + ": " + ch.name) + ", \"number\": \"" + std::to_string(k + 1) + "." +
           std::to_string(c + 1) + "\", \"score\": " + num(ch.passed ? ch.points : 0) +
           ", \"max_score\": " + num(ch.points) + ", \"status\": \"" + (ch.passed ? "passed" : "failed") +
           "\", \"output\": " + json_str(ch.passed ? "" : check_text(e, ch)) + ", \"visibility\": \"visible\"}";
    }
  }
  o += n ? "\n  ]\n}" : "]\n}";
  return o;
}

std::string prairielearn_one(const GradedSubmission& s, bool with_path) {
  double max = s.max_score();
  std::string o = "{\n";
  if (with_path) o += "  \"submission\": " + json_str(escape_name(s.path)) + ",\n";
  o += "  \"gradable\": true,\n";
  o += "  \"score\": " + num(max > 0 ? s.score() / max : 0) + ",\n";
  o += "  \"message\": " + json_str(summary_line(s)) + ",\n";
  o += "  \"output\": " + json_str(plain_breakdown(s)) + ",\n";
  o += "  \"tests\": [";
  size_t n = 0;
  for (const auto& e : s.exercises) {
    for (const auto& ch : e.checks) {
      o += n++ ? ",\n    {" : "\n    {";
      o += "\"name\": " + json_str(e.name + ": " + ch.name) + ", \"description\": " + json_str(e.title) +
           ", \"points\": " + num(ch.passed ? ch.points : 0) + ", \"max_points\": " + num(ch.points) +
           ", \"message\": " + json_str(ch.passed ? "passed" : first_line(ch.message)) +
           ", \"output\": " + json_str(ch.passed ? "" : check_text(e, ch)) + "}";
    }
  }
  o += n ? "\n  ]\n}" : "]\n}";
  return o;
}

// One object for one submission (what the platform reads); an array of
// them, each naming its submission, for several.
std::string per_submission(const GradeReport& r, bool gradescope) {
  if (r.submissions.size() == 1)
    return (gradescope ? gradescope_one(r.submissions[0], r.timing, false)
                       : prairielearn_one(r.submissions[0], false)) + "\n";
  std::string o = "[";
  for (size_t i = 0; i < r.submissions.size(); i++) {
    o += i ? ",\n" : "\n";
    o += gradescope ? gradescope_one(r.submissions[i], r.timing, true) : prairielearn_one(r.submissions[i], true);
  }
  return o + (r.submissions.empty() ? "]\n" : "\n]\n");
}

}  // namespace

std::string format_report(const GradeReport& report, Format format, bool color, bool verbose) {
  switch (format) {
    case Format::Human: return human(report, color, verbose);
    case Format::Json: return json(report);
    case Format::Junit: return junit(report);
    case Format::Gradescope: return per_submission(report, true);
    case Format::Prairielearn: return per_submission(report, false);
  }
  return "";
}

// ---------------------------------------------------------------- reading json

namespace {

std::string get_str(json_t* o, const char* k) {
  json_t* v = json_object_get(o, k);
  return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : "";
}

double get_num(json_t* o, const char* k) {
  json_t* v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : 0;
}

}  // namespace

bool read_json_report(const std::string& path, GradeReport* report, std::string* err) {
  json_error_t jerr;
  json_t* root = json_load_file(path.c_str(), JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    *err = path + ":" + std::to_string(jerr.line) + ": " + jerr.text;
    return false;
  }
  struct Free {
    json_t* j;
    ~Free() { json_decref(j); }
  } guard{root};
  if (!json_is_object(root) || get_str(root, "format") != "luasync-grade") {
    *err = path + " is not a report of `luasync grade --format json`";
    return false;
  }
  if (get_num(root, "version") != 1) {
    *err = path + ": report version " + num(get_num(root, "version")) + " (this luasync reads version 1)";
    return false;
  }
  report->lessons = get_str(root, "lessons");
  json_t* shard = json_object_get(root, "shard");
  if (json_is_object(shard)) {
    report->shard_index = static_cast<int>(get_num(shard, "index"));
    report->shard_count = static_cast<int>(get_num(shard, "count"));
  }
  report->timing = json_object_get(root, "seconds") != nullptr;
  report->seconds = get_num(root, "seconds");
  json_t* subs = json_object_get(root, "submissions");
  if (!json_is_array(subs)) {
    *err = path + ": no \"submissions\" array";
    return false;
  }
  size_t i;
  json_t* js;
  json_array_foreach(subs, i, js) {
    GradedSubmission s;
    s.path = unescape_name(get_str(js, "submission"));
    s.layout = get_str(js, "layout");
    s.seconds = get_num(js, "seconds");
    if (s.path.empty()) {
      *err = path + ": submission " + std::to_string(i + 1) + " has no \"submission\" path";
      return false;
    }
    size_t k;
    json_t* je;
    json_array_foreach(json_object_get(js, "exercises"), k, je) {
      GradedExercise e;
      e.name = get_str(je, "name");
      e.lesson = get_str(je, "lesson");
      e.title = get_str(je, "title");
      e.file = get_str(je, "file");
      e.missing = get_str(je, "status") == "missing";
      e.reason = get_str(je, "reason");
      e.seconds = get_num(je, "seconds");
      size_t c;
      json_t* jc;
      json_array_foreach(json_object_get(je, "checks"), c, jc) {
        GradedCheck ch;
        ch.name = get_str(jc, "name");
        ch.points = get_num(jc, "points");
        ch.passed = get_str(jc, "status") == "passed";
        ch.message = get_str(jc, "message");
        ch.line = static_cast<int>(get_num(jc, "line"));
        ch.limit = get_str(jc, "limit");
        e.checks.push_back(std::move(ch));
      }
      s.exercises.push_back(std::move(e));
    }
    report->submissions.push_back(std::move(s));
  }
  return true;
}

}  // namespace luasync::learn
