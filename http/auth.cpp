#include "http/auth.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>

#include "core/api_key.hpp"
#include "core/clock.hpp"
#include "core/identity.hpp"
#include "crypto/digest.hpp"
#include "http/bridge.hpp"
#include "http/respond.hpp"
#include "http/tokens.hpp"

namespace tenantd::http {

namespace beast_http = boost::beast::http;

namespace {

// The credentials of "Authorization: Bearer <token>", or nothing if the
// header has another form.
std::optional<std::string_view> bearer_token(std::string_view header) {
  auto space = header.find(' ');
  if (space == std::string_view::npos
      || !boost::beast::iequals(header.substr(0, space), "Bearer"))
    return std::nullopt;
  auto token = header.substr(space);
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  if (token.empty())
    return std::nullopt;
  return token;
}

identity made(principal who, credential_check check) {
  identity id;
  id.who = std::move(who);
  id.check = check;
  return id;
}

response unauthorized(const request_facts& facts, std::string_view detail,
                      std::string_view challenge) {
  auto res = detail_response(facts, beast_http::status::unauthorized, detail);
  res.set(beast_http::field::www_authenticate, challenge);
  return res;
}

} // namespace

identity resolve_identity(const request& req, const router_options& options) {
  auto it = req.find(beast_http::field::authorization);
  if (it == req.end())
    return made(principal::anonymous(), credential_check::absent);
  auto token = bearer_token({it->value().data(), it->value().size()});
  if (!token)
    return made(principal::anonymous(), credential_check::malformed);
  if (same_secret(*token, options.admin_token))
    return made(principal::platform_admin(), credential_check::valid);
  if (auto key = parse_api_key(*token)) {
    principal who;
    who.kind = principal_kind::api_key;
    who.tenant = std::string{key->tenant};
    who.key_digest = crypto::to_hex(crypto::hmac_sha256(options.key_secret, *token));
    return made(std::move(who), credential_check::valid);
  }
  auto refused = made(principal::anonymous(), credential_check::invalid);
  refused.refused = true;
  refused.why = "malformed";
  if (options.tokens) {
    auto now = unix_millis() / 1000;
    auto verdict = options.tokens->verify(*token, now);
    if (verdict.who)
      return made(std::move(*verdict.who), credential_check::valid);
    refused.why = to_string(verdict.why);
  }
  return refused;
}

void audit_refused_token(lane& asks, const identity& id) {
  auto e = make_audit_event("", id.who, "token.refused",
                            "token:" + std::string{id.why}, "denied",
                            unix_millis());
  asks.tell_registry(record_audit{std::move(e)});
}

std::optional<response> refuse_access(const request_facts& facts,
                                      const identity& id, access need) {
  if (id.who.may_administer_tenants())
    return std::nullopt;
  if (need == access::platform_admin) {
    if (id.check == credential_check::invalid)
      return unauthorized(facts, "Invalid admin token",
                          "Bearer error=\"invalid_token\"");
    if (id.who.of_a_tenant())
      return detail_response(facts, beast_http::status::forbidden,
                             "Not permitted");
    return unauthorized(facts, "Not authenticated", "Bearer");
  }
  // A bearer credential sent is checked on every route: a wrong one is
  // never taken for no credential. Another scheme (Basic, say, from a
  // probe or a proxy) is not ours: none where none is needed, else "not
  // authenticated" (RFC 6750 3.1: no error code for a request without
  // our credential).
  if (id.check == credential_check::invalid)
    return unauthorized(facts, "Invalid credential",
                        "Bearer error=\"invalid_token\"");
  if (need == access::credential && !id.who.of_a_tenant())
    return unauthorized(facts, "Not authenticated", "Bearer");
  return std::nullopt;
}

} // namespace tenantd::http
