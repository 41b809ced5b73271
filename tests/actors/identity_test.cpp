// A tenant's users and API keys in its tenant actor: who may manage them,
// logins, keys presented by digest, auth modes, sessions bound to their
// principal, and all of it surviving a restart. Deterministic: password
// jobs run inline at libsodium's cheapest cost (test_services).

#include <string>

#include "tests/support/actor_fixture.hpp"

using namespace tenantd;
using namespace tenantd::test;

namespace {

constexpr const char* password = "correct horse battery";

class IdentityTest : public actor_fixture {
protected:
  void SetUp() override {
    auto locked = acme();
    locked.id = "locked";
    locked.auth = auth_mode::required;
    start_registry({acme(), globex(), locked});
  }

  caf::expected<user_record> add_user(const std::string& tenant,
                                      const std::string& email,
                                      tenant_role role = tenant_role::member,
                                      principal who = admin()) {
    return ask_tenant<user_record>(
      create_user{tenant, email, password, role, std::move(who)});
  }

  caf::expected<principal> login(const std::string& tenant,
                                 const std::string& email,
                                 const std::string& pw = password) {
    return ask_tenant<principal>(login_request{tenant, email, pw, {}});
  }

  /// The principal of user `email` (created as `role`) of `tenant`, as a
  /// verified access token gives it.
  principal user_principal(const std::string& tenant, const std::string& email,
                           tenant_role role = tenant_role::member) {
    auto u = add_user(tenant, email, role);
    EXPECT_TRUE(u) << render(u.error());
    principal who;
    who.kind = principal_kind::user;
    who.tenant = tenant;
    who.subject = u ? u->id : "";
    who.role = role;
    return who;
  }

  /// A key of `tenant` stored under `digest`, and the principal that
  /// presents it.
  principal key_principal(const std::string& tenant, const std::string& digest,
                          tenant_role role = tenant_role::member,
                          int64_t expires_at = 0) {
    create_api_key msg{tenant, "ci", role, expires_at, "tdk_" + tenant + "_x",
                       digest, admin()};
    auto k = ask_tenant<api_key_record>(msg);
    EXPECT_TRUE(k) << render(k.error());
    principal who;
    who.kind = principal_kind::api_key;
    who.tenant = tenant;
    who.key_digest = digest;
    return who;
  }

  caf::expected<session_grant> open_as(const std::string& tenant,
                                       principal who) {
    return ask_tenant<session_grant>(open_session{tenant, std::move(who)});
  }

  caf::expected<chat_result> chat_as(const std::string& tenant,
                                     const std::string& session,
                                     principal who) {
    auto msg = chat_message(tenant, session, "hi");
    msg.who = std::move(who);
    return ask_tenant<chat_result>(msg);
  }
};

TEST_F(IdentityTest, UsersHaveEmailsUniquePerTenantCaseInsensitively) {
  auto ann = add_user("acme", "Ann@Example.com");
  ASSERT_OK(ann);
  EXPECT_EQ(ann->email, "Ann@Example.com");
  EXPECT_EQ(ann->id.substr(0, 4), "usr_");
  EXPECT_EQ(ann->id.size(), 26u);
  EXPECT_ERRC(add_user("acme", "ann@example.COM"), errc::duplicate_email);
  // In another tenant the same email is another, unrelated user.
  auto other = add_user("globex", "ann@example.com");
  ASSERT_OK(other);
  EXPECT_NE(other->id, ann->id);
  auto page = ask_tenant<user_page>(list_users{"acme", 0, 10, admin()});
  ASSERT_OK(page);
  ASSERT_EQ(page->total, 1u);
  EXPECT_EQ(page->users[0].id, ann->id);
}

TEST_F(IdentityTest, ALoginNeedsTheRightPasswordAndNeverSaysWhichPartWasWrong) {
  auto ann = add_user("acme", "ann@example.com", tenant_role::admin);
  ASSERT_OK(ann);
  auto who = login("acme", "ANN@example.com");
  ASSERT_OK(who);
  EXPECT_EQ(who->kind, principal_kind::user);
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_EQ(who->subject, ann->id);
  EXPECT_EQ(who->role, tenant_role::admin);
  EXPECT_ERRC(login("acme", "ann@example.com", "wrong password!"),
              errc::login_failed);
  EXPECT_ERRC(login("acme", "bob@example.com"), errc::login_failed);
  // Another tenant has no such user.
  EXPECT_ERRC(login("globex", "ann@example.com"), errc::login_failed);
  update_user off;
  off.tenant = "acme";
  off.user = ann->id;
  off.set_disabled = true;
  off.disabled = true;
  off.who = admin();
  ASSERT_TRUE(ask_tenant<user_record>(off));
  EXPECT_ERRC(login("acme", "ann@example.com"), errc::login_failed);
}

TEST_F(IdentityTest, FailedLoginsOfAnEmailAreThrottledKnownOrNot) {
  ASSERT_TRUE(add_user("acme", "ann@example.com"));
  for (auto email : {"ann@example.com", "nobody@example.com"}) {
    for (int i = 0; i < 5; ++i)
      EXPECT_ERRC(login("acme", email, "wrong password!"), errc::login_failed);
    // The sixth try waits, even with the right password.
    auto held = login("acme", email);
    EXPECT_ERRC(held, errc::login_throttled);
    EXPECT_EQ(wait_of(held.error()), 1u);
  }
  // Another email of the tenant is not held back.
  EXPECT_ERRC(login("acme", "bob@example.com"), errc::login_failed);
  advance(std::chrono::seconds{2});
  EXPECT_TRUE(login("acme", "ann@example.com"));
  // The success reset the count: a failure now is not throttled.
  EXPECT_ERRC(login("acme", "ann@example.com", "wrong password!"),
              errc::login_failed);
  EXPECT_TRUE(login("acme", "ann@example.com"));
}

TEST_F(IdentityTest, OnlyItsOwnTenantsAdminsManageUsers) {
  auto boss = user_principal("acme", "boss@example.com", tenant_role::admin);
  auto member = user_principal("acme", "member@example.com");
  auto outsider = user_principal("globex", "boss@example.com",
                                 tenant_role::admin);
  auto made = add_user("acme", "new@example.com", tenant_role::member, boss);
  ASSERT_OK(made);
  EXPECT_ERRC(add_user("acme", "x@example.com", tenant_role::member, member),
              errc::insufficient_role);
  EXPECT_ERRC(add_user("acme", "x@example.com", tenant_role::member, outsider),
              errc::foreign_credential);
  EXPECT_ERRC(add_user("acme", "x@example.com", tenant_role::member,
                       principal::anonymous()),
              errc::authentication_required);
  // A member reads itself, and nobody else.
  EXPECT_TRUE(
    ask_tenant<user_record>(read_user{"acme", member.subject, member}));
  EXPECT_ERRC(ask_tenant<user_record>(read_user{"acme", made->id, member}),
              errc::insufficient_role);
  EXPECT_ERRC(ask_tenant<user_page>(list_users{"acme", 0, 10, outsider}),
              errc::foreign_credential);
}

TEST_F(IdentityTest, ATenantsAdminsChangeItsSettingsButNotItsLimits) {
  auto boss = user_principal("acme", "boss@example.com", tenant_role::admin);
  auto member = user_principal("acme", "member@example.com");
  auto outsider = user_principal("globex", "boss@example.com",
                                 tenant_role::admin);
  auto read = ask_tenant<tenant_record>(read_settings{"acme", boss});
  ASSERT_OK(read);
  EXPECT_EQ(read->config.name, "Acme Corp");
  auto changed = ask_tenant<tenant_record>(
    change_settings{"acme", R"({"welcome":"Hi from the boss"})", boss});
  ASSERT_OK(changed);
  EXPECT_EQ(changed->config.welcome, "Hi from the boss");
  EXPECT_EQ(record_of("acme")->config.welcome, "Hi from the boss");
  // Limits, status and auth mode are the platform admin's.
  for (auto patch : {R"({"limits":{"chat_per_10s":1000}})", R"({"auth":"open"})",
                     R"({"welcome":"x","limits":null})"})
    EXPECT_ERRC(ask_tenant<tenant_record>(change_settings{"acme", patch, boss}),
                errc::insufficient_role);
  EXPECT_ERRC(ask_tenant<tenant_record>(
                change_settings{"acme", R"({"welcome":"x"})", member}),
              errc::insufficient_role);
  EXPECT_ERRC(ask_tenant<tenant_record>(read_settings{"acme", outsider}),
              errc::foreign_credential);
  // Straight to the registry, a tenant's principal is no admin: only the
  // tenant's own actor, having checked it, passes it on.
  EXPECT_ERRC(ask<tenant_record>(registry, update_tenant{"acme",
                                                         R"({"welcome":"x"})",
                                                         boss}),
              errc::permission_denied);
  EXPECT_ERRC(ask<tenant_record>(registry, read_tenant{"acme", boss}),
              errc::permission_denied);
}

TEST_F(IdentityTest, ADeletedOrDisabledUserOpensNothingAtOnce) {
  auto ann = user_principal("acme", "ann@example.com");
  auto bob = user_principal("acme", "bob@example.com");
  ASSERT_TRUE(open_as("acme", ann));
  ASSERT_TRUE(ask_tenant<caf::ok_atom>(delete_user{"acme", ann.subject, admin()}));
  EXPECT_ERRC(open_as("acme", ann), errc::invalid_credential);
  EXPECT_ERRC(ask_tenant<caf::ok_atom>(delete_user{"acme", ann.subject, admin()}),
              errc::unknown_user);
  update_user off;
  off.tenant = "acme";
  off.user = bob.subject;
  off.set_disabled = true;
  off.disabled = true;
  off.who = admin();
  ASSERT_TRUE(ask_tenant<user_record>(off));
  EXPECT_ERRC(open_as("acme", bob), errc::invalid_credential);
}

TEST_F(IdentityTest, AKeyOpensItsTenantUntilRevokedOrExpired) {
  auto key = key_principal("locked", "digest-1");
  auto grant = open_as("locked", key);
  ASSERT_OK(grant);
  ASSERT_TRUE(chat_as("locked", grant->session_id, key));
  // Another tenant's key: refused before anything of this tenant is read.
  auto foreign = key_principal("globex", "digest-2");
  EXPECT_ERRC(open_as("locked", foreign), errc::foreign_credential);
  // A digest the tenant does not hold opens nothing.
  auto unknown = key;
  unknown.key_digest = "digest-9";
  EXPECT_ERRC(open_as("locked", unknown), errc::invalid_credential);

  auto keys = ask_tenant<api_key_page>(list_api_keys{"locked", 0, 10, admin()});
  ASSERT_OK(keys);
  ASSERT_EQ(keys->keys.size(), 1u);
  EXPECT_GT(keys->keys[0].last_used_at, 0);
  ASSERT_TRUE(ask_tenant<caf::ok_atom>(
    revoke_api_key{"locked", keys->keys[0].id, admin()}));
  EXPECT_ERRC(open_as("locked", key), errc::invalid_credential);
  EXPECT_ERRC(chat_as("locked", grant->session_id, key),
              errc::invalid_credential);

  auto now = to_unix_millis(sched.clock().now());
  auto brief = key_principal("locked", "digest-3", tenant_role::member,
                             now + 60'000);
  ASSERT_TRUE(open_as("locked", brief));
  advance(std::chrono::seconds{61});
  EXPECT_ERRC(open_as("locked", brief), errc::invalid_credential);
}

TEST_F(IdentityTest, ARequiredTenantRefusesAnonymousRequestsAnOpenOneDoesNot) {
  EXPECT_ERRC(open_as("locked", principal::anonymous()),
              errc::authentication_required);
  EXPECT_TRUE(open_as("acme", principal::anonymous()));
  // A credential sent to an open tenant must still be its own.
  EXPECT_ERRC(open_as("acme", key_principal("globex", "digest-1")),
              errc::foreign_credential);
  EXPECT_TRUE(open_as("locked", principal::platform_admin()));
}

TEST_F(IdentityTest, ASessionBelongsToThePrincipalThatOpenedIt) {
  auto ann = user_principal("locked", "ann@example.com");
  auto bob = user_principal("locked", "bob@example.com");
  auto key = key_principal("locked", "digest-1");
  auto grant = open_as("locked", ann);
  ASSERT_OK(grant);
  EXPECT_TRUE(chat_as("locked", grant->session_id, ann));
  EXPECT_ERRC(chat_as("locked", grant->session_id, bob),
              errc::foreign_principal);
  EXPECT_ERRC(chat_as("locked", grant->session_id, key),
              errc::foreign_principal);
  // An anonymous session of an open tenant is anyone's who knows its id.
  auto open = open_as("acme", principal::anonymous());
  ASSERT_OK(open);
  EXPECT_TRUE(chat_as("acme", open->session_id, principal::anonymous()));
}

TEST_F(IdentityTest, UsersKeysAndSessionOwnersSurviveARestart) {
  auto ann = user_principal("locked", "ann@example.com", tenant_role::admin);
  auto key = key_principal("locked", "digest-1");
  auto grant = open_as("locked", ann);
  ASSERT_OK(grant);
  restart();
  EXPECT_TRUE(login("locked", "ann@example.com"));
  EXPECT_TRUE(open_as("locked", key));
  EXPECT_TRUE(chat_as("locked", grant->session_id, ann));
  EXPECT_ERRC(chat_as("locked", grant->session_id, key),
              errc::foreign_principal);
}

TEST_F(IdentityTest, ALoginRehashesAPasswordMadeAtAnOlderCost) {
  ASSERT_TRUE(add_user("acme", "ann@example.com"));
  auto before = peek().users("acme").at(0).password_hash;
  services.password_cost.iterations = 2;
  restart();
  ASSERT_TRUE(login("acme", "ann@example.com"));
  run();
  auto after = peek().users("acme").at(0).password_hash;
  EXPECT_NE(after, before);
  EXPECT_NE(after.find("t=2"), std::string::npos) << after;
  EXPECT_TRUE(login("acme", "ann@example.com"));
}

} // namespace
