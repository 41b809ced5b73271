// storage/identity through sqlite_storage: a tenant's users and API keys,
// each tenant's apart, and the principal a session belongs to.

#include <string>

#include "tests/support/storage_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;

stored_user make_user(std::string id, std::string email,
                      tenant_role role = tenant_role::member) {
  stored_user u;
  u.id = std::move(id);
  u.email = email;
  u.email_key = email_key(email);
  u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
  u.role = role;
  u.created_at = t0;
  u.updated_at = t0;
  return u;
}

stored_api_key make_key(std::string id, std::string digest) {
  stored_api_key k;
  k.id = std::move(id);
  k.name = "ci";
  k.role = tenant_role::admin;
  k.prefix = "tdk_acme_AbCd";
  k.digest = std::move(digest);
  k.created_at = t0;
  k.expires_at = t0 + 86'400'000;
  return k;
}

TEST_F(Database, UsersAreKeptPerTenantWithEmailsUniqueCaseInsensitively) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  ASSERT_TRUE(db.insert_user("acme", make_user("usr_1", "Ann@Example.com",
                                               tenant_role::admin)));
  // The same email in another case is the same user; in another tenant, an
  // unrelated one.
  EXPECT_FALSE(db.insert_user("acme", make_user("usr_2", "ann@EXAMPLE.com")));
  EXPECT_TRUE(db.insert_user("globex", make_user("usr_3", "ann@example.com")));
  // An id is unique across tenants; an unknown tenant gets nothing.
  EXPECT_FALSE(db.insert_user("globex", make_user("usr_1", "bob@example.com")));
  EXPECT_FALSE(db.insert_user("nobody", make_user("usr_4", "bob@example.com")));

  auto users = db.users("acme");
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].id, "usr_1");
  EXPECT_EQ(users[0].email, "Ann@Example.com");
  EXPECT_EQ(users[0].email_key, "ann@example.com");
  EXPECT_EQ(users[0].role, tenant_role::admin);
  EXPECT_FALSE(users[0].disabled);
  EXPECT_EQ(db.users("globex").size(), 1u);
  EXPECT_TRUE(db.users("nobody").empty());
}

TEST_F(Database, AUserIsChangedAndDeletedInItsTenantOnly) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto ann = make_user("usr_1", "ann@example.com");
  ASSERT_TRUE(db.insert_user("acme", ann));
  ann.role = tenant_role::admin;
  ann.disabled = true;
  ann.password_hash = "$argon2id$new";
  ann.updated_at = t0 + 5;
  // Another tenant's id for it changes nothing.
  db.update_user("globex", ann);
  db.delete_user("globex", ann.id);
  ASSERT_EQ(db.users("acme").size(), 1u);
  EXPECT_EQ(db.users("acme")[0].role, tenant_role::member);
  db.update_user("acme", ann);
  auto stored = db.users("acme").at(0);
  EXPECT_EQ(stored.role, tenant_role::admin);
  EXPECT_TRUE(stored.disabled);
  EXPECT_EQ(stored.password_hash, "$argon2id$new");
  EXPECT_EQ(stored.updated_at, t0 + 5);
  db.delete_user("acme", ann.id);
  EXPECT_TRUE(db.users("acme").empty());
}

TEST_F(Database, ApiKeysKeepOnlyTheirDigestAndTheirLastUse) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  ASSERT_TRUE(db.insert_api_key("acme", make_key("key_1", "d1")));
  // A digest is unique: the same key cannot be stored twice.
  EXPECT_FALSE(db.insert_api_key("globex", make_key("key_2", "d1")));
  EXPECT_FALSE(db.insert_api_key("nobody", make_key("key_3", "d3")));
  db.touch_api_key("acme", "key_1", t0 + 100);
  // An older use never goes back in time; another tenant's touch is none.
  db.touch_api_key("acme", "key_1", t0 + 50);
  db.touch_api_key("globex", "key_1", t0 + 500);
  auto keys = db.api_keys("acme");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].digest, "d1");
  EXPECT_EQ(keys[0].prefix, "tdk_acme_AbCd");
  EXPECT_EQ(keys[0].role, tenant_role::admin);
  EXPECT_EQ(keys[0].expires_at, t0 + 86'400'000);
  EXPECT_EQ(keys[0].last_used_at, t0 + 100);
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM api_keys"), "1");
  db.delete_api_key("globex", "key_1");
  EXPECT_EQ(db.api_keys("acme").size(), 1u);
  db.delete_api_key("acme", "key_1");
  EXPECT_TRUE(db.api_keys("acme").empty());
}

TEST_F(Database, ArchivedTenantsGetNoNewUsersOrKeys) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  db.set_status("acme", tenant_status::archived, t0);
  EXPECT_FALSE(db.insert_user("acme", make_user("usr_1", "ann@example.com")));
  EXPECT_FALSE(db.insert_api_key("acme", make_key("key_1", "d1")));
}

TEST_F(Database, ASessionKeepsThePrincipalThatOpenedIt) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto mine = make_session(t0, t0 + 60'000);
  mine.owner = "user:usr_1";
  auto anyones = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", mine));
  ASSERT_TRUE(db.insert_session("acme", anyones));
  auto page = db.sessions("acme", t0, 0, 10);
  ASSERT_EQ(page.sessions.size(), 2u);
  EXPECT_EQ(page.sessions[0].owner, "user:usr_1");
  EXPECT_EQ(page.sessions[1].owner, "");
}

} // namespace
