#include "http/json/diagnostics.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include <boost/json/parse.hpp>
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
  // With `out`, also builds the document there as Python reads it.
  scanner(std::u32string_view s, std::size_t max_depth,
          python_document* out = nullptr)
    : s_{s}, max_depth_{max_depth}, out_{out} {}

  // json.loads: JSONDecoder.decode and raw_decode.
  json_syntax_error run() {
    std::size_t end = 0;
    if (scan_value(skip_whitespace(0), end, 0,
                   out_ != nullptr ? &out_->value : nullptr)) {
      end = skip_whitespace(end);
      if (end != s_.size())
        fail(end, "Extra data");
      else
        accepted_ = true;
    }
    if (error_)
      return *error_;
    if (not_boost_json_)
      return *not_boost_json_;
    return {0, {}};
  }

  // Whether Python accepts the text, and nothing stopped the build (a
  // number Boost.JSON cannot hold, nesting past max_depth).
  bool built() const {
    return accepted_ && !gave_up_;
  }

private:
  std::u32string_view s_;
  std::size_t max_depth_;
  python_document* out_;
  std::optional<json_syntax_error> error_;
  // The first construct Python accepts and Boost.JSON does not.
  std::optional<json_syntax_error> not_boost_json_;
  // The member of the top-level object being scanned, if any.
  std::optional<std::string> member_;
  bool gave_up_ = false;
  bool accepted_ = false;

  bool fail(std::size_t pos, const char* msg) {
    error_ = json_syntax_error{pos, msg};
    return false;
  }

  void note_not_boost_json(std::size_t pos, const char* msg) {
    if (!not_boost_json_)
      not_boost_json_ = json_syntax_error{pos, msg};
    if (out_ != nullptr)
      out_->constructs.push_back({member_.value_or(""), {pos, msg}});
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
  // Builds it in `out` unless that is null.
  bool scan_value(std::size_t idx, std::size_t& next, std::size_t depth,
                  boost::json::value* out) {
    if (idx >= s_.size())
      return fail(idx, "Expecting value");
    switch (s_[idx]) {
      case '"':
        return scan_string(idx + 1, next,
                           out != nullptr ? &out->emplace_string() : nullptr);
      case '{':
      case '[':
        if (depth + 1 > python_max_depth)
          return false;
        if (depth + 1 == max_depth_ + 1) {
          note_not_boost_json(idx, "Nesting too deep");
          gave_up_ = true;
        }
        return s_[idx] == '{' ? scan_object(idx + 1, next, depth + 1, out)
                              : scan_array(idx + 1, next, depth + 1, out);
      case 'n':
      case 't':
      case 'f':
        for (std::u32string_view word : {U"null", U"true", U"false"})
          if (starts_with(idx, word)) {
            next = idx + word.size();
            if (out != nullptr && word != U"null")
              *out = word == U"true";
            return true;
          }
        break;
      case 'N':
      case 'I':
      case '-': {
        // Python's parse_constant accepts these; JSON does not.
        constexpr double inf = std::numeric_limits<double>::infinity();
        const std::pair<std::u32string_view, double> constants[] = {
          {U"NaN", std::numeric_limits<double>::quiet_NaN()},
          {U"Infinity", inf},
          {U"-Infinity", -inf}};
        for (auto& [word, number] : constants)
          if (starts_with(idx, word)) {
            note_not_boost_json(idx, "NaN and Infinity are not valid JSON");
            next = idx + word.size();
            if (out != nullptr)
              *out = number;
            return true;
          }
        break;
      }
    }
    if (!match_number(idx, next))
      return false;
    if (out != nullptr) {
      // Boost.JSON reads the digits (int64, uint64 or double, as it does
      // for the whole body); one it cannot hold ends the build.
      std::string digits(s_.begin() + static_cast<std::ptrdiff_t>(idx),
                         s_.begin() + static_cast<std::ptrdiff_t>(next));
      boost::json::error_code ec;
      *out = boost::json::parse(digits, ec);
      if (ec) {
        gave_up_ = true;
        return false;
      }
    }
    return true;
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
  // quote, `next` gets the index just past the closing one. Appends the
  // string's UTF-8 to `out` unless that is null (a lone surrogate as its
  // three bytes, which no valid UTF-8 holds).
  template <class String>
  bool scan_string(std::size_t end, std::size_t& next, String* out) {
    auto n = s_.size();
    auto begin = end - 1;
    auto append = [out](char32_t c) {
      if (out == nullptr)
        return;
      char bytes[4];
      int32_t length = 0;
      U8_APPEND_UNSAFE(bytes, length, c);
      out->append(std::string_view{bytes, static_cast<std::size_t>(length)});
    };
    for (;;) {
      // Find the end of the string or the next escape.
      auto i = end;
      for (; i < n && s_[i] != '"' && s_[i] != '\\'; ++i) {
        if (s_[i] <= 0x1f)
          return fail(i, "Invalid control character at");
        append(s_[i]);
      }
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
          case '"': case '\\': case '/': append(s_[i]); continue;
          case 'b': append('\b'); continue;
          case 'f': append('\f'); continue;
          case 'n': append('\n'); continue;
          case 'r': append('\r'); continue;
          case 't': append('\t'); continue;
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
          append(0x10000 + ((*c - 0xD800) << 10) + (*low - 0xDC00));
          continue;
        }
      }
      if (!paired && (is_high_surrogate(*c) || is_low_surrogate(*c)))
        note_not_boost_json(i - 1, "Unpaired surrogate in \\uXXXX escape");
      append(*c);
    }
  }

  // _parse_object_unicode; idx is just past the '{'.
  bool scan_object(std::size_t idx, std::size_t& next, std::size_t depth,
                   boost::json::value* out) {
    auto n = s_.size();
    auto* object = out != nullptr ? &out->emplace_object() : nullptr;
    idx = skip_whitespace(idx);
    if (idx >= n || s_[idx] != '}') {
      for (;;) {
        if (idx >= n || s_[idx] != '"')
          return fail(idx, "Expecting property name enclosed in double quotes");
        std::string key;
        if (!scan_string(idx + 1, idx, out != nullptr ? &key : nullptr))
          return false;
        idx = skip_whitespace(idx);
        if (idx >= n || s_[idx] != ':')
          return fail(idx, "Expecting ':' delimiter");
        idx = skip_whitespace(idx + 1);
        if (depth == 1)
          member_ = key;
        // A repeated key keeps its first place and takes the last value, as
        // a Python dict does.
        auto* value = object != nullptr ? &(*object)[key] : nullptr;
        if (!scan_value(idx, idx, depth, value))
          return false;
        if (depth == 1)
          member_.reset();
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
  bool scan_array(std::size_t idx, std::size_t& next, std::size_t depth,
                  boost::json::value* out) {
    auto n = s_.size();
    auto* array = out != nullptr ? &out->emplace_array() : nullptr;
    idx = skip_whitespace(idx);
    if (idx >= n || s_[idx] != ']') {
      for (;;) {
        // "[1,]" fails here, as a missing value.
        auto* value = array != nullptr ? &array->emplace_back(nullptr) : nullptr;
        if (!scan_value(idx, idx, depth, value))
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

std::optional<python_document> parse_as_python(std::string_view text,
                                               std::size_t max_depth) {
  auto decoded = decode_utf8(text);
  python_document doc;
  scanner scan{decoded, max_depth, &doc};
  scan.run();
  if (!scan.built())
    return std::nullopt;
  return doc;
}

std::optional<transcoded_body> decode_utf16_or_utf32(std::string_view body) {
  auto byte = [&](std::size_t i) { return static_cast<uint8_t>(body[i]); };
  auto starts = [&](std::string_view prefix) {
    return body.substr(0, prefix.size()) == prefix;
  };
  using namespace std::string_view_literals;
  std::size_t unit = 0; // 2 or 4 bytes
  bool big_endian = false;
  std::size_t skip = 0; // the byte order mark
  if (starts("\x00\x00\xFE\xFF"sv) || starts("\xFF\xFE\x00\x00"sv)) {
    unit = 4, big_endian = byte(0) == 0, skip = 4;
  } else if (starts("\xFE\xFF"sv) || starts("\xFF\xFE"sv)) {
    unit = 2, big_endian = byte(0) == 0xFE, skip = 2;
  } else if (starts("\xEF\xBB\xBF"sv)) {
    return std::nullopt;
  } else if (body.size() >= 4 && byte(0) == 0) {
    unit = byte(1) != 0 ? 2 : 4, big_endian = true;
  } else if (body.size() >= 4 && byte(1) == 0) {
    unit = byte(2) != 0 || byte(3) != 0 ? 2 : 4;
  } else if (body.size() == 2 && (byte(0) == 0 || byte(1) == 0)) {
    unit = 2, big_endian = byte(0) == 0;
  } else {
    return std::nullopt;
  }
  const char* name = unit == 2 ? "Invalid UTF-16 in request body"
                               : "Invalid UTF-32 in request body";
  auto read = [&](std::size_t at) {
    char32_t x = 0;
    for (std::size_t k = 0; k < unit; ++k)
      x |= static_cast<char32_t>(byte(at + k))
           << (8 * (big_endian ? unit - 1 - k : k));
    return x;
  };
  transcoded_body out;
  out.text.reserve(body.size());
  std::size_t code_points = 0;
  for (std::size_t at = skip; at < body.size(); ++code_points) {
    if (body.size() - at < unit) {
      out.error = json_syntax_error{code_points, name}; // truncated
      return out;
    }
    auto c = read(at);
    at += unit;
    if (unit == 2 && is_high_surrogate(c) && body.size() - at >= 2
        && is_low_surrogate(read(at))) {
      c = 0x10000 + ((c - 0xD800) << 10) + (read(at) - 0xDC00);
      at += 2;
    }
    // Python passes a lone surrogate through (surrogatepass); it could not
    // go on as UTF-8, so it is refused here.
    if (c > 0x10FFFF || is_high_surrogate(c) || is_low_surrogate(c)) {
      out.error = json_syntax_error{code_points, name};
      return out;
    }
    char bytes[4];
    int32_t length = 0;
    U8_APPEND_UNSAFE(bytes, length, c);
    out.text.append(bytes, static_cast<std::size_t>(length));
  }
  return out;
}

std::size_t code_points_before(std::string_view text, std::size_t byte_offset) {
  std::size_t count = 0;
  for (char c : text.substr(0, byte_offset))
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) // not a continuation
      ++count;
  return count;
}

} // namespace tenantd::http
