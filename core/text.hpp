#pragma once

// Text operations on UTF-8 with the semantics of Python's str methods, so
// that replies match the seed byte for byte, Unicode included.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd::text {

/// Returns the byte offset of the first invalid UTF-8 sequence in `s`
/// (overlong forms, surrogates and code points above U+10FFFF are invalid),
/// or nothing when `s` is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

/// `s` with each invalid UTF-8 sequence replaced by U+FFFD, as Python's
/// bytes.decode("utf-8", "replace") does: for echoing bytes nobody
/// validated (a query string) in JSON, which must be valid UTF-8.
std::string replace_invalid_utf8(std::string_view s);

/// Python's str.strip() without arguments: removes leading and trailing
/// code points for which str.isspace() is true. `s` must be valid UTF-8.
std::string_view strip(std::string_view s);

/// Python's s[::-1]: reverses the sequence of code points, never splitting a
/// UTF-8 sequence. `s` must be valid UTF-8.
std::string reverse(std::string_view s);

/// The bytes of `s` inside a JSON string as the service writes it (as
/// Python's json.dumps with ensure_ascii=False): '"', '\\' and \n \r \t
/// \b \f take 2, other control characters 6 (\u00XX), the rest 1.
/// A surrogate in its three-byte generalized UTF-8 form (ED A0..BF xx,
/// which valid UTF-8 never holds) takes 3 (written as U+FFFD).
std::size_t json_escaped_size(std::string_view s);

/// Whether s[i..i+3) is a surrogate in generalized UTF-8 (how a lone
/// surrogate escape Python accepts is held: http/json/diagnostics.hpp).
bool is_generalized_surrogate(std::string_view s, std::size_t i);

/// Python's str.upper(): full Unicode case mapping (ß -> SS), no locale.
std::string upper(std::string_view s);

/// Python's str.lower(): full Unicode case mapping, no locale.
std::string lower(std::string_view s);

} // namespace tenantd::text
