// render.cpp: see render.h.
#include "render.h"

#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <vector>

namespace luasync::learn {

Term Term::detect() {
  Term t;
  t.tty = isatty(1);
  const char* term = std::getenv("TERM");
  t.color = t.tty && !std::getenv("NO_COLOR") && !(term && std::strcmp(term, "dumb") == 0);
  if (std::getenv("LUASYNC_COLOR")) t.color = true;  // tests of the rendering
  struct winsize ws;
  if (t.tty && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    t.width = ws.ws_col;
    t.height = ws.ws_row;
  }
  return t;
}

// ---------------------------------------------------------------- Lua

static const std::set<std::string> kKeywords = {
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"};
static const std::set<std::string> kAsync = {"async", "await", "asyncio"};

// The level of a long bracket starting at s[i] ("[[" or "[==["), or -1.
static int long_bracket(const std::string& s, size_t i) {
  if (i >= s.size() || s[i] != '[') return -1;
  size_t j = i + 1;
  int level = 0;
  while (j < s.size() && s[j] == '=') j++, level++;
  return j < s.size() && s[j] == '[' ? level : -1;
}

std::string highlight_lua(const std::string& line, const Term& term, std::string* in_long) {
  std::string out;
  size_t i = 0, n = line.size();
  if (!in_long->empty()) {  // inside a long comment or string
    const std::string& close = *in_long;
    bool comment = close[0] == 'c';
    std::string br = close.substr(1);
    size_t end = line.find(br);
    size_t stop = end == std::string::npos ? n : end + br.size();
    std::string part = line.substr(0, stop);
    out += comment ? term.dim(part) : term.green(part);
    if (end != std::string::npos) in_long->clear();
    i = stop;
  }
  while (i < n) {
    char c = line[i];
    if (c == '-' && i + 1 < n && line[i + 1] == '-') {
      int level = long_bracket(line, i + 2);
      if (level >= 0) {
        std::string br = "]" + std::string(static_cast<size_t>(level), '=') + "]";
        size_t end = line.find(br, i + 4);
        if (end == std::string::npos) {
          *in_long = "c" + br;
          out += term.dim(line.substr(i));
          return out;
        }
        out += term.dim(line.substr(i, end + br.size() - i));
        i = end + br.size();
        continue;
      }
      out += term.dim(line.substr(i));
      return out;
    }
    if (c == '[' && long_bracket(line, i) >= 0) {
      int level = long_bracket(line, i);
      std::string br = "]" + std::string(static_cast<size_t>(level), '=') + "]";
      size_t end = line.find(br, i + 2);
      if (end == std::string::npos) {
        *in_long = "s" + br;
        out += term.green(line.substr(i));
        return out;
      }
      out += term.green(line.substr(i, end + br.size() - i));
      i = end + br.size();
      continue;
    }
    if (c == '"' || c == '\'') {
      size_t j = i + 1;
      while (j < n && line[j] != c) j += line[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, n);
      out += term.green(line.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '.')) j++;
      out += term.yellow(line.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_')) j++;
      std::string w = line.substr(i, j - i);
      if (kKeywords.count(w))
        out += term.wrap("1;35", w);
      else if (kAsync.count(w))
        out += term.cyan(w);
      else
        out += w;
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

// ---------------------------------------------------------------- Markdown

// Inline markup: `code`, **bold**, *emphasis* / _emphasis_.
static std::string inline_md(const std::string& s, const Term& term) {
  std::string out;
  size_t i = 0, n = s.size();
  while (i < n) {
    if (s[i] == '`') {
      size_t end = s.find('`', i + 1);
      if (end != std::string::npos) {
        std::string code = s.substr(i + 1, end - i - 1);
        out += term.color ? term.cyan(code) : "`" + code + "`";
        i = end + 1;
        continue;
      }
    }
    if (s.compare(i, 2, "**") == 0) {
      size_t end = s.find("**", i + 2);
      if (end != std::string::npos) {
        std::string b = s.substr(i + 2, end - i - 2);
        out += term.color ? term.bold(inline_md(b, term)) : b;
        i = end + 2;
        continue;
      }
    }
    if ((s[i] == '*' || s[i] == '_') && i + 1 < n && !std::isspace(static_cast<unsigned char>(s[i + 1])) &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1])))) {
      size_t end = s.find(s[i], i + 1);
      if (end != std::string::npos && end > i + 1 &&
          (end + 1 >= n || !std::isalnum(static_cast<unsigned char>(s[end + 1])))) {
        std::string e = s.substr(i + 1, end - i - 1);
        out += term.color ? term.wrap("3", e) : e;
        i = end + 1;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

// Characters (not bytes) in a UTF-8 string.
static size_t utf8_width(const std::string& s) { return display_width(s); }

// ---------------------------------------------------------------- plain text

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i++) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {  // an SGR sequence: no width
      i += 2;
      while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) i++;
      continue;
    }
    n += (c & 0xC0) != 0x80;
  }
  return n;
}

std::string readable(const std::string& s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  size_t col = 0;
  for (size_t i = 0; i < s.size(); i++) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      if (keep_newlines) {
        out += '\n';
        col = 0;
      } else {
        out += "\\n";
        col += 2;
      }
    } else if (c == '\t') {
      size_t to = (col / 8 + 1) * 8;  // to the next tab stop, as a terminal would
      out.append(to - col, ' ');
      col = to;
    } else if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n' && keep_newlines) {
      // CRLF: just the line break
    } else if (c < 0x20 || c == 0x7f) {
      static const char* names[] = {"\\0", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "\\a",
                                    "\\b", nullptr, nullptr, "\\v", "\\f", "\\r"};
      const char* name = c < 14 ? names[c] : nullptr;
      char buf[8];
      if (!name) {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        name = buf;
      }
      out += name;
      col += std::strlen(name);
    } else {
      out += static_cast<char>(c);
      col += (c & 0xC0) != 0x80;
    }
  }
  return out;
}

std::string wrap_text(const std::string& text, int width) {
  if (width < 20) width = 20;
  auto w = static_cast<size_t>(width);
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    // Continuation lines keep the line's indentation (up to a third of the width).
    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || indent > w / 3) indent = 0;
    bool first = true;
    while (display_width(line) > w - (first ? 0 : indent)) {
      size_t room = w - (first ? 0 : indent);
      // The byte position where the visible width reaches `room`.
      size_t cut = 0, seen = 0, last_space = std::string::npos;
      for (size_t i = 0; i < line.size(); i++) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == 0x1b && i + 1 < line.size() && line[i + 1] == '[') {
          i += 2;
          while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7e)) i++;
          continue;
        }
        if ((c & 0xC0) == 0x80) continue;
        if (seen == room) {
          cut = i;
          if (c == ' ') last_space = i;  // the line ends right before a space
          break;
        }
        if (c == ' ' && seen > (first ? indent : 0)) last_space = i;
        seen++;
        cut = i + 1;
      }
      size_t at = last_space != std::string::npos ? last_space : cut;  // a word longer than a line is cut
      out += (first ? "" : std::string(indent, ' ')) + line.substr(0, at) + "\n";
      size_t rest = at;
      while (rest < line.size() && line[rest] == ' ') rest++;
      line = line.substr(rest);
      first = false;
    }
    out += (first ? "" : std::string(indent, ' ')) + line;
    if (nl == std::string::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

std::string render_markdown(const std::string& md, const Term& term) {
  std::istringstream in(md);
  std::string line, out;
  bool in_code = false;
  bool code_lua = false;
  std::string in_long;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (trimmed.compare(0, 3, "```") == 0) {
      if (!in_code) {
        std::string lang = trimmed.substr(3);
        code_lua = lang.empty() || lang == "lua";
        in_long.clear();
      }
      in_code = !in_code;
      continue;
    }
    if (in_code) {
      std::string body = code_lua ? highlight_lua(line, term, &in_long) : term.dim(line);
      out += (term.color ? "  " + term.dim("│") + " " : "    ") + body + "\n";
      continue;
    }
    if (trimmed.compare(0, 1, "#") == 0) {
      size_t level = trimmed.find_first_not_of('#');
      std::string text = level == std::string::npos ? "" : trimmed.substr(level);
      text = text.substr(std::min(text.find_first_not_of(' '), text.size()));
      size_t width = std::min<size_t>(utf8_width(text), 78);
      if (level == 1) {
        out += term.bold(term.cyan(inline_md(text, term))) + "\n" + term.cyan(std::string(width, '=')) + "\n";
      } else if (level == 2) {
        out += term.bold(inline_md(text, term)) + "\n" + std::string(width, '-') + "\n";
      } else {
        out += term.bold(inline_md(text, term)) + "\n";
      }
      continue;
    }
    if (trimmed.compare(0, 2, "- ") == 0 || trimmed.compare(0, 2, "* ") == 0) {
      size_t indent = line.size() - trimmed.size();
      out += std::string(indent, ' ') + "  " + (term.color ? "•" : "-") + " " + inline_md(trimmed.substr(2), term) + "\n";
      continue;
    }
    if (trimmed.compare(0, 1, ">") == 0) {
      std::string q = trimmed.substr(1);
      if (!q.empty() && q[0] == ' ') q.erase(0, 1);
      out += (term.color ? term.dim("│ ") : "| ") + inline_md(q, term) + "\n";
      continue;
    }
    out += inline_md(line, term) + "\n";
  }
  return out;
}

// ---------------------------------------------------------------- pager

void page(const std::string& text, const Term& term) {
  long lines = std::count(text.begin(), text.end(), '\n');
  if (!term.tty || lines < term.height - 1) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  const char* pager = std::getenv("PAGER");
  std::string cmd = pager && *pager ? pager : "less -R";
  std::fflush(stdout);
  auto old = std::signal(SIGPIPE, SIG_IGN);  // the learner may quit the pager early
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::fwrite(text.data(), 1, text.size(), p);
    pclose(p);
  }
  std::signal(SIGPIPE, old);
}

std::string progress_bar(size_t done, size_t total, int width, const Term& term) {
  width = std::max(width, 10);
  size_t filled = total ? done * static_cast<size_t>(width) / total : 0;
  std::string bar;
  for (int i = 0; i < width; i++) {
    if (term.color)
      bar += static_cast<size_t>(i) < filled ? "█" : "░";
    else
      bar += static_cast<size_t>(i) < filled ? "#" : "-";
  }
  if (term.color) bar = term.green(bar.substr(0, filled * 3)) + term.dim(bar.substr(filled * 3));
  return "[" + bar + "] " + std::to_string(done) + "/" + std::to_string(total);
}

}  // namespace luasync::learn
