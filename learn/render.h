// render.h: terminal output of the learn commands: colors (only on a
// terminal, and never with NO_COLOR), lesson text rendered from Markdown with
// highlighted Lua, the pager, the progress bar.
#pragma once

#include <string>

namespace luasync::learn {

struct Term {
  bool color = false;  // ANSI colors and styles
  bool tty = false;    // stdout is a terminal
  int width = 80;
  int height = 24;
  static Term detect();  // for stdout

  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string cyan(const std::string& s) const { return wrap("36", s); }
  std::string wrap(const char* sgr, const std::string& s) const {
    return color ? "\x1b[" + std::string(sgr) + "m" + s + "\x1b[0m" : s;
  }
};

// Lesson text (Markdown) for the terminal: headings, emphasis, inline code,
// lists, quotes, and fenced code blocks (Lua highlighted).
std::string render_markdown(const std::string& md, const Term& term);
// One line of Lua, highlighted; `in_long` carries a long comment or string
// ([[ ... ]]) from one line to the next (the closing bracket, or empty).
std::string highlight_lua(const std::string& line, const Term& term, std::string* in_long);
// Writes text to stdout, through $PAGER (default `less -R`) when stdout is a
// terminal and the text is taller than it.
void page(const std::string& text, const Term& term);
// Columns a string takes on the terminal (UTF-8 characters; ANSI color
// sequences take none).
size_t display_width(const std::string& s);
// Text from learner code or messages, safe and readable on a terminal:
// tabs expanded to the next multiple of 8, other control characters (ESC
// included, so learner output cannot drive the terminal) as \r, \x1b...;
// newlines kept, or shown as \n when keep_newlines is false.
std::string readable(const std::string& s, bool keep_newlines = true);
// Wraps every line longer than `width` at word boundaries (a word longer
// than a line is cut); continuation lines keep the line's indentation.
// ANSI color sequences are not counted.
std::string wrap_text(const std::string& text, int width);
// "[#########---------] 9/30"
std::string progress_bar(size_t done, size_t total, int width, const Term& term);

}  // namespace luasync::learn
