#include "http/auth.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>

#include "http/respond.hpp"

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

} // namespace

bool same_secret(std::string_view given, std::string_view secret) {
  bool same_length = given.size() == secret.size();
  // On a length mismatch the secret is compared with itself: the same work,
  // and the answer is false all the same.
  auto probe = same_length ? given : secret;
  unsigned char diff = same_length ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>(probe[i] ^ secret[i]);
  return diff == 0;
}

identity resolve_identity(const request& req, std::string_view admin_token) {
  auto it = req.find(beast_http::field::authorization);
  if (it == req.end())
    return {principal::anonymous(), credential_check::absent};
  auto token = bearer_token({it->value().data(), it->value().size()});
  if (!token)
    return {principal::anonymous(), credential_check::malformed};
  if (!same_secret(*token, admin_token))
    return {principal::anonymous(), credential_check::invalid};
  return {principal::platform_admin(), credential_check::valid};
}

std::optional<response> refuse_access(const request_facts& facts,
                                      const identity& id, access need) {
  if (need == access::anyone || id.who.may_administer_tenants())
    return std::nullopt;
  if (id.check == credential_check::invalid) {
    auto res = detail_response(facts, beast_http::status::unauthorized,
                               "Invalid admin token");
    res.set(beast_http::field::www_authenticate,
            "Bearer error=\"invalid_token\"");
    return res;
  }
  auto res = detail_response(facts, beast_http::status::unauthorized,
                             "Not authenticated");
  res.set(beast_http::field::www_authenticate, "Bearer");
  return res;
}

} // namespace tenantd::http
