#pragma once

// Request ids: every answer carries one in X-Request-Id and every log line
// about a request names it, so a client's report can be matched to the log.

#include <string>
#include <string_view>

namespace tenantd::http {

/// Longest client-supplied request id kept.
constexpr std::size_t max_request_id_length = 128;

/// The id of a request whose X-Request-Id header is `given` (empty when
/// absent): `given` itself if it is sane (1 to 128 characters among
/// letters, digits and "-_.:@+/="), else a fresh random one (32 lowercase
/// hex digits). A value that is not sane is never echoed or logged.
std::string request_id(std::string_view given);

} // namespace tenantd::http
