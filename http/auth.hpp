#pragma once

// Who is asking: resolved once per request, before routing decides what the
// request may do. No handler reads Authorization itself.
//
// "Authorization: Bearer <credential>" (scheme in any case), where the
// credential is
// - the admin token: the platform admin;
// - a tenant's API key (core/api_key.hpp): a principal of the key's tenant
//   carrying the key's keyed digest, which that tenant's actor alone looks
//   up (a key with a wrong checksum is refused here, without a lookup);
// - an access token (tokens.hpp): verified here (once, then cached), a
//   principal of the token's tenant whose holder that tenant's actor
//   checks.
// No header is anonymous. Credentials are accepted in this header only,
// never in a query string; they are compared in constant time and never
// logged or echoed.

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
  /// A credential of the right form: `who` says whose (a tenant's is
  /// checked by its tenant actor).
  valid,
};

struct identity {
  principal who;
  credential_check check = credential_check::absent;
  /// An invalid bearer token, and why (audited as "token.refused").
  bool refused = false;
  std::string_view why;
};

/// Reads the request's credentials.
identity resolve_identity(const request& req, const router_options& options);

/// Records a refused token in the platform's audit chain (through the
/// registry): who tried, from where, and why; never the token.
void audit_refused_token(lane& asks, const identity& id);

/// The 401 (or 403) for a request to a route that needs `need` from `id`,
/// or nothing if `id` may use it. Without the credentials a client learns
/// nothing else (not whether a tenant exists, nor whether a body would be
/// valid).
std::optional<response> refuse_access(const request_facts& facts,
                                      const identity& id, access need);

} // namespace tenantd::http
