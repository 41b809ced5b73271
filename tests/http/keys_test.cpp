// A tenant's API keys over HTTP (/tenants/{id}/keys): a key is created
// with its secret shown in that answer only (Cache-Control: no-store, in
// the tdk_<tenant>_… format secret scanners know), listed by its metadata
// and never its secret, used at once on its own tenant only, and refused
// the moment it is revoked or expires; a key with a wrong checksum or one
// never issued opens nothing; invalid bodies are 422 at their field. Who
// may manage keys is the matrix of access_test.cpp.

#include <regex>
#include <thread>

#include "tests/support/credentials.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

class HttpKeys : public http_test {
protected:
  HttpKeys() : http_test(identity_tenants()) {
  }

  http_response post_key(std::string body, std::string_view tenant = "alpha") {
    return admin_post("/tenants/" + std::string{tenant} + "/keys",
                      std::move(body));
  }

  /// The loc and msg of each item of a 422.
  static std::vector<std::string> problems(const http_response& res) {
    std::vector<std::string> out;
    auto parsed = json::parse(res.body());
    for (auto& item : parsed.at("detail").as_array())
      out.push_back(json::serialize(item.at("loc")) + " "
                    + std::string{item.at("msg").as_string()});
    return out;
  }
};

TEST_F(HttpKeys, ACreatedKeyIsShownOnceAndNeverCached) {
  auto res = post_key(key_json("deploy bot"));
  ASSERT_EQ(res.result(), status::created) << res.body();
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  auto body = body_object(res);
  auto id = string_at(body, "id");
  auto key = string_at(body, "key");
  EXPECT_TRUE(std::regex_match(id, std::regex{"key_[A-Za-z0-9_-]{22}"})) << id;
  EXPECT_EQ(header(res, "Location"), "/tenants/alpha/keys/" + id);
  EXPECT_TRUE(std::regex_match(key, std::regex{std::string{api_key_pattern}}))
    << key;
  EXPECT_EQ(key.rfind("tdk_alpha_", 0), 0u) << key;
  auto created = string_at(body, "created_at");
  EXPECT_EQ(res.body(), R"({"id":")" + id
                          + R"(","name":"deploy bot","role":"member","prefix":")"
                          + key.substr(0, 14) + R"(","created_at":")" + created
                          + R"(","expires_at":null,"last_used_at":null,"key":")"
                          + key + R"("})");
  // Another key is another secret.
  auto second = add_key(client, "alpha", "deploy bot");
  EXPECT_NE(second.key, key);
  EXPECT_NE(second.id, id);
}

TEST_F(HttpKeys, TheListingShowsMetadataButNeverTheSecret) {
  auto member = add_key(client, "alpha", "reader");
  auto admin = add_key(client, "alpha", "ops", "admin");
  auto res = admin_get("/tenants/alpha/keys");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body().find(member.key), std::string::npos);
  EXPECT_EQ(res.body().find(admin.key), std::string::npos);
  auto body = json::parse(res.body()).as_object();
  EXPECT_EQ(body.at("total"), 2);
  auto& keys = body.at("keys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("id"), member.id.c_str());
  EXPECT_EQ(keys[0].at("name"), "reader");
  EXPECT_EQ(keys[0].at("role"), "member");
  EXPECT_EQ(keys[0].at("prefix"), member.key.substr(0, 14).c_str());
  EXPECT_FALSE(keys[0].as_object().contains("key"));
  EXPECT_EQ(keys[1].at("id"), admin.id.c_str());
  EXPECT_EQ(keys[1].at("role"), "admin");
  EXPECT_TRUE(keys[1].at("last_used_at").is_null());
  // A use shows as last_used_at.
  open_session_as(client, bearer(admin.key), "alpha");
  auto after = json::parse(admin_get("/tenants/alpha/keys").body());
  EXPECT_TRUE(after.at("keys").as_array()[1].at("last_used_at").is_string())
    << after;
  EXPECT_TRUE(after.at("keys").as_array()[0].at("last_used_at").is_null());
  // Paged as users are.
  auto page = json::parse(admin_get("/tenants/alpha/keys?limit=1").body());
  EXPECT_EQ(page.at("keys").as_array().size(), 1u);
  EXPECT_EQ(page.at("next"), "/tenants/alpha/keys?offset=1&limit=1");
}

TEST_F(HttpKeys, AKeyOpensItsOwnTenantAtOnceAndNoOther) {
  auto k = add_key(client, "alpha", "client");
  auto as_key = bearer(k.key);
  auto sid = open_session_as(client, as_key, "alpha");
  auto res = chat_as(client, as_key, "alpha", sid, "hi");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  // Not another tenant's, required or open.
  for (auto other : {"beta", "opal"}) {
    SCOPED_TRACE(other);
    expect_detail(request_as(client, as_key, verb::post, "/session",
                             session_json(other)),
                  status::forbidden, "Credential does not belong to tenant");
    expect_detail(request_as(client, as_key, verb::get,
                             "/tenants/" + std::string{other} + "/users"),
                  status::forbidden, "Credential does not belong to tenant");
  }
  // Nor the platform admin's routes.
  expect_detail(request_as(client, as_key, verb::get, "/tenants"),
                status::forbidden, "Not permitted");
}

TEST_F(HttpKeys, ARevokedKeyIsRefusedAtOnce) {
  auto k = add_key(client, "alpha", "to revoke");
  auto as_key = bearer(k.key);
  auto sid = open_session_as(client, as_key, "alpha");
  auto token = string_at(body_object(client_credentials(client, k.key)),
                         "access_token");
  ASSERT_FALSE(token.empty());
  auto res = admin_delete("/tenants/alpha/keys/" + k.id);
  EXPECT_EQ(res.result(), status::no_content) << res.body();
  EXPECT_EQ(res.body(), "");
  // The very next request, with the key or the token it got.
  expect_invalid_credential(chat_as(client, as_key, "alpha", sid));
  expect_invalid_credential(
    request_as(client, as_key, verb::post, "/session", session_json("alpha")));
  expect_invalid_credential(request_as(client, bearer(token), verb::post,
                                       "/session", session_json("alpha")));
  auto grant = client_credentials(client, k.key);
  EXPECT_EQ(grant.result(), status::unauthorized) << grant.body();
  EXPECT_EQ(string_at(body_object(grant), "error"), "invalid_client");
  expect_detail(admin_delete("/tenants/alpha/keys/" + k.id), status::not_found,
                "Unknown API key");
  EXPECT_EQ(json::parse(admin_get("/tenants/alpha/keys").body()).at("total"), 0);
}

TEST_F(HttpKeys, AKeyWithAWrongChecksumOrNeverIssuedOpensNothing) {
  auto k = add_key(client, "alpha", "real");
  auto typo = k.key;
  typo[16] = typo[16] == 'a' ? 'b' : 'a'; // a secret character
  auto checksum = k.key;
  checksum.back() = checksum.back() == 'a' ? 'b' : 'a';
  for (auto& wrong : {typo, checksum, made_up_key("alpha"), k.key + "x",
                      k.key.substr(0, k.key.size() - 1)}) {
    SCOPED_TRACE(wrong);
    expect_invalid_credential(request_as(client, bearer(wrong), verb::post,
                                         "/session", session_json("alpha")));
    expect_invalid_credential(
      request_as(client, bearer(wrong), verb::get, "/tenants/alpha/keys"));
  }
  // The real one still works.
  open_session_as(client, bearer(k.key), "alpha");
}

TEST_F(HttpKeys, AKeyStopsWorkingWhenItExpires) {
  // A second and a bit from now (more in slow builds), to the millisecond.
  auto expires = unix_millis() + 1200 * time_scale();
  auto res = post_key(R"({"name":"short-lived","expires_at":")"
                      + http::rfc3339_millis(expires) + R"("})");
  ASSERT_EQ(res.result(), status::created) << res.body();
  auto body = body_object(res);
  EXPECT_EQ(string_at(body, "expires_at"), http::rfc3339_millis(expires));
  auto as_key = bearer(string_at(body, "key"));
  auto sid = open_session_as(client, as_key, "alpha");
  std::this_thread::sleep_for(std::chrono::milliseconds{
    expires - unix_millis() + 50});
  expect_invalid_credential(chat_as(client, as_key, "alpha", sid));
  expect_invalid_credential(
    request_as(client, as_key, verb::post, "/session", session_json("alpha")));
  // Still listed (it can be revoked), with its expiry.
  auto listed = json::parse(admin_get("/tenants/alpha/keys").body());
  EXPECT_EQ(listed.at("total"), 1);
}

TEST_F(HttpKeys, EveryInvalidFieldIs422AtItsPlace) {
  auto res = post_key(
    R"({"name":"","role":"owner","expires_at":"tomorrow","key":"tdk_alpha_x"})");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(problems(res),
            (std::vector<std::string>{
              R"(["body","key"] key is not a known field)",
              R"(["body","name"] name must not be empty)",
              R"(["body","role"] role must be "member" or "admin")",
              R"(["body","expires_at"] expires_at must be an RFC 3339 UTC time (2027-01-31T00:00:00Z))"}));
  auto past = post_key(R"({"name":"n","expires_at":"2001-01-01T00:00:00Z"})");
  ASSERT_EQ(past.result(), status::unprocessable_entity) << past.body();
  EXPECT_EQ(problems(past), std::vector<std::string>{
                              R"(["body","expires_at"] expires_at must be in the future)"});
  auto local = post_key(R"({"name":"n","expires_at":"2099-01-01T00:00:00+02:00"})");
  EXPECT_EQ(local.result(), status::unprocessable_entity) << local.body();
  auto long_name = post_key(key_json(std::string(101, 'n')));
  ASSERT_EQ(long_name.result(), status::unprocessable_entity) << long_name.body();
  EXPECT_EQ(problems(long_name), std::vector<std::string>{
                                   R"(["body","name"] name must be at most 100 bytes)"});
  auto missing = post_key("{}");
  ASSERT_EQ(missing.result(), status::unprocessable_entity) << missing.body();
  EXPECT_EQ(problems(missing),
            std::vector<std::string>{R"(["body","name"] name is required)"});
  EXPECT_EQ(post_key(key_json(std::string(100, 'n'))).result(), status::created);
  EXPECT_EQ(post_key(R"({"name":"n","expires_at":null})").result(),
            status::created);
  EXPECT_EQ(json::parse(admin_get("/tenants/alpha/keys").body()).at("total"), 2);
}

TEST_F(HttpKeys, AKeyIsFoundInItsOwnTenantOnly) {
  auto k = add_key(client, "alpha", "alpha's");
  expect_detail(admin_delete("/tenants/beta/keys/" + k.id), status::not_found,
                "Unknown API key");
  expect_detail(admin_delete("/tenants/alpha/keys/key_AAAAAAAAAAAAAAAAAAAAAA"),
                status::not_found, "Unknown API key");
  expect_detail(admin_get("/tenants/nope/keys"), status::not_found,
                "Unknown tenant_id");
  expect_detail(post_key(key_json("n"), "nope"), status::not_found,
                "Unknown tenant_id");
  // Untouched by all that.
  open_session_as(client, bearer(k.key), "alpha");
}

} // namespace
