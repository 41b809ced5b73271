#pragma once

// Why a request body is not JSON, told the way FastAPI tells it: FastAPI
// answers json_invalid with json.JSONDecodeError's pos and msg, so we
// re-scan a body that Boost.JSON refused with a port of CPython 3.11's
// scanner (Modules/_json.c and json/decoder.py, strict mode) to find the
// same position and message.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace tenantd::http {

/// Nesting accepted in request bodies unless configured otherwise
/// (JSON_MAX_DEPTH; Python's json module allows about 1000). Deeper bodies
/// are refused as invalid.
constexpr std::size_t default_max_json_depth = 64;

/// Where and why a document fails to decode.
struct json_syntax_error {
  std::size_t pos; ///< in code points of the text, like Python's str index
  std::string msg; ///< JSONDecodeError.msg, e.g. "Expecting ',' delimiter"
};

/// What CPython 3.11's json.loads(text) raises for `text`, which is UTF-8
/// with any byte order mark already removed. Meant for the error path: a
/// body that Boost.JSON (with `max_depth`) refused.
///
/// Python accepts some documents that Boost.JSON refuses. If `text` has no
/// Python error, the first such construct is described instead, with our own
/// message:
///   - a container opening at depth max_depth + 1: "Nesting too deep", at
///     the bracket
///     (also the answer when nesting passes Python's recursion limit, where
///     json.loads raises RecursionError and scanning stops);
///   - NaN, Infinity or -Infinity: "NaN and Infinity are not valid JSON";
///   - a \u escape of a lone surrogate ("\ud800"):
///     "Unpaired surrogate in \\uXXXX escape", at the backslash.
/// If there is none of these either, msg is empty (Boost.JSON refused the
/// text for a reason of its own, e.g. an exponent it cannot represent).
json_syntax_error python_json_error(std::string_view text,
                                    std::size_t max_depth = default_max_json_depth);

/// A construct Python's json.loads accepts and strict JSON does not (NaN,
/// Infinity, -Infinity, a lone surrogate escape): where it is, with the
/// message python_json_error gives for it, and the member of the top-level
/// object that holds it ("" when none does).
struct python_only_construct {
  std::string member;
  json_syntax_error where;
};

/// A document as Python's json.loads reads it: NaN and the infinities as
/// doubles, a lone surrogate escape as the surrogate's three bytes (the
/// generalized UTF-8 that no valid UTF-8 holds), a repeated key in its
/// first place with its last value. `constructs` lists the constructs
/// strict JSON lacks, in text order.
struct python_document {
  boost::json::value value;
  std::vector<python_only_construct> constructs;
};

/// `text` (UTF-8, byte order mark removed) as Python reads it, or nothing
/// if Python refuses it, it nests deeper than `max_depth`, or it holds a
/// number Boost.JSON cannot (an exponent past its range). For the bodies
/// Boost.JSON refuses: the rare path.
std::optional<python_document>
parse_as_python(std::string_view text,
                std::size_t max_depth = default_max_json_depth);

/// json.loads on bytes first decodes them, in the encoding
/// json.detect_encoding picks: UTF-32 or UTF-16 after their byte order
/// marks, else by which of the first four bytes are zero (JSON text starts
/// with ASCII), else UTF-8. For a body it reads as UTF-16 or UTF-32: the
/// text in UTF-8 (byte order mark dropped), or where it cannot be decoded
/// (pos in code points decoded before; Python raises UnicodeDecodeError).
/// Nothing for a body it reads as UTF-8.
struct transcoded_body {
  std::string text;
  std::optional<json_syntax_error> error;
};
std::optional<transcoded_body> decode_utf16_or_utf32(std::string_view body);

/// The number of code points in the first `byte_offset` bytes of the UTF-8
/// `text`: a byte offset as Python would count it.
std::size_t code_points_before(std::string_view text, std::size_t byte_offset);

} // namespace tenantd::http
