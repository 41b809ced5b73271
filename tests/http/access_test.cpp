// Who may do what, as one table: each principal (anonymous, tenant A's
// member and admin users, A's member and admin API keys, tenant B's admin,
// the platform admin) against each endpoint of tenant A ("alpha", auth
// "required"), each cell the status the documented rules give (and, for a
// refusal, its detail): http/auth.cpp refuse_access for the routes of the
// platform admin, core/tenant_identity.cpp permits for the rest (a
// tenant's admins also read its settings and change its name, welcome,
// model and reply, not its limits, auth or status). Refused writes change
// nothing.
//
// TENANTD_PRINT_MATRIX=1 prints the matrix as a markdown table (an
// endpoint per row, a principal per column) for docs/access.md.

#include <array>
#include <cstdlib>
#include <iostream>

#include "tests/support/credentials.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

// -- the matrix ---------------------------------------------------------------

/// What a cell expects.
enum class cell {
  ok,              // 200
  created,         // 201
  deleted,         // 204
  unauthenticated, // 401 Not authenticated
  role,            // 403 Role does not permit this
  other_tenant,    // 403 Credential does not belong to tenant
  platform_only,   // 403 Not permitted
  principal,       // 403 Session does not belong to principal
};

struct expectation {
  status code;
  /// The detail of a refusal; null for a success.
  const char* detail;
  /// As the printed table shows it.
  const char* label;
};

expectation expected(cell c) {
  switch (c) {
    case cell::ok: return {status::ok, nullptr, "200"};
    case cell::created: return {status::created, nullptr, "201"};
    case cell::deleted: return {status::no_content, nullptr, "204"};
    case cell::unauthenticated:
      return {status::unauthorized, "Not authenticated", "401"};
    case cell::role:
      return {status::forbidden, "Role does not permit this", "403 role"};
    case cell::other_tenant:
      return {status::forbidden, "Credential does not belong to tenant",
              "403 other tenant"};
    case cell::platform_only:
      return {status::forbidden, "Not permitted", "403 platform only"};
    case cell::principal:
      return {status::forbidden, "Session does not belong to principal",
              "403 principal"};
  }
  return {status::internal_server_error, nullptr, "?"};
}

enum endpoint : std::size_t {
  open_session_,
  chat_,
  read_messages_,
  clear_messages_,
  list_users,
  create_user_,
  read_self,
  patch_other,
  delete_user,
  list_keys,
  create_key_,
  delete_key,
  read_audit,
  verify_audit,
  read_all_audit,
  list_tenants,
  read_tenant,
  patch_tenant,
  suspend_tenant,
  rotate_keys,
  endpoints
};

const char* const endpoint_names[endpoints] = {
  "POST /session (A)",
  "POST /chat (A)",
  "GET /sessions/{s}/messages?tenant_id=A",
  "DELETE /sessions/{s}/messages?tenant_id=A",
  "GET /tenants/A/users",
  "POST /tenants/A/users",
  "GET /tenants/A/users/{self}",
  "PATCH /tenants/A/users/{other}",
  "DELETE /tenants/A/users/{other}",
  "GET /tenants/A/keys",
  "POST /tenants/A/keys",
  "DELETE /tenants/A/keys/{key}",
  "GET /tenants/A/audit",
  "GET /tenants/A/audit/verify",
  "GET /audit",
  "GET /tenants",
  "GET /tenants/A",
  "PATCH /tenants/A",
  "POST /tenants/A/suspend",
  "POST /auth/keys/rotate",
};

enum who : std::size_t {
  nobody,
  member_a,
  admin_a,
  member_key_a,
  admin_key_a,
  admin_b,
  platform,
  principals
};

const char* const principal_names[principals] = {
  "anonymous",      "member of A",    "admin of A",    "member key of A",
  "admin key of A", "admin of B",     "platform admin"};

constexpr auto O = cell::ok;
constexpr auto N = cell::created;
constexpr auto D = cell::deleted;
constexpr auto U = cell::unauthenticated;
constexpr auto R = cell::role;
constexpr auto T = cell::other_tenant;
constexpr auto P = cell::platform_only;
constexpr auto S = cell::principal;

// A row per principal, a column per endpoint (in the order above).
// {s} is a session the member of A opened (the standing one).
//                                    session chat | messages: read clear | users: list create self patch delete | keys: list create delete | audit verify | /audit /tenants read patch suspend rotate
const std::array<std::array<cell, endpoints>, principals> matrix = {{
  /* anonymous       */ {U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U},
  /* member of A     */ {O, O, O, D, R, R, O, R, R, R, R, R, R, R, P, P, R, R, P, P},
  /* admin of A      */ {O, O, O, D, O, N, O, O, D, O, N, D, O, O, P, P, O, O, P, P},
  /* member key of A */ {O, O, S, S, R, R, R, R, R, R, R, R, R, R, P, P, R, R, P, P},
  /* admin key of A  */ {O, O, O, D, O, N, O, O, D, O, N, D, O, O, P, P, O, O, P, P},
  /* admin of B      */ {T, T, T, T, T, T, T, T, T, T, T, T, T, T, P, P, T, T, P, P},
  /* platform admin  */ {O, O, O, D, O, N, O, O, D, O, N, D, O, O, O, O, O, O, O, O},
}};

void print_matrix() {
  std::cout << "| endpoint |";
  for (auto* name : principal_names)
    std::cout << ' ' << name << " |";
  std::cout << "\n|---|";
  for (std::size_t p = 0; p < principals; ++p)
    std::cout << "---|";
  std::cout << '\n';
  for (std::size_t e = 0; e < endpoints; ++e) {
    std::cout << "| `" << endpoint_names[e] << "` |";
    for (std::size_t p = 0; p < principals; ++p)
      std::cout << ' ' << expected(matrix[p][e]).label << " |";
    std::cout << '\n';
  }
  std::cout << "\nTenant A has \"auth\": \"required\". 401: `Not "
               "authenticated`; 403 role: `Role does not permit this`; 403 "
               "other tenant: `Credential does not belong to tenant`; 403 "
               "platform only: `Not permitted`; 403 principal: `Session does "
               "not belong to principal`. {s} is a session the member of A "
               "opened. {self} is the caller's own "
               "user (a member's record for a key); a member key is no "
               "user, so it cannot read one. A tenant's admins PATCH its "
               "name, welcome, model and reply only (anything else: 403 "
               "role).\n";
}

// -- the test -----------------------------------------------------------------

class HttpAccess : public http_test {
protected:
  HttpAccess() : http_test({required_tenant("alpha"), required_tenant("beta")}) {
  }

  void SetUp() override {
    member = add_user(client, "alpha", "member@alpha.test",
                         "member-password-1");
    admin = add_user(client, "alpha", "admin@alpha.test",
                        "admin-password-01", "admin");
    other = add_user(client, "alpha", "other@alpha.test",
                        "other-password-01");
    auto b_admin = add_user(client, "beta", "admin@beta.test",
                               "beta-admin-pass-1", "admin");
    member_key = add_key(client, "alpha", "member key");
    admin_key = add_key(client, "alpha", "admin key", "admin");
    spare_key = add_key(client, "alpha", "spare key");
    headers[nobody] = anonymous;
    headers[member_a] = bearer(login(client, "alpha", member));
    headers[admin_a] = bearer(login(client, "alpha", admin));
    headers[member_key_a] = bearer(member_key.key);
    headers[admin_key_a] = bearer(admin_key.key);
    headers[admin_b] = bearer(login(client, "beta", b_admin));
    headers[platform] = admin_auth;
    self[nobody] = member.id;
    self[member_a] = member.id;
    self[admin_a] = admin.id;
    self[member_key_a] = member.id;
    self[admin_key_a] = member.id;
    self[admin_b] = b_admin.id;
    self[platform] = member.id;
    standing_session = open_session_as(client, headers[member_a], "alpha");
  }

  /// Sends principal `p`'s request to endpoint `e`. `opened`, `new_user`
  /// and `new_key` carry what the row made (a session, a user, a key) to
  /// the endpoints that use it.
  http_response call(std::size_t p, std::size_t e, std::string& opened,
                     std::string& new_user, std::string& new_key) {
    auto& as = headers[p];
    const std::string users = "/tenants/alpha/users";
    const std::string keys = "/tenants/alpha/keys";
    switch (e) {
      case open_session_: {
        auto res = request_as(client, as, verb::post, "/session",
                              session_json("alpha"));
        if (res.result() == status::ok)
          opened = string_at(body_object(res), "session_id");
        return res;
      }
      case chat_:
        return chat_as(client, as, "alpha",
                       opened.empty() ? standing_session : opened);
      case read_messages_:
        return request_as(client, as, verb::get,
                          "/sessions/" + standing_session
                            + "/messages?tenant_id=alpha");
      case clear_messages_:
        return request_as(client, as, verb::delete_,
                          "/sessions/" + standing_session
                            + "/messages?tenant_id=alpha");
      case list_users:
        return request_as(client, as, verb::get, users);
      case create_user_: {
        auto res = request_as(
          client, as, verb::post, users,
          user_json("new-" + std::to_string(p) + "@alpha.test",
                    "new-user-password"));
        if (res.result() == status::created)
          new_user = string_at(body_object(res), "id");
        return res;
      }
      case read_self:
        return request_as(client, as, verb::get, users + "/" + self[p]);
      case patch_other:
        return request_as(client, as, verb::patch, users + "/" + other.id,
                          R"({"disabled":false})");
      case delete_user:
        // What the row created, so that the standing user stays.
        return request_as(client, as, verb::delete_,
                          users + "/" + (new_user.empty() ? other.id : new_user));
      case list_keys:
        return request_as(client, as, verb::get, keys);
      case create_key_: {
        auto res = request_as(client, as, verb::post, keys,
                              key_json("key of row " + std::to_string(p)));
        if (res.result() == status::created)
          new_key = string_at(body_object(res), "id");
        return res;
      }
      case delete_key:
        return request_as(client, as, verb::delete_,
                          keys + "/" + (new_key.empty() ? spare_key.id : new_key));
      case read_audit:
        return request_as(client, as, verb::get, "/tenants/alpha/audit");
      case verify_audit:
        return request_as(client, as, verb::get, "/tenants/alpha/audit/verify");
      case read_all_audit:
        return request_as(client, as, verb::get, "/audit");
      case list_tenants:
        return request_as(client, as, verb::get, "/tenants");
      case read_tenant:
        return request_as(client, as, verb::get, "/tenants/alpha");
      case patch_tenant:
        return request_as(client, as, verb::patch, "/tenants/alpha",
                          R"({"name":"Tenant alpha"})");
      case suspend_tenant: {
        auto res = request_as(client, as, verb::post, "/tenants/alpha/suspend");
        // The rows and columns after this one need the tenant active.
        if (res.result() == status::ok) {
          auto resumed = admin_post("/tenants/alpha/resume");
          EXPECT_EQ(resumed.result(), status::ok) << resumed.body();
        }
        return res;
      }
      case rotate_keys:
        return request_as(client, as, verb::post, "/auth/keys/rotate");
    }
    ADD_FAILURE() << "no endpoint " << e;
    return {};
  }

  test_user member, admin, other;
  test_key member_key, admin_key, spare_key;
  std::array<http_headers, principals> headers;
  std::array<std::string, principals> self;
  std::string standing_session;
};

TEST_F(HttpAccess, EachPrincipalGetsTheDocumentedAnswerFromEachEndpoint) {
  if (auto* print = std::getenv("TENANTD_PRINT_MATRIX");
      print != nullptr && std::string{print} == "1")
    print_matrix();
  for (std::size_t p = 0; p < principals; ++p) {
    std::string opened, new_user, new_key;
    for (std::size_t e = 0; e < endpoints; ++e) {
      SCOPED_TRACE(std::string{principal_names[p]} + " -> "
                   + endpoint_names[e]);
      auto want = expected(matrix[p][e]);
      auto res = call(p, e, opened, new_user, new_key);
      EXPECT_EQ(res.result(), want.code) << res.body();
      if (want.detail != nullptr) {
        EXPECT_EQ(res.body(), detail(want.detail));
      }
      if (want.code == status::unauthorized) {
        EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer");
      }
    }
  }
}

TEST_F(HttpAccess, RefusedWritesChangeNothing) {
  // Every principal but those allowed tries to delete, change and create.
  for (std::size_t p : {nobody, member_a, member_key_a, admin_b}) {
    SCOPED_TRACE(principal_names[p]);
    auto& as = headers[p];
    EXPECT_NE(request_as(client, as, verb::delete_,
                         "/tenants/alpha/users/" + other.id).result(),
              status::no_content);
    EXPECT_NE(request_as(client, as, verb::patch,
                         "/tenants/alpha/users/" + other.id,
                         R"({"role":"admin","disabled":true})").result(),
              status::ok);
    EXPECT_NE(request_as(client, as, verb::delete_,
                         "/tenants/alpha/keys/" + spare_key.id).result(),
              status::no_content);
    EXPECT_NE(request_as(client, as, verb::post, "/tenants/alpha/keys",
                         key_json("sneaky", "admin")).result(),
              status::created);
  }
  auto got = admin_get("/tenants/alpha/users/" + other.id);
  ASSERT_EQ(got.result(), status::ok) << got.body();
  EXPECT_EQ(json::parse(got.body()).at("role"), "member");
  EXPECT_EQ(json::parse(got.body()).at("disabled"), false);
  auto listed = admin_get("/tenants/alpha/keys");
  ASSERT_EQ(listed.result(), status::ok) << listed.body();
  auto keys = json::parse(listed.body()).at("keys").as_array();
  EXPECT_EQ(keys.size(), 3u); // member, admin and spare: no "sneaky"
  EXPECT_EQ(json::parse(listed.body()).at("total"), 3);
  // The spare key still opens sessions.
  open_session_as(client, bearer(spare_key.key), "alpha");
}

TEST_F(HttpAccess, ATenantAdminChangesItsSettingsButNotItsLimitsAuthOrStatus) {
  for (auto* as : {&headers[admin_a], &headers[admin_key_a]}) {
    auto ok = request_as(client, *as, verb::patch, "/tenants/alpha",
                         R"({"name":"Alpha","welcome":"Hello.","model":"m2",)"
                         R"("reply":"{welcome} {message}"})");
    ASSERT_EQ(ok.result(), status::ok) << ok.body();
    EXPECT_EQ(json::parse(ok.body()).at("name"), "Alpha");
    for (auto patch : {R"({"limits":{"chat_per_10s":1000}})",
                       R"({"auth":"open"})", R"({"status":"suspended"})",
                       R"({"id":"other"})", R"({"name":"Alpha2","auth":"open"})"}) {
      SCOPED_TRACE(patch);
      expect_detail(request_as(client, *as, verb::patch, "/tenants/alpha", patch),
                    status::forbidden, "Role does not permit this");
    }
  }
  // Nothing of that went through: the tenant still requires credentials.
  auto got = admin_get("/tenants/alpha");
  ASSERT_EQ(got.result(), status::ok) << got.body();
  auto t = json::parse(got.body());
  EXPECT_EQ(t.at("name"), "Alpha");
  EXPECT_EQ(t.at("auth"), "required");
  EXPECT_EQ(t.at("status"), "active");
  EXPECT_EQ(t.at("limits"), json::object{});
  expect_401(client.post("/session", session_json("alpha")), "Not authenticated",
             "Bearer");
}

// A tenant's admins choose its model settings and bring their own key, but
// where the calls go (base_url, fallbacks) and what costs the shared
// process (history, timeouts) are the platform's to set.
TEST_F(HttpAccess, ATenantAdminTunesItsAiButNotWhereItsCallsGo) {
  auto set_route = admin_patch(
    "/tenants/alpha", R"({"ai":{"base_url":"https://llm.example.com/v1"}})");
  ASSERT_EQ(set_route.result(), status::ok) << set_route.body();
  auto ok = request_as(client, headers[admin_a], verb::patch, "/tenants/alpha",
                       R"({"ai":{"provider":"openai","model":"gpt-4o-mini",)"
                       R"("api_key":"sk-alpha-own-key","temperature":0.2,)"
                       R"("system_prompt":"You work for {name}."}})");
  ASSERT_EQ(ok.result(), status::ok) << ok.body();
  EXPECT_EQ(ok.body().find("sk-alpha-own-key"), std::string::npos);
  auto ai = json::parse(ok.body()).at("ai");
  EXPECT_EQ(ai.at("model"), "gpt-4o-mini");
  EXPECT_EQ(ai.at("api_key_set"), true);
  for (auto patch :
       {R"({"ai":{"base_url":"http://169.254.169.254/latest"}})",
        R"({"ai":{"fallbacks":[{"base_url":"http://10.0.0.1","model":"m"}]}})",
        R"({"ai":{"history":{"turns":1000,"tokens":1000000}}})",
        R"({"ai":{"breaker":{"failures":0}}})",
        R"({"ai":{"timeout_ms":600000}})", R"({"ai":null})"}) {
    SCOPED_TRACE(patch);
    expect_detail(request_as(client, headers[admin_a], verb::patch,
                             "/tenants/alpha", patch),
                  status::forbidden, "Role does not permit this");
  }
  auto got = json::parse(admin_get("/tenants/alpha").body());
  EXPECT_EQ(got.at("ai").at("base_url"), "https://llm.example.com/v1");
  EXPECT_EQ(got.at("ai").at("fallbacks"), json::array{});
}

} // namespace
