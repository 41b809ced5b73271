// The audit trail through the actors: what a scripted scenario leaves,
// newest first, with secrets left out; each tenant's chain verified, then
// broken by editing the database and found; kept across a restart; and
// deleted past its retention.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "tests/support/actor_fixture.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {

constexpr const char* password = "correct horse battery";

class AuditTest : public actor_fixture {
protected:
  void SetUp() override {
    start_registry({acme(), globex()});
  }

  caf::expected<audit_page> events_of(const std::string& tenant,
                                      audit_filter f = {}) {
    return ask_tenant<audit_page>(read_audit{tenant, f, admin()});
  }

  std::vector<std::string> actions_of(const std::string& tenant) {
    auto page = events_of(tenant);
    EXPECT_TRUE(page) << render(page.error());
    std::vector<std::string> actions;
    if (page)
      for (auto& e : page->events)
        actions.push_back(e.action);
    std::reverse(actions.begin(), actions.end()); // oldest first
    return actions;
  }

  caf::expected<audit_verdict> verify(const std::string& tenant) {
    return ask_tenant<audit_verdict>(verify_audit{tenant, admin()});
  }

  /// Runs `sql` on the database behind the store's back.
  void edit_database(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database_file().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  /// A scripted scenario over acme: its admin changes, a user and a key
  /// made, changed and revoked, logins, and a cross-tenant attempt.
  void scenario() {
    ASSERT_TRUE(update("acme", R"({"welcome":"Hi"})"));
    ASSERT_TRUE(set_status("acme", tenant_status::suspended));
    ASSERT_TRUE(set_status("acme", tenant_status::active));
    auto who = admin();
    who.request_id = "req-1";
    who.source = "192.0.2.7";
    auto ann = ask_tenant<user_record>(
      create_user{"acme", "ann@example.com", password, tenant_role::member, who});
    ASSERT_OK(ann);
    user_id = ann->id;
    update_user promote;
    promote.tenant = "acme";
    promote.user = ann->id;
    promote.set_role = true;
    promote.role = tenant_role::admin;
    promote.password = "an entirely new password";
    promote.who = admin();
    ASSERT_TRUE(ask_tenant<user_record>(promote));
    create_api_key key{"acme", "ci", tenant_role::member, 0, "tdk_acme_AbCd",
                       "digest-1", admin()};
    auto k = ask_tenant<api_key_record>(key);
    ASSERT_OK(k);
    ASSERT_TRUE(ask_tenant<caf::ok_atom>(revoke_api_key{"acme", k->id, admin()}));
    ASSERT_TRUE(ask_tenant<principal>(login_request{
      "acme", "ann@example.com", "an entirely new password", {}}));
    ASSERT_FALSE(ask_tenant<principal>(
      login_request{"acme", "ann@example.com", "not the password!", {}}));
    principal outsider;
    outsider.kind = principal_kind::api_key;
    outsider.tenant = "globex";
    outsider.key_digest = "whatever";
    ASSERT_FALSE(ask_tenant<session_grant>(open_session{"acme", outsider}));
    run();
  }

  void restart_with_retention(caf::timespan retention) {
    settings.audit_retention =
      std::chrono::duration_cast<std::chrono::hours>(retention);
    restart();
  }

  std::string user_id;
};

TEST_F(AuditTest, AScenarioLeavesEveryActInOrderWithoutSecrets) {
  scenario();
  EXPECT_EQ(actions_of("acme"),
            (std::vector<std::string>{
              "tenant.created", "tenant.changed", "tenant.suspended",
              "tenant.resumed", "user.created", "user.changed", "key.created",
              "key.revoked", "login.succeeded", "login.failed",
              "access.cross_tenant"}));
  auto page = events_of("acme");
  ASSERT_OK(page);
  for (auto& e : page->events) {
    EXPECT_EQ(e.tenant, "acme");
    EXPECT_EQ(e.changes.find("password\":\"an"), std::string::npos) << e.changes;
    EXPECT_EQ(e.changes.find("argon2"), std::string::npos) << e.changes;
    EXPECT_EQ(e.changes.find("digest-1"), std::string::npos) << e.changes;
    EXPECT_EQ(e.changes.find(password), std::string::npos) << e.changes;
  }
  auto& created = page->events[6]; // newest first: user.created
  ASSERT_EQ(created.action, "user.created");
  EXPECT_EQ(created.target, "user:" + user_id);
  EXPECT_EQ(created.request_id, "req-1");
  EXPECT_EQ(created.source, "192.0.2.7");
  EXPECT_EQ(created.actor_kind, "platform_admin");
  EXPECT_NE(created.changes.find("ann@example.com"), std::string::npos);
  auto& changed = page->events[5];
  EXPECT_NE(changed.changes.find("\"password\":\"changed\""), std::string::npos)
    << changed.changes;
  auto& cross = page->events[0];
  EXPECT_EQ(cross.actor_kind, "api_key");
  EXPECT_EQ(cross.actor_tenant, "globex");
  EXPECT_EQ(cross.outcome, "denied");
  // Another tenant's chain has its own events only.
  EXPECT_EQ(actions_of("globex"), std::vector<std::string>{"tenant.created"});
}

TEST_F(AuditTest, QueriesFilterByActionAndPrincipalAndPageByCursor) {
  scenario();
  audit_filter logins;
  logins.action = "login.failed";
  auto failed = events_of("acme", logins);
  ASSERT_OK(failed);
  ASSERT_EQ(failed->events.size(), 1u);
  EXPECT_EQ(failed->events[0].target, "email:ann@example.com");
  audit_filter by_user;
  by_user.actor = "user:" + user_id;
  auto mine = events_of("acme", by_user);
  ASSERT_OK(mine);
  ASSERT_EQ(mine->events.size(), 1u);
  EXPECT_EQ(mine->events[0].action, "login.succeeded");
  audit_filter small;
  small.limit = 4;
  std::vector<std::string> ids;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = events_of("acme", small);
    ASSERT_OK(page);
    for (auto& e : page->events)
      ids.push_back(e.id);
    if (page->next == 0)
      break;
    small.before = page->next;
  }
  EXPECT_EQ(ids.size(), 11u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 11u);
}

TEST_F(AuditTest, AChainVerifiesUntilTheDatabaseIsEdited) {
  scenario();
  auto intact = verify("acme");
  ASSERT_OK(intact);
  EXPECT_TRUE(intact->intact);
  EXPECT_EQ(intact->checked, 11u);
  // Append-only: an update is refused outright...
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(database_file().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_events SET outcome = 'x'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  // ...so someone who wants to hide a login drops the guard first.
  edit_database("DROP TRIGGER audit_events_append_only; UPDATE audit_events "
                "SET outcome = 'success' WHERE action = 'login.failed'");
  auto broken = verify("acme");
  ASSERT_OK(broken);
  EXPECT_FALSE(broken->intact);
  EXPECT_EQ(broken->broken_seq, 10);
  EXPECT_EQ(broken->problem, "its contents do not match its hash");
  // Recomputing its hash too breaks the link of the event after it.
  edit_database("DELETE FROM audit_events WHERE action = 'login.failed'");
  broken = verify("acme");
  ASSERT_OK(broken);
  EXPECT_FALSE(broken->intact);
  EXPECT_EQ(broken->broken_seq, 11);
  EXPECT_EQ(broken->problem, "events before it are missing");
  // The other tenant's chain is untouched.
  auto other = verify("globex");
  ASSERT_OK(other);
  EXPECT_TRUE(other->intact);
}

TEST_F(AuditTest, TheTrailSurvivesARestartAndItsChainGoesOn) {
  scenario();
  restart();
  ASSERT_TRUE(set_status("acme", tenant_status::suspended));
  ASSERT_TRUE(set_status("acme", tenant_status::active));
  auto actions = actions_of("acme");
  ASSERT_EQ(actions.size(), 13u);
  EXPECT_EQ(actions[11], "tenant.suspended");
  auto v = verify("globex");
  ASSERT_OK(v);
  EXPECT_TRUE(v->intact);
  auto acme_chain = verify("acme");
  ASSERT_OK(acme_chain);
  EXPECT_TRUE(acme_chain->intact);
  EXPECT_EQ(acme_chain->checked, 13u);
}

TEST_F(AuditTest, OnlyItsAdminsAndThePlatformAdminReadATenantsTrail) {
  scenario();
  principal member;
  member.kind = principal_kind::user;
  member.tenant = "globex";
  auto u = ask_tenant<user_record>(create_user{
    "globex", "m@example.com", password, tenant_role::member, admin()});
  ASSERT_OK(u);
  member.subject = u->id;
  EXPECT_ERRC(ask_tenant<audit_page>(read_audit{"globex", {}, member}),
              errc::insufficient_role);
  EXPECT_ERRC(ask_tenant<audit_page>(read_audit{"acme", {}, member}),
              errc::foreign_credential);
  EXPECT_ERRC(ask_tenant<audit_verdict>(verify_audit{"acme", member}),
              errc::foreign_credential);
  // GET /audit: every chain, the platform admin's only.
  EXPECT_ERRC(ask<audit_page>(registry, read_audit{"", {}, member}),
              errc::permission_denied);
  auto all = ask<audit_page>(registry, read_audit{"", {}, admin()});
  ASSERT_OK(all);
  EXPECT_GE(all->events.size(), 14u);
}

TEST_F(AuditTest, EventsPastTheRetentionAreDeleted) {
  scenario();
  // A day's retention, then two days on: the next sweeps delete them all.
  restart_with_retention(24h);
  advance(48h);
  advance(2min);
  auto page = events_of("acme");
  ASSERT_OK(page);
  EXPECT_TRUE(page->events.empty());
}

} // namespace
