// storage/tenants through sqlite_storage: tenants and their history, and
// the bootstrap from the tenants file.

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/storage_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;

// -- tenants ------------------------------------------------------------------

TEST_F(Database, InsertTenantRefusesAnExistingId) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto renamed = acme();
  renamed.name = "Other";
  EXPECT_FALSE(db.insert_tenant(renamed, t0 + 1));
  EXPECT_EQ(db.tenant("acme")->config.name, "Acme Corp");
  EXPECT_EQ(db.tenant("acme")->created_at, t0);
  EXPECT_EQ(db.history_size("acme"), 1u);
  // An archived id stays taken.
  db.set_status("acme", tenant_status::archived, t0 + 2);
  EXPECT_FALSE(db.insert_tenant(acme(), t0 + 3));
  EXPECT_EQ(db.tenant("acme")->status, tenant_status::archived);
  EXPECT_EQ(db.history_size("acme"), 2u);
  EXPECT_EQ(db.tenants().size(), 1u);
}

TEST_F(Database, EachTenantKeepsItsNewestHistoryEntriesOnly) {
  auto db = sqlite_storage::open(dir_, 3);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  for (int i = 1; i <= 10; ++i) {
    auto cfg = acme();
    cfg.name = "Acme " + std::to_string(i);
    db.update_tenant(cfg, t0 + i, 86400);
  }
  EXPECT_EQ(db.history_size("acme"), 3u);
  // Another tenant's history is its own.
  EXPECT_EQ(db.history_size("globex"), 1u);
  db.set_status("acme", tenant_status::suspended, t0 + 11);
  EXPECT_EQ(db.history_size("acme"), 3u);
  EXPECT_EQ(db.tenant("acme")->config.name, "Acme 10");
}

TEST_F(Database, AHistoryLimitOfZeroKeepsEverything) {
  auto db = sqlite_storage::open(dir_, 0);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  for (int i = 1; i <= 150; ++i)
    db.update_tenant(acme(), t0 + i, 86400);
  EXPECT_EQ(db.history_size("acme"), 151u);
}

TEST_F(Database, UnknownTenantIsNothing) {
  auto db = sqlite_storage::open(dir_);
  EXPECT_FALSE(db.tenant("nobody"));
  EXPECT_EQ(db.history_size("nobody"), 0u);
}

TEST_F(Database, ConfigRoundTripsExactly) {
  auto db = sqlite_storage::open(dir_);
  auto cfg = full_config();
  ASSERT_TRUE(db.insert_tenant(cfg, t0));
  auto minimal = globex(0);
  minimal.model = "mock";
  minimal.reply = tenant_config::default_reply;
  ASSERT_TRUE(db.insert_tenant(minimal, t0));
  for (auto& want : {cfg, minimal}) {
    auto got = db.tenant(want.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->config.id, want.id);
    EXPECT_EQ(got->config.name, want.name);
    EXPECT_EQ(got->config.welcome, want.welcome);
    EXPECT_EQ(got->config.model, want.model);
    EXPECT_EQ(got->config.limits.chat_per_10s, want.limits.chat_per_10s);
    EXPECT_EQ(got->config.limits.session_ttl, want.limits.session_ttl);
    EXPECT_EQ(got->config.reply, want.reply);
    EXPECT_EQ(got->status, tenant_status::active);
    EXPECT_EQ(got->created_at, t0);
    EXPECT_EQ(got->updated_at, t0);
    EXPECT_EQ(got->chats, 0u);
    EXPECT_EQ(got->rate_limited, 0u);
  }
}

// An upstream API key is sealed at rest: neither the database nor its
// history rows hold it, and it opens only under the same config key.
TEST_F(Database, UpstreamKeysAreSealedAtRest) {
  auto cfg = acme();
  cfg.ai.provider = ai_provider::openai;
  cfg.ai.upstream = {"https://api.example.com/v1", "gpt-4o-mini",
                     "sk-live-secret-0123456789"};
  cfg.ai.fallbacks.push_back(
    {"http://127.0.0.1:8080/v1", "llama", "fallback-secret-9876"});
  {
    auto db = sqlite_storage::open(dir_);
    ASSERT_TRUE(db.insert_tenant(cfg, t0));
    db.update_tenant(cfg, t0 + 1, 86400); // a second history row
  }
  for (auto& file : {file_, file_ + "-wal"}) {
    auto bytes = read_file(file);
    EXPECT_EQ(bytes.find("sk-live-secret"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("fallback-secret"), std::string::npos) << file;
  }
  auto key_file = dir_ + "/" + sqlite_storage::config_key_file;
  struct stat st{};
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    auto db = sqlite_storage::open(dir_);
    auto got = db.tenant("acme");
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->config.ai == cfg.ai);
  }
  // Another config key: the stored key does not open, and the tenant is
  // refused rather than read without its key.
  std::ofstream{key_file, std::ios::trunc}
    << "0000000000000000000000000000000000000000000000000000000000000000\n";
  auto db = sqlite_storage::open(dir_);
  EXPECT_THROW(db.tenant("acme"), storage_error);
}

TEST_F(Database, InsertTenantWritesHistoryWithAction) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0 + 1, "import"));
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(row, ';') FROM (SELECT "
                             "tenant || ' ' || action || ' ' || status || ' ' "
                             "|| at AS row FROM tenant_history ORDER BY seq)"),
            "acme create active " + std::to_string(t0) + ";globex import "
              + "active " + std::to_string(t0 + 1));
  EXPECT_EQ(raw_query(file_, "SELECT config FROM tenant_history WHERE tenant "
                             "= 'acme'"),
            raw_query(file_, "SELECT config FROM tenants WHERE id = 'acme'"));
}

TEST_F(Database, TenantsAreListedInCreationOrder) {
  auto db = sqlite_storage::open(dir_);
  for (auto id : {"zeta", "alpha", "mid", "beta"}) {
    auto cfg = acme();
    cfg.id = id;
    ASSERT_TRUE(db.insert_tenant(cfg, t0));
  }
  db.set_status("alpha", tenant_status::archived, t0 + 1);
  auto tenants = db.tenants();
  ASSERT_EQ(tenants.size(), 4u);
  EXPECT_EQ(tenants[0].id, "zeta");
  EXPECT_EQ(tenants[1].id, "alpha");
  EXPECT_EQ(tenants[1].status, tenant_status::archived);
  EXPECT_EQ(tenants[2].id, "mid");
  EXPECT_EQ(tenants[3].id, "beta");
}

TEST_F(Database, UpdateTenantReplacesConfigAndAddsHistory) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto cfg = full_config();
  cfg.limits.session_ttl = 0; // unchanged: still the default
  db.update_tenant(cfg, t0 + 10, default_ttl);
  auto got = db.tenant("acme");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->config.name, cfg.name);
  EXPECT_EQ(got->config.welcome, cfg.welcome);
  EXPECT_EQ(got->created_at, t0);
  EXPECT_EQ(got->updated_at, t0 + 10);
  EXPECT_EQ(db.history_size("acme"), 2u);
  EXPECT_EQ(raw_query(file_, "SELECT action || ' ' || status || ' ' || at FROM "
                             "tenant_history ORDER BY seq DESC LIMIT 1"),
            "update active " + std::to_string(t0 + 10));
  EXPECT_EQ(raw_query(file_, "SELECT json_extract(config, '$.name') FROM "
                             "tenant_history ORDER BY seq DESC LIMIT 1"),
            cfg.name);
}

TEST_F(Database, UpdateTenantRecomputesExpiryWhenTtlChanges) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0)); // default TTL
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto s1 = make_session(t0, t0 + default_ttl * 1000);
  auto s2 = make_session(t0 + 500, t0 + 500 + default_ttl * 1000);
  auto other = make_session(t0, t0 + default_ttl * 1000);
  ASSERT_TRUE(db.insert_session("acme", s1));
  ASSERT_TRUE(db.insert_session("acme", s2));
  ASSERT_TRUE(db.insert_session("globex", other));

  // The default written out is no change.
  auto cfg = acme();
  cfg.limits.session_ttl = default_ttl;
  db.update_tenant(cfg, t0 + 1, default_ttl);
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {s1, s2}));

  cfg.limits.session_ttl = 60;
  db.update_tenant(cfg, t0 + 2, default_ttl);
  s1.expires_at = t0 + 60'000;
  s2.expires_at = t0 + 500 + 60'000;
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {s1, s2}));
  EXPECT_TRUE(same_sessions(all_sessions(db, "globex", t0), {other}));

  // Back to the default.
  cfg.limits.session_ttl = 0;
  db.update_tenant(cfg, t0 + 3, default_ttl);
  s1.expires_at = t0 + default_ttl * 1000;
  s2.expires_at = t0 + 500 + default_ttl * 1000;
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {s1, s2}));
  EXPECT_EQ(db.history_size("acme"), 4u);
}

TEST_F(Database, UpdateOrSetStatusOfUnknownTenantThrows) {
  auto db = sqlite_storage::open(dir_);
  EXPECT_THROW(db.update_tenant(acme(), t0, default_ttl), storage_error);
  EXPECT_THROW(db.set_status("acme", tenant_status::suspended, t0),
               storage_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_TRUE(db.tenants().empty());
  EXPECT_EQ(db.history_size("acme"), 0u);
}

TEST_F(Database, ArchiveDeletesSessionsSuspendKeepsThem) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto a = make_session(t0, t0 + 60'000);
  auto g = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", a));
  ASSERT_TRUE(db.insert_session("globex", g));

  db.set_status("acme", tenant_status::suspended, t0 + 1);
  EXPECT_EQ(db.tenant("acme")->status, tenant_status::suspended);
  EXPECT_EQ(db.tenant("acme")->updated_at, t0 + 1);
  EXPECT_EQ(db.session_count("acme", t0), 1u);

  db.set_status("acme", tenant_status::active, t0 + 2);
  EXPECT_EQ(db.session_count("acme", t0), 1u);

  db.set_status("acme", tenant_status::archived, t0 + 3);
  EXPECT_EQ(db.tenant("acme")->status, tenant_status::archived);
  EXPECT_EQ(db.session_count("acme", t0), 0u);
  EXPECT_EQ(db.session_owner(a.id, t0), "");
  EXPECT_EQ(db.session_count("globex", t0), 1u);

  EXPECT_EQ(db.history_size("acme"), 4u);
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(action, ',') FROM (SELECT "
                             "action FROM tenant_history WHERE tenant = "
                             "'acme' ORDER BY seq)"),
            "create,suspended,active,archived");
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(status, ',') FROM (SELECT "
                             "status FROM tenant_history WHERE tenant = "
                             "'acme' ORDER BY seq)"),
            "active,suspended,active,archived");
}

TEST_F(Database, CountersAreStored) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  db.set_counters("acme", 5'000'000'000, 3);
  db.set_counters("nobody", 1, 1); // no-op
  EXPECT_EQ(db.tenant("acme")->chats, 5'000'000'000u);
  EXPECT_EQ(db.tenant("acme")->rate_limited, 3u);
  EXPECT_EQ(db.history_size("acme"), 1u); // counters are no change of config
}


// -- bootstrap ----------------------------------------------------------------

TEST_F(Database, BootstrapAddsOnlyMissingTenants) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto renamed = acme();
  renamed.name = "Acme Renamed";
  db.update_tenant(renamed, t0 + 1, default_ttl);
  db.set_counters("acme", 9, 1);
  ASSERT_TRUE(db.insert_tenant(initech(), t0));
  db.set_status("initech", tenant_status::archived, t0 + 2);

  EXPECT_EQ(bootstrap_tenants(db, {acme(), globex(), initech()}, t0 + 100),
            1u);
  EXPECT_FALSE(db.in_transaction());
  auto a = db.tenant("acme");
  EXPECT_EQ(a->config.name, "Acme Renamed");
  EXPECT_EQ(a->chats, 9u);
  EXPECT_EQ(a->updated_at, t0 + 1);
  EXPECT_EQ(db.tenant("initech")->status, tenant_status::archived);
  auto g = db.tenant("globex");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->created_at, t0 + 100);
  EXPECT_EQ(g->status, tenant_status::active);
  EXPECT_EQ(raw_query(file_, "SELECT action FROM tenant_history WHERE tenant "
                             "= 'globex'"),
            "bootstrap");
  EXPECT_EQ(db.history_size("acme"), 2u);

  // Nothing missing: nothing added.
  EXPECT_EQ(bootstrap_tenants(db, {acme(), globex(), initech()}, t0 + 200),
            0u);
  EXPECT_EQ(db.tenants().size(), 3u);
}

} // namespace
