#pragma once

// Users, API keys and access tokens for the HTTP-level tests, all made
// through the API: tenants that require credentials, users and keys
// created by the platform admin (or whoever `as` names), the password and
// client-credentials grants, requests and sessions on behalf of a
// credential, and the service's own signing keys (read from its data
// directory, so that a test can sign tokens with any claims).
//
// Every password hash costs ~50 ms at the service's minimum Argon2id cost:
// tests create few users and log in few times. Each service also throttles
// an address after 5 failed logins in a row: a test fails fewer.

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/api_key.hpp"
#include "core/clock.hpp"
#include "crypto/keyring.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/jwt.hpp"

namespace tenantd::test {

// -- tenants ------------------------------------------------------------------

/// plain_tenant(id) with "auth": "required".
inline tenant_config required_tenant(std::string id) {
  auto t = plain_tenant(std::move(id));
  t.auth = auth_mode::required;
  return t;
}

/// Two tenants that require credentials ("alpha", "beta") and an open one
/// ("opal").
inline std::vector<tenant_config> identity_tenants() {
  return {required_tenant("alpha"), required_tenant("beta"),
          plain_tenant("opal")};
}

// -- requests on behalf of a credential ---------------------------------------

/// "Authorization: Bearer <credential>".
inline http_headers bearer(std::string_view credential) {
  return {{"Authorization", "Bearer " + std::string{credential}}};
}

/// No Authorization header.
inline const http_headers anonymous = {};

/// A request presenting `who`; a body goes as JSON (merge patch for PATCH).
inline http_response request_as(http_client& c, const http_headers& who,
                                verb method, std::string_view target,
                                std::string body = {}) {
  std::optional<std::string> type;
  if (!body.empty())
    type = method == verb::patch ? "application/merge-patch+json"
                                 : "application/json";
  return c.request(method, target, std::move(body), std::move(type), who);
}

inline json::object body_object(const http_response& res) {
  boost::system::error_code ec;
  auto v = json::parse(res.body(), ec);
  return !ec && v.is_object() ? v.get_object() : json::object{};
}

inline std::string string_at(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  return v != nullptr && v->is_string() ? std::string{v->get_string()}
                                        : std::string{};
}

/// POST /session for `tenant` as `who`: the session id (empty, and a
/// failure, unless 200).
inline std::string open_session_as(http_client& c, const http_headers& who,
                                   std::string_view tenant) {
  auto res = request_as(c, who, verb::post, "/session", session_json(tenant));
  EXPECT_EQ(res.result(), status::ok) << res.body();
  return string_at(body_object(res), "session_id");
}

inline http_response chat_as(http_client& c, const http_headers& who,
                             std::string_view tenant, std::string_view session,
                             std::string_view message = "hello") {
  return request_as(c, who, verb::post, "/chat",
                    chat_json(tenant, session, message));
}

/// Asserts the 401 that every refused credential gets.
inline void expect_invalid_credential(const http_response& res) {
  expect_401(res, "Invalid credential", R"(Bearer error="invalid_token")");
}

// -- users --------------------------------------------------------------------

struct test_user {
  std::string id;
  std::string email;
  std::string password;
};

inline std::string user_json(std::string_view email, std::string_view password,
                             std::string_view role = {}) {
  json::object obj{{"email", email}, {"password", password}};
  if (!role.empty())
    obj["role"] = role;
  return json::serialize(obj);
}

/// POST /tenants/{tenant}/users as `as`; expects 201.
inline test_user add_user(http_client& c, std::string_view tenant,
                             std::string email, std::string password,
                             std::string_view role = "member",
                             const http_headers& as = admin_auth) {
  auto res = request_as(c, as, verb::post,
                        "/tenants/" + std::string{tenant} + "/users",
                        user_json(email, password, role));
  EXPECT_EQ(res.result(), status::created) << res.body();
  return {string_at(body_object(res), "id"), std::move(email),
          std::move(password)};
}

// -- API keys -----------------------------------------------------------------

struct test_key {
  std::string id;
  /// The secret, shown once.
  std::string key;
};

inline std::string key_json(std::string_view name, std::string_view role = {}) {
  json::object obj{{"name", name}};
  if (!role.empty())
    obj["role"] = role;
  return json::serialize(obj);
}

/// POST /tenants/{tenant}/keys as `as`; expects 201.
inline test_key add_key(http_client& c, std::string_view tenant,
                           std::string_view name,
                           std::string_view role = "member",
                           const http_headers& as = admin_auth) {
  auto res = request_as(c, as, verb::post,
                        "/tenants/" + std::string{tenant} + "/keys",
                        key_json(name, role));
  EXPECT_EQ(res.result(), status::created) << res.body();
  auto body = body_object(res);
  return {string_at(body, "id"), string_at(body, "key")};
}

/// A key of the right format for `tenant` (its checksum right) that the
/// service never issued: the router takes it for the tenant's, the tenant
/// refuses it.
inline std::string made_up_key(std::string_view tenant) {
  return make_api_key(tenant);
}

// -- tokens -------------------------------------------------------------------

/// application/x-www-form-urlencoded of `fields` (unreserved characters
/// kept, everything else %XX).
inline std::string form_body(
  std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out;
  auto encode = [&](std::string_view s) {
    for (unsigned char ch : s) {
      if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
        out += static_cast<char>(ch);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", ch);
        out += buf;
      }
    }
  };
  for (auto& [name, value] : fields) {
    if (!out.empty())
      out += '&';
    encode(name);
    out += '=';
    encode(value);
  }
  return out;
}

inline constexpr const char* form_type = "application/x-www-form-urlencoded";

/// POST /auth/token with the password grant, form-encoded.
inline http_response password_grant(http_client& c, std::string_view tenant,
                                    std::string_view username,
                                    std::string_view password) {
  return c.request(verb::post, "/auth/token",
                   form_body({{"grant_type", "password"},
                              {"tenant", tenant},
                              {"username", username},
                              {"password", password}}),
                   form_type);
}

/// The access token of a password grant; expects 200.
inline std::string login(http_client& c, std::string_view tenant,
                         const test_user& u) {
  auto res = password_grant(c, tenant, u.email, u.password);
  EXPECT_EQ(res.result(), status::ok) << res.body();
  return string_at(body_object(res), "access_token");
}

/// POST /auth/token with the client-credentials grant, the key in the
/// Authorization header.
inline http_response client_credentials(http_client& c, std::string_view key) {
  return c.request(verb::post, "/auth/token",
                   form_body({{"grant_type", "client_credentials"}}),
                   form_type, bearer(key));
}

/// The service's signing keys, read from its data directory (the current
/// one first).
inline crypto::keyring service_keyring(const running_service& s) {
  return crypto::keyring::open(s.data_dir() + "/signing-keys", unix_millis());
}

} // namespace tenantd::test
