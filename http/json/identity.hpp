#pragma once

// JSON in and out for a tenant's users and API keys
// (/tenants/{id}/users, /tenants/{id}/keys). Bodies are parsed and bounded
// like every other (decode_merge_patch), then each field is checked; each
// problem is a value_error at its field (config_failure), so a client gets
// every problem at once. Password hashes and key digests are never shown,
// and a key's secret only in the answer that creates it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/identity.hpp"
#include "core/tenant_config.hpp"
#include "http/json/codec.hpp"

namespace tenantd::http {

/// POST /tenants/{id}/users: {"email", "password", "role"?} (role
/// "member" by default).
struct new_user_body {
  std::string email;
  std::string password;
  tenant_role role = tenant_role::member;
};

/// PATCH /tenants/{id}/users/{user_id}: any of "role", "password",
/// "disabled".
struct user_patch_body {
  std::optional<tenant_role> role;
  std::optional<std::string> password;
  std::optional<bool> disabled;
};

/// POST /tenants/{id}/keys: {"name", "role"?, "expires_at"?} (RFC 3339
/// UTC, in the future).
struct new_key_body {
  std::string name;
  tenant_role role = tenant_role::member;
  int64_t expires_at = 0;
};

/// The problems of each body, by field (empty: valid).
std::vector<config_error> read_new_user(const boost::json::object& obj,
                                        new_user_body& out);
std::vector<config_error> read_user_patch(const boost::json::object& obj,
                                          user_patch_body& out);
std::vector<config_error> read_new_key(const boost::json::object& obj,
                                       int64_t now_ms, new_key_body& out);

/// "2026-11-27T04:38:57Z" or with fractional seconds, UTC only; Unix ms.
std::optional<int64_t> parse_rfc3339(std::string_view text);

/// {"id","email","role","disabled","created_at","updated_at"}
std::string user_body(const user_record& u);

/// {"users":[...],"offset","limit","total","next"} (next: under `base`).
std::string user_page_body(const user_page& page, const page_request& request,
                           std::string_view base);

/// {"id","name","role","prefix","created_at","expires_at","last_used_at"}
/// (times null for never), and "key" (the secret) when `secret` is given.
std::string key_body(const api_key_record& k, std::string_view secret = {});

/// {"keys":[...],"offset","limit","total","next"}
std::string key_page_body(const api_key_page& page,
                          const page_request& request, std::string_view base);

} // namespace tenantd::http
