#pragma once

// Who is asking: resolved once per request, before routing decides what the
// request may do. No handler reads Authorization itself.
//
// Today: "Authorization: Bearer <token>" (scheme in any case) with the
// admin token is the platform admin; no header is anonymous. Tokens are
// compared in constant time, and neither a token nor the header is ever
// logged or echoed. Tenant users and API keys come with identity and
// access: they resolve here too.

#include <optional>
#include <string_view>

#include "http/handler.hpp"

namespace tenantd::http {

/// What the request's credentials turned out to be.
enum class credential_check {
  /// No Authorization header.
  absent,
  /// A header that is not "Bearer <token>".
  malformed,
  /// A bearer token that opens nothing.
  invalid,
  /// A valid credential: `who` says whose.
  valid,
};

struct identity {
  principal who;
  credential_check check = credential_check::absent;
};

/// Reads the request's credentials.
identity resolve_identity(const request& req, std::string_view admin_token);

/// The 401 for a request to a route that needs `need` from `id`, or
/// nothing if `id` may use it. Without the credentials a client learns
/// nothing else (not whether a tenant exists, nor whether a body would be
/// valid).
std::optional<response> refuse_access(const request_facts& facts,
                                      const identity& id, access need);

/// Compares in a time that depends only on the length of `secret`, so that
/// timing does not tell a client how much of a guess was right.
bool same_secret(std::string_view given, std::string_view secret);

} // namespace tenantd::http
