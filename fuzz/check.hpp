#pragma once

// What the fuzz targets share: invariant checks that abort with a message
// (libFuzzer reports the abort as a crash and saves the input; the replay
// test fails), and the two properties most targets check: valid UTF-8 and
// valid JSON.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/text.hpp"

namespace tenantd::fuzz {

[[noreturn]] inline void fail(const char* condition, std::string_view what,
                              const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n  %.*s\n", file, line,
               condition, static_cast<int>(what.size()), what.data());
  std::abort();
}

/// Whether `s` is valid UTF-8 (no overlongs, surrogates or values past
/// U+10FFFF), by the same rules the service applies to request bodies.
inline bool is_utf8(std::string_view s) {
  return !text::find_invalid_utf8(s).has_value();
}

/// `s` parsed as one JSON text (Boost.JSON also refuses invalid UTF-8), or
/// nothing if it is not valid JSON. Nesting is allowed as deep as Python's
/// json reads by default (~1000): a 422 echoes a body nested up to the
/// service's own limit, past Boost.JSON's default of 32.
inline std::optional<boost::json::value> parse_json(std::string_view s) {
  boost::json::parse_options options;
  options.max_depth = 1000;
  boost::json::error_code ec;
  auto v = boost::json::parse(s, ec, {}, options);
  if (ec)
    return std::nullopt;
  return v;
}

} // namespace tenantd::fuzz

/// Aborts with `what` (a std::string_view-able context) unless `condition`.
#define FUZZ_CHECK(condition, what)                                          \
  ((condition) ? (void)0                                                      \
               : ::tenantd::fuzz::fail(#condition, (what), __FILE__, __LINE__))
