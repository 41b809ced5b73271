// The audit trail over HTTP: a short scripted scenario (a tenant created,
// its admin created and logging in, a failed login, a user and a key
// created, changed, revoked and deleted, the tenant changed, suspended and
// resumed, another tenant's user refused) leaves exactly its events in the
// tenant's chain, newest first, each naming who did it from where with
// which request, linked by their hashes, with changes but no secret;
// GET /tenants/{id}/audit/verify finds the chain intact and an edited row
// breaks it; the filters (action, principal, from/to) and the cursor pick
// the right events; GET /audit reads every chain (the platform's too:
// signing key rotations, refused tokens), or one with ?tenant=.

#include <regex>
#include <sqlite3.h>

#include "tests/support/credentials.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

/// What one step of a scenario should have left in the trail.
struct expected_event {
  std::string action;
  std::string principal_kind;
  std::string principal_id; // empty: null
  std::string principal_tenant; // empty: null
  std::string target;
  std::string outcome;
  std::string request_id;
};

class HttpAudit : public http_test {
protected:
  HttpAudit() : http_test({required_tenant("beta")}) {
  }

  /// Every event of `target` (a GET that pages by cursor), newest first.
  json::array all_events(const std::string& target,
                         const http_headers& as = admin_auth,
                         int limit = 1000) {
    json::array out;
    auto sep = target.find('?') == std::string::npos ? "?" : "&";
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {
      auto res = request_as(client, as, verb::get,
                            target + sep + "limit=" + std::to_string(limit)
                              + cursor);
      EXPECT_EQ(res.result(), status::ok) << res.body();
      if (res.result() != status::ok)
        break;
      auto body = json::parse(res.body()).as_object();
      for (auto& e : body.at("events").as_array())
        out.push_back(e);
      if (body.at("next").is_null())
        break;
      cursor = "&cursor=" + std::to_string(body.at("next").as_int64());
    }
    return out;
  }

  static std::vector<std::string> actions(const json::array& events) {
    std::vector<std::string> out;
    for (auto& e : events)
      out.push_back(std::string{e.at("action").as_string()});
    return out;
  }

  /// The scenario on tenant "delta"; what each step should leave, oldest
  /// first.
  std::vector<expected_event> run_scenario() {
    std::vector<expected_event> want;
    auto rid = [](const http_response& res) { return header(res, "X-Request-Id"); };
    // The platform admin creates the tenant and its admin.
    auto cfg = required_tenant("delta");
    auto created = admin_post("/tenants", config_json(cfg));
    EXPECT_EQ(created.result(), status::created) << created.body();
    want.push_back({"tenant.created", "platform_admin", "", "", "tenant:delta",
                    "success", rid(created)});
    auto made = request_as(client, admin_auth, verb::post, "/tenants/delta/users",
                           user_json("dana@delta.test", "dana's password", "admin"));
    EXPECT_EQ(made.result(), status::created) << made.body();
    dana = {string_at(body_object(made), "id"), "dana@delta.test",
            "dana's password"};
    want.push_back({"user.created", "platform_admin", "", "",
                    "user:" + dana.id, "success", rid(made)});
    // Dana logs in; somebody fails to.
    auto logged = password_grant(client, "delta", dana.email, dana.password);
    EXPECT_EQ(logged.result(), status::ok) << logged.body();
    dana_token = string_at(body_object(logged), "access_token");
    want.push_back({"login.succeeded", "user", dana.id, "", "user:" + dana.id,
                    "success", rid(logged)});
    auto failed = password_grant(client, "delta", dana.email, "a wrong guess");
    EXPECT_EQ(failed.result(), status::bad_request) << failed.body();
    want.push_back({"login.failed", "anonymous", "", "",
                    "email:" + dana.email, "failure", rid(failed)});
    // Dana manages her tenant.
    auto as_dana = bearer(dana_token);
    auto user = request_as(client, as_dana, verb::post, "/tenants/delta/users",
                           user_json("eli@delta.test", "eli's password 1"));
    EXPECT_EQ(user.result(), status::created) << user.body();
    eli = string_at(body_object(user), "id");
    want.push_back({"user.created", "user", dana.id, "", "user:" + eli,
                    "success", rid(user)});
    auto key = request_as(client, as_dana, verb::post, "/tenants/delta/keys",
                          key_json("ci", "admin"));
    EXPECT_EQ(key.result(), status::created) << key.body();
    key_id = string_at(body_object(key), "id");
    key_secret = string_at(body_object(key), "key");
    want.push_back({"key.created", "user", dana.id, "", "key:" + key_id,
                    "success", rid(key)});
    auto changed = request_as(client, as_dana, verb::patch,
                              "/tenants/delta/users/" + eli,
                              R"({"role":"admin","password":"eli's password 2"})");
    EXPECT_EQ(changed.result(), status::ok) << changed.body();
    want.push_back({"user.changed", "user", dana.id, "", "user:" + eli,
                    "success", rid(changed)});
    auto revoked = request_as(client, as_dana, verb::delete_,
                              "/tenants/delta/keys/" + key_id);
    EXPECT_EQ(revoked.result(), status::no_content) << revoked.body();
    want.push_back({"key.revoked", "user", dana.id, "", "key:" + key_id,
                    "success", rid(revoked)});
    auto deleted = request_as(client, as_dana, verb::delete_,
                              "/tenants/delta/users/" + eli);
    EXPECT_EQ(deleted.result(), status::no_content) << deleted.body();
    want.push_back({"user.deleted", "user", dana.id, "", "user:" + eli,
                    "success", rid(deleted)});
    // The platform admin changes, suspends and resumes the tenant.
    auto patched = admin_patch("/tenants/delta", R"({"name":"Delta Ltd"})");
    EXPECT_EQ(patched.result(), status::ok) << patched.body();
    want.push_back({"tenant.changed", "platform_admin", "", "", "tenant:delta",
                    "success", rid(patched)});
    auto suspended = admin_post("/tenants/delta/suspend");
    EXPECT_EQ(suspended.result(), status::ok) << suspended.body();
    want.push_back({"tenant.suspended", "platform_admin", "", "",
                    "tenant:delta", "success", rid(suspended)});
    auto resumed = admin_post("/tenants/delta/resume");
    EXPECT_EQ(resumed.result(), status::ok) << resumed.body();
    want.push_back({"tenant.resumed", "platform_admin", "", "", "tenant:delta",
                    "success", rid(resumed)});
    // Another tenant's user tries.
    auto bob = add_user(client, "beta", "bob@beta.test", "bob's password");
    auto as_bob = bearer(login(client, "beta", bob));
    auto crossed = request_as(client, as_bob, verb::get, "/tenants/delta/users");
    expect_detail(crossed, status::forbidden,
                  "Credential does not belong to tenant");
    want.push_back({"access.cross_tenant", "user", bob.id, "beta",
                    "tenant:delta", "denied", rid(crossed)});
    return want;
  }

  test_user dana;
  std::string dana_token;
  std::string eli;
  std::string key_id;
  std::string key_secret;
};

TEST_F(HttpAudit, AScenarioLeavesExactlyItsEventsNewestFirstAndLinked) {
  auto want = run_scenario();
  // Read by the tenant's own admin.
  auto events = all_events("/tenants/delta/audit", bearer(dana_token));
  ASSERT_EQ(events.size(), want.size()) << json::serialize(events);
  std::string later_prev;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& w = want[want.size() - 1 - i];
    auto& e = events[i].as_object();
    SCOPED_TRACE(w.action);
    EXPECT_EQ(e.at("action"), w.action.c_str());
    EXPECT_EQ(e.at("seq"), static_cast<int64_t>(want.size() - i));
    EXPECT_EQ(e.at("tenant"), "delta");
    auto& who = e.at("principal").as_object();
    EXPECT_EQ(who.at("kind"), w.principal_kind.c_str());
    EXPECT_EQ(who.at("id"), w.principal_id.empty() ? json::value(nullptr)
                                                   : json::value(w.principal_id));
    EXPECT_EQ(who.at("tenant"), w.principal_tenant.empty()
                                  ? json::value(nullptr)
                                  : json::value(w.principal_tenant));
    EXPECT_EQ(e.at("target"), w.target.c_str());
    EXPECT_EQ(e.at("outcome"), w.outcome.c_str());
    EXPECT_EQ(e.at("request_id"), w.request_id.c_str());
    EXPECT_EQ(e.at("source"), "127.0.0.1");
    auto id = std::string{e.at("id").as_string()};
    EXPECT_TRUE(std::regex_match(id, std::regex{"evt_[A-Za-z0-9_-]{22}"})) << id;
    auto hash = std::string{e.at("hash").as_string()};
    EXPECT_TRUE(std::regex_match(hash, std::regex{"[0-9a-f]{64}"})) << hash;
    // Each event's hash is the next one's prev_hash.
    if (i > 0) {
      EXPECT_EQ(hash, later_prev);
    }
    later_prev = std::string{e.at("prev_hash").as_string()};
  }
  EXPECT_EQ(later_prev, ""); // the first event of the chain
  // Newest first in time too.
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_GE(events[i - 1].at("at").as_string(), events[i].at("at").as_string());
  auto verify = request_as(client, bearer(dana_token), verb::get,
                           "/tenants/delta/audit/verify");
  ASSERT_EQ(verify.result(), status::ok) << verify.body();
  EXPECT_EQ(verify.body(), R"({"intact":true,"checked":)"
                             + std::to_string(want.size())
                             + R"(,"first_broken":null})");
}

TEST_F(HttpAudit, ChangesAreRecordedButNoSecret) {
  run_scenario();
  auto res = admin_get("/tenants/delta/audit?limit=1000");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  for (auto& secret : {dana.password, std::string{"a wrong guess"},
                       std::string{"eli's password 1"},
                       std::string{"eli's password 2"}, key_secret, dana_token,
                       test_admin_token, std::string{"argon2"}}) {
    SCOPED_TRACE(secret);
    EXPECT_EQ(res.body().find(secret), std::string::npos);
  }
  std::map<std::string, json::value> changes;
  auto parsed = json::parse(res.body());
  for (auto& e : parsed.at("events").as_array())
    changes[std::string{e.at("action").as_string()}] = e.at("changes");
  EXPECT_EQ(changes["user.changed"],
            json::parse(R"({"before":{"email":"eli@delta.test","role":"member","disabled":false},)"
                        R"("after":{"email":"eli@delta.test","role":"admin","disabled":false},)"
                        R"("password":"changed"})"));
  EXPECT_EQ(changes["user.deleted"],
            json::parse(R"({"before":{"email":"eli@delta.test","role":"admin","disabled":false}})"));
  EXPECT_EQ(changes["key.created"],
            json::parse(R"({"after":{"name":"ci","role":"admin","prefix":")"
                        + key_secret.substr(0, 14) + R"(","expires_at":0}})"));
  EXPECT_EQ(changes["tenant.suspended"],
            json::parse(R"({"before":"active","after":"suspended"})"));
  EXPECT_EQ(changes["tenant.changed"].at("before").at("name"), "Tenant delta");
  EXPECT_EQ(changes["tenant.changed"].at("after").at("name"), "Delta Ltd");
  EXPECT_TRUE(changes["login.failed"].is_null());
}

TEST_F(HttpAudit, FiltersAndTheCursorPickTheRightEvents) {
  auto want = run_scenario();
  auto all = all_events("/tenants/delta/audit");
  ASSERT_EQ(all.size(), want.size());
  // Pages of 5 give the same events.
  EXPECT_EQ(all_events("/tenants/delta/audit", admin_auth, 5), all);
  auto first = admin_get("/tenants/delta/audit?limit=5");
  EXPECT_TRUE(json::parse(first.body()).at("next").is_int64()) << first.body();
  EXPECT_EQ(actions(all_events("/tenants/delta/audit?action=user.created")),
            (std::vector<std::string>{"user.created", "user.created"}));
  EXPECT_EQ(actions(all_events("/tenants/delta/audit?principal=user:" + dana.id)),
            (std::vector<std::string>{"user.deleted", "key.revoked",
                                      "user.changed", "key.created",
                                      "user.created", "login.succeeded"}));
  EXPECT_EQ(actions(all_events("/tenants/delta/audit?principal=platform_admin")),
            (std::vector<std::string>{"tenant.resumed", "tenant.suspended",
                                      "tenant.changed", "user.created",
                                      "tenant.created"}));
  EXPECT_EQ(actions(all_events("/tenants/delta/audit?principal=anonymous")),
            std::vector<std::string>{"login.failed"});
  EXPECT_EQ(all_events("/tenants/delta/audit?action=nothing.like.this").size(),
            0u);
  // From (inclusive) to (exclusive), in RFC 3339.
  auto from = std::string{all[8].at("at").as_string()};
  auto to = std::string{all[3].at("at").as_string()};
  std::vector<std::string> between;
  for (auto& e : all) {
    auto at = std::string{e.at("at").as_string()};
    if (from <= at && at < to)
      between.push_back(std::string{e.at("action").as_string()});
  }
  EXPECT_FALSE(between.empty());
  EXPECT_EQ(actions(all_events("/tenants/delta/audit?from=" + from + "&to=" + to)),
            between);
  // Bad queries are 422 at the parameter.
  for (auto q : {"limit=0", "limit=1001", "limit=x", "cursor=0", "cursor=abc",
                 "from=yesterday", "to=2026-01-01", "tenant=beta", "other=1",
                 "action=a&action=b"}) {
    SCOPED_TRACE(q);
    auto res = admin_get(std::string{"/tenants/delta/audit?"} + q);
    EXPECT_EQ(res.result(), status::unprocessable_entity) << res.body();
  }
}

TEST_F(HttpAudit, AnEditedEventBreaksTheChainAtThatEvent) {
  auto want = run_scenario();
  auto all = all_events("/tenants/delta/audit");
  ASSERT_EQ(all.size(), want.size());
  auto failed = std::find_if(all.begin(), all.end(), [](auto& e) {
    return e.at("action") == "login.failed";
  });
  ASSERT_NE(failed, all.end());
  // Someone with the database file makes the failed login a success.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((server.data_dir() + "/tenantd.db").c_str(), &db),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  auto sql = "DROP TRIGGER audit_events_append_only;"
             "UPDATE audit_events SET outcome = 'success' WHERE id = '"
             + std::string{failed->at("id").as_string()} + "';";
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
    << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  auto res = admin_get("/tenants/delta/audit/verify");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto v = json::parse(res.body()).as_object();
  EXPECT_EQ(v.at("intact"), false) << res.body();
  auto& broken = v.at("first_broken").as_object();
  EXPECT_EQ(broken.at("seq"), failed->at("seq"));
  EXPECT_EQ(broken.at("id"), failed->at("id"));
  EXPECT_FALSE(broken.at("problem").as_string().empty());
  // Another tenant's chain is its own, intact.
  EXPECT_EQ(json::parse(admin_get("/tenants/beta/audit/verify").body()).at("intact"),
            true);
}

TEST_F(HttpAudit, TheWholeTrailHoldsEveryChainAndThePlatformsOwn) {
  auto want = run_scenario();
  auto rotated = admin_post("/auth/keys/rotate");
  ASSERT_EQ(rotated.result(), status::ok) << rotated.body();
  auto kid = string_at(body_object(rotated), "kid");
  expect_invalid_credential(client.request(verb::post, "/session",
                                           session_json("beta"), "application/json",
                                           bearer("not.a.token")));
  // The rotation and the refusal are written after their answers.
  json::array platform;
  ASSERT_TRUE(eventually([&] {
    platform.clear();
    for (auto& e : all_events("/audit"))
      if (e.at("tenant").is_null())
        platform.push_back(e);
    return platform.size() >= 2;
  }));
  EXPECT_EQ(actions(platform),
            (std::vector<std::string>{"token.refused", "signing_key.rotated"}));
  EXPECT_EQ(platform[0].at("target"), "token:malformed");
  EXPECT_EQ(platform[0].at("principal").at("kind"), "anonymous");
  EXPECT_EQ(platform[1].at("target"), ("kid:" + kid).c_str());
  EXPECT_EQ(platform[1].at("principal").at("kind"), "platform_admin");
  // ?tenant= reads one chain, as the tenant's own route does.
  EXPECT_EQ(all_events("/audit?tenant=delta"), all_events("/tenants/delta/audit"));
  // Without it, every chain: delta's and beta's events are all there.
  auto everything = all_events("/audit");
  std::size_t delta = 0, beta = 0;
  for (auto& e : everything) {
    delta += e.at("tenant") == "delta";
    beta += e.at("tenant") == "beta";
  }
  EXPECT_EQ(delta, want.size());
  EXPECT_GE(beta, 2u); // bob created and logged in (and beta's own creation)
  // A tenant admin reads its own chain only.
  expect_detail(request_as(client, bearer(dana_token), verb::get,
                           "/tenants/beta/audit"),
                status::forbidden, "Credential does not belong to tenant");
  expect_detail(request_as(client, bearer(dana_token), verb::get, "/audit"),
                status::forbidden, "Not permitted");
}

TEST_F(HttpAudit, CrossTenantAttemptsAreAuditedInTheTenantTheyTried) {
  run_scenario();
  auto k = add_key(client, "beta", "beta's key", "admin");
  for (auto target : {"/tenants/delta/keys", "/tenants/delta/audit"})
    expect_detail(request_as(client, bearer(k.key), verb::get, target),
                  status::forbidden, "Credential does not belong to tenant");
  expect_detail(request_as(client, bearer(k.key), verb::post, "/session",
                           session_json("delta")),
                status::forbidden, "Credential does not belong to tenant");
  auto crossed = all_events("/tenants/delta/audit?action=access.cross_tenant");
  ASSERT_EQ(crossed.size(), 4u); // bob's in the scenario, and these three
  for (std::size_t i = 0; i < 3; ++i) {
    auto& who = crossed[i].at("principal").as_object();
    EXPECT_EQ(who.at("kind"), "api_key");
    EXPECT_EQ(who.at("tenant"), "beta");
    EXPECT_EQ(crossed[i].at("outcome"), "denied");
  }
  // None in beta's chain: it was not beta that was tried.
  EXPECT_EQ(all_events("/tenants/beta/audit?action=access.cross_tenant").size(),
            0u);
  // Nor did the key's secret go anywhere.
  EXPECT_EQ(admin_get("/audit?limit=1000").body().find(k.key), std::string::npos);
}

// Who did it is in the trail: an API key presented as such acts as that
// key (its tenant resolves it), so its events name the key.
TEST_F(HttpAudit, AnApiKeysActsNameTheKey) {
  auto k = add_key(client, "beta", "ops", "admin");
  auto made = request_as(client, bearer(k.key), verb::post, "/tenants/beta/users",
                         user_json("new@beta.test", "new user's password"));
  ASSERT_EQ(made.result(), status::created) << made.body();
  auto events = all_events("/tenants/beta/audit?action=user.created");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("principal").at("kind"), "api_key");
  EXPECT_EQ(events[0].at("principal").at("id"), k.id.c_str());
}

} // namespace
