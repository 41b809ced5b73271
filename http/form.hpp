#pragma once

// Percent-decoding, for paths and for form bodies
// (application/x-www-form-urlencoded, as OAuth 2.0's token endpoint takes
// them).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd::http {

/// `text` with its %XX escapes decoded, as uvicorn decodes the path it
/// routes on (`POST /%63hat` is `/chat`); an invalid escape stays as it is,
/// as Python's unquote leaves it.
std::string percent_decoded(std::string_view text);

/// The fields of a form body ('+' is a space, then %XX escapes), or
/// nothing if a field repeats (RFC 6749 §3.1: parameters must not be
/// included more than once).
std::optional<std::map<std::string, std::string>>
parse_form(std::string_view body);

} // namespace tenantd::http
