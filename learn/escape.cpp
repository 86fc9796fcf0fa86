// escape.cpp: see escape.h.
#include "escape.h"

#include <cstdint>
#include <cstdio>

namespace luasync::learn {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t utf8_len(const std::string& s, size_t i, uint32_t* cp) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? c : (c & (0x7F >> len));
  for (size_t k = 1; k < len; k++) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (len > 1 && (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))) return 0;
  *cp = v;
  return len;
}

bool is_control(uint32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F); }

void hex(std::string& out, const char* fmt, unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, fmt, v);
  out += buf;
}

}  // namespace

std::string escape_controls(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t len = utf8_len(s, i, &cp);
    if (len == 0) {  // not UTF-8: kept (reports repair it)
      out += s[i++];
      continue;
    }
    if (is_control(cp) && cp != '\n' && cp != '\t')
      hex(out, cp < 0x80 ? "\\x%02x" : "\\u%04x", cp);
    else
      out.append(s, i, len);
    i += len;
  }
  return out;
}

std::string escape_name(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t len = utf8_len(s, i, &cp);
    if (len == 0) {
      hex(out, "\\x%02x", static_cast<unsigned char>(s[i++]));
      continue;
    }
    if (cp == '\\')
      out += "\\\\";
    else if (cp == '\n')
      out += "\\n";
    else if (cp == '\t')
      out += "\\t";
    else if (is_control(cp))
      for (size_t k = 0; k < len; k++) hex(out, "\\x%02x", static_cast<unsigned char>(s[i + k]));
    else
      out.append(s, i, len);
    i += len;
  }
  return out;
}

std::string unescape_name(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  auto hexval = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    char n = s[i + 1];
    if (n == '\\' || n == 'n' || n == 't') {
      out += n == 'n' ? '\n' : n == 't' ? '\t' : '\\';
      i++;
    } else if (n == 'x' && i + 3 < s.size() && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
      out += static_cast<char>(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace luasync::learn
