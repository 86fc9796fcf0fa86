// escape.h: text from learners (what their code printed or raised) and
// names from the file system (submission folders), made safe to show on a
// terminal and in reports: no control characters reach the output raw (a
// learner's "\27[2J" would clear the instructor's screen, "\27]0;...\7" set
// the window title, a newline in a folder name split a table).
#pragma once

#include <string>

namespace luasync::learn {

// Free text (messages, printed output): C0 control characters other than
// newline and tab, DEL and the C1 controls (U+0080..U+009F) become visible
// escapes ("\x1b", "\u009b"); everything else is kept as it is.
std::string escape_controls(const std::string& s);

// A name (a submission's path as found), escaped reversibly: a backslash
// becomes "\\", newline and tab "\n" and "\t", other control characters
// (C0, DEL, C1) and bytes that are not UTF-8 "\xHH". The result is valid
// UTF-8 with no control characters, identical to the name for ordinary
// names, and distinct for distinct names (a\xff and a\xfe stay two).
std::string escape_name(const std::string& s);
// The inverse of escape_name (a malformed escape is kept as it is).
std::string unescape_name(const std::string& s);

}  // namespace luasync::learn
