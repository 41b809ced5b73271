#include "http/json/diagnostics.hpp"

#include <cstdint>
#include <optional>

#include <unicode/utf8.h>

namespace tenantd::http {

namespace {


// Python's recursion limit: deeper than this json.loads raises
// RecursionError (FastAPI answers 400, not json_invalid), so we stop there.
constexpr std::size_t python_max_depth = 1000;

// Python indexes a str by code point: decode once, then the scanner's
// indices are Python's positions.
std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  auto* s = reinterpret_cast<const uint8_t*>(text.data());
  auto n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    out += c < 0 ? U'\uFFFD' : static_cast<char32_t>(c);
  }
  return out;
}

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }

// The value of a hex digit, or -1.
int hex_value(char32_t c) {
  if (c >= '0' && c <= '9')
    return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f')
    return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F')
    return static_cast<int>(c - 'A' + 10);
  return -1;
}

bool is_high_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool is_low_surrogate(char32_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// A port of CPython 3.11's C scanner (scan_once_unicode and friends in
// Modules/_json.c), checking only. Each scan_* returns false on error, with
// the error in error_ (nothing there means we stopped at python_max_depth).
// Where Python's StopIteration propagates up to raw_decode, which turns it
// into "Expecting value", we fail with that message directly.
class scanner {
public:
  scanner(std::u32string_view s, std::size_t max_depth)
    : s_{s}, max_depth_{max_depth} {}

  // json.loads: JSONDecoder.decode and raw_decode.
  json_syntax_error run() {
    std::size_t end = 0;
    if (scan_value(skip_whitespace(0), end, 0)) {
      end = skip_whitespace(end);
      if (end != s_.size())
        fail(end, "Extra data");
    }
    if (error_)
      return *error_;
    if (not_boost_json_)
      return *not_boost_json_;
    return {0, {}};
  }

private:
  std::u32string_view s_;
  std::size_t max_depth_;
  std::optional<json_syntax_error> error_;
  // The first construct Python accepts and Boost.JSON does not.
  std::optional<json_syntax_error> not_boost_json_;

  bool fail(std::size_t pos, const char* msg) {
    error_ = json_syntax_error{pos, msg};
    return false;
  }

  void note_not_boost_json(std::size_t pos, const char* msg) {
    if (!not_boost_json_)
      not_boost_json_ = json_syntax_error{pos, msg};
  }

  // Python's JSON whitespace is only these four.
  std::size_t skip_whitespace(std::size_t i) const {
    while (i < s_.size()
           && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\n' || s_[i] == '\r'))
      ++i;
    return i;
  }

  bool starts_with(std::size_t i, std::u32string_view word) const {
    return s_.substr(i, word.size()) == word;
  }

  // The four hex digits at s_[i..i+4), which exist.
  std::optional<char32_t> hex4(std::size_t i) const {
    char32_t c = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
      int d = hex_value(s_[k]);
      if (d < 0)
        return std::nullopt;
      c = c << 4 | static_cast<char32_t>(d);
    }
    return c;
  }

  // scan_once_unicode: one value at idx; `depth` containers enclose it.
  bool scan_value(std::size_t idx, std::size_t& next, std::size_t depth) {
    if (idx >= s_.size())
      return fail(idx, "Expecting value");
    switch (s_[idx]) {
      case '"':
        return scan_string(idx + 1, next);
      case '{':
      case '[':
        if (depth + 1 > python_max_depth)
          return false;
        if (depth + 1 == max_depth_ + 1)
          note_not_boost_json(idx, "Nesting too deep");
        return s_[idx] == '{' ? scan_object(idx + 1, next, depth + 1)
                              : scan_array(idx + 1, next, depth + 1);
      case 'n':
      case 't':
      case 'f':
        for (std::u32string_view word : {U"null", U"true", U"false"})
          if (starts_with(idx, word)) {
            next = idx + word.size();
            return true;
          }
        break;
      case 'N':
      case 'I':
      case '-':
        // Python's parse_constant accepts these; JSON does not.
        for (std::u32string_view word : {U"NaN", U"Infinity", U"-Infinity"})
          if (starts_with(idx, word)) {
            note_not_boost_json(idx, "NaN and Infinity are not valid JSON");
            next = idx + word.size();
            return true;
          }
        break;
    }
    return match_number(idx, next);
  }

  // _match_number_unicode: -?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
  // A fraction or exponent without digits is left for the caller ("1." at
  // top level is "Extra data" at the dot).
  bool match_number(std::size_t start, std::size_t& next) {
    auto n = s_.size();
    auto idx = start;
    if (s_[idx] == '-' && ++idx >= n)
      return fail(start, "Expecting value");
    if (s_[idx] >= '1' && s_[idx] <= '9') {
      ++idx;
      while (idx < n && is_digit(s_[idx]))
        ++idx;
    } else if (s_[idx] == '0') {
      ++idx;
    } else {
      return fail(start, "Expecting value");
    }
    if (idx + 1 < n && s_[idx] == '.' && is_digit(s_[idx + 1])) {
      idx += 2;
      while (idx < n && is_digit(s_[idx]))
        ++idx;
    }
    if (idx + 1 < n && (s_[idx] == 'e' || s_[idx] == 'E')) {
      auto e_start = idx++;
      if (idx + 1 < n && (s_[idx] == '-' || s_[idx] == '+'))
        ++idx;
      while (idx < n && is_digit(s_[idx]))
        ++idx;
      if (!is_digit(s_[idx - 1]))
        idx = e_start; // no exponent digits: back to the 'e'
    }
    next = idx;
    return true;
  }

  // scanstring_unicode in strict mode; `end` is just past the opening
  // quote, `next` gets the index just past the closing one.
  bool scan_string(std::size_t end, std::size_t& next) {
    auto n = s_.size();
    auto begin = end - 1;
    for (;;) {
      // Find the end of the string or the next escape.
      auto i = end;
      for (; i < n && s_[i] != '"' && s_[i] != '\\'; ++i)
        if (s_[i] <= 0x1f)
          return fail(i, "Invalid control character at");
      if (i >= n)
        return fail(begin, "Unterminated string starting at");
      if (s_[i] == '"') {
        next = i + 1;
        return true;
      }
      // A backslash at i.
      if (++i == n)
        return fail(begin, "Unterminated string starting at");
      if (s_[i] != 'u') {
        end = i + 1;
        switch (s_[i]) {
          case '"': case '\\': case '/':
          case 'b': case 'f': case 'n': case 'r': case 't':
            continue;
          default:
            return fail(i - 1, "Invalid \\escape");
        }
      }
      // \uXXXX: Python reports its errors at the 'u'.
      end = i + 5;
      if (end >= n)
        return fail(i, "Invalid \\uXXXX escape");
      auto c = hex4(i + 1);
      if (!c)
        return fail(i, "Invalid \\uXXXX escape");
      // A high surrogate joins a following \u low surrogate; Python only
      // looks for one when something follows that second escape.
      bool paired = false;
      if (is_high_surrogate(*c) && end + 6 < n && s_[end] == '\\'
          && s_[end + 1] == 'u') {
        auto low = hex4(end + 2);
        if (!low)
          return fail(end + 1, "Invalid \\uXXXX escape");
        if (is_low_surrogate(*low)) {
          paired = true;
          end += 6;
        }
      }
      if (!paired && (is_high_surrogate(*c) || is_low_surrogate(*c)))
        note_not_boost_json(i - 1, "Unpaired surrogate in \\uXXXX escape");
    }
  }

  // _parse_object_unicode; idx is just past the '{'.
  bool scan_object(std::size_t idx, std::size_t& next, std::size_t depth) {
    auto n = s_.size();
    idx = skip_whitespace(idx);
    if (idx >= n || s_[idx] != '}') {
      for (;;) {
        if (idx >= n || s_[idx] != '"')
          return fail(idx, "Expecting property name enclosed in double quotes");
        if (!scan_string(idx + 1, idx))
          return false;
        idx = skip_whitespace(idx);
        if (idx >= n || s_[idx] != ':')
          return fail(idx, "Expecting ':' delimiter");
        idx = skip_whitespace(idx + 1);
        if (!scan_value(idx, idx, depth))
          return false;
        idx = skip_whitespace(idx);
        if (idx < n && s_[idx] == '}')
          break;
        if (idx >= n || s_[idx] != ',')
          return fail(idx, "Expecting ',' delimiter");
        // 3.11 has no "trailing comma" message: "{"a":1,}" fails as a
        // missing property name.
        idx = skip_whitespace(idx + 1);
      }
    }
    next = idx + 1;
    return true;
  }

  // _parse_array_unicode; idx is just past the '['.
  bool scan_array(std::size_t idx, std::size_t& next, std::size_t depth) {
    auto n = s_.size();
    idx = skip_whitespace(idx);
    if (idx >= n || s_[idx] != ']') {
      for (;;) {
        // "[1,]" fails here, as a missing value.
        if (!scan_value(idx, idx, depth))
          return false;
        idx = skip_whitespace(idx);
        if (idx < n && s_[idx] == ']')
          break;
        if (idx >= n || s_[idx] != ',')
          return fail(idx, "Expecting ',' delimiter");
        idx = skip_whitespace(idx + 1);
      }
    }
    next = idx + 1;
    return true;
  }
};

} // namespace

json_syntax_error python_json_error(std::string_view text,
                                    std::size_t max_depth) {
  auto decoded = decode_utf8(text);
  return scanner{decoded, max_depth}.run();
}

std::size_t code_points_before(std::string_view text, std::size_t byte_offset) {
  std::size_t count = 0;
  for (char c : text.substr(0, byte_offset))
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation
      ++count;
  return count;
}

} // namespace tenantd::http
