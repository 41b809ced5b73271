#include "core/text.hpp"

#include <stdexcept>

#include <unicode/ucasemap.h>
#include <unicode/utf8.h>

namespace tenantd::text {

namespace {

// Decodes the code point starting at s[i] and advances i. `s` is valid UTF-8.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  UChar32 c;
  U8_NEXT_UNSAFE(reinterpret_cast<const uint8_t*>(s.data()), i, c);
  return static_cast<char32_t>(c);
}

// The code points for which CPython's str.isspace() is true (Unicode
// White_Space minus nothing, plus the ASCII separators U+001C..U+001F).
bool is_python_space(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// One case map for the root locale; ICU documents the const functions on a
// UCaseMap as safe to call concurrently.
const UCaseMap* root_case_map() {
  static const UCaseMap* map = [] {
    UErrorCode err = U_ZERO_ERROR;
    auto* m = ucasemap_open("", 0, &err);
    if (U_FAILURE(err))
      throw std::runtime_error("ICU: cannot open case map");
    return m;
  }();
  return map;
}

using icu_case_fn = int32_t (*)(const UCaseMap*, char*, int32_t, const char*,
                                int32_t, UErrorCode*);

std::string map_case(std::string_view s, icu_case_fn fn) {
  std::string out(s.size() + s.size() / 2 + 8, '\0');
  for (;;) {
    UErrorCode err = U_ZERO_ERROR;
    auto n = fn(root_case_map(), out.data(), static_cast<int32_t>(out.size()),
                s.data(), static_cast<int32_t>(s.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      out.resize(static_cast<std::size_t>(n));
      continue;
    }
    if (U_FAILURE(err))
      throw std::runtime_error("ICU: case mapping failed");
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
}

} // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  auto bytes = reinterpret_cast<const uint8_t*>(s.data());
  auto len = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < len) {
    // Fast path for ASCII runs.
    if (bytes[i] < 0x80) {
      ++i;
      continue;
    }
    int32_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, len, c); // rejects overlongs, surrogates, > U+10FFFF
    if (c < 0)
      return static_cast<std::size_t>(start);
  }
  return std::nullopt;
}

std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto bytes = reinterpret_cast<const uint8_t*>(s.data());
  auto len = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < len) {
    int32_t start = i;
    UChar32 c;
    U8_NEXT(bytes, i, len, c); // skips a maximal invalid subpart, as Python
    if (c < 0)
      out += "\xEF\xBF\xBD";
    else
      out.append(s.data() + start, static_cast<std::size_t>(i - start));
  }
  return out;
}

std::string_view strip(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    auto next = begin;
    if (!is_python_space(next_code_point(s, next)))
      break;
    begin = next;
  }
  std::size_t end = s.size();
  while (end > begin) {
    // Step back to the lead byte of the last code point.
    auto lead = end - 1;
    while (lead > begin && (static_cast<uint8_t>(s[lead]) & 0xC0) == 0x80)
      --lead;
    auto i = lead;
    if (!is_python_space(next_code_point(s, i)))
      break;
    end = lead;
  }
  return s.substr(begin, end - begin);
}

std::string reverse(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t end = s.size();
  while (end > 0) {
    auto lead = end - 1;
    while (lead > 0 && (static_cast<uint8_t>(s[lead]) & 0xC0) == 0x80)
      --lead;
    out.append(s.data() + lead, end - lead);
    end = lead;
  }
  return out;
}

std::string upper(std::string_view s) {
  return map_case(s, ucasemap_utf8ToUpper);
}

std::string lower(std::string_view s) {
  return map_case(s, ucasemap_utf8ToLower);
}

bool is_generalized_surrogate(std::string_view s, std::size_t i) {
  return i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xED
         && static_cast<unsigned char>(s[i + 1]) >= 0xA0;
}

std::size_t json_escaped_size(std::string_view s) {
  std::size_t n = s.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (is_generalized_surrogate(s, i)) {
      i += 2; // written as U+FFFD: 3 bytes too
      continue;
    }
    if (u >= 0x20 && c != '"' && c != '\\')
      continue;
    bool short_form = c == '"' || c == '\\' || c == '\n' || c == '\r'
                      || c == '\t' || c == '\b' || c == '\f';
    n += short_form ? 1 : 5;
  }
  return n;
}

} // namespace tenantd::text
