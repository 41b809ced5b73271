// Unit tests of storage/ (sqlite_storage over database, tenants, sessions): the schema and its migrations, every query,
// transactions, and refusing files that are not (or no longer) usable. Each
// test works on real files in a fresh temporary directory.

#include "storage/database.hpp"
#include "storage/sqlite_storage.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/test_tenants.hpp"

namespace {

namespace fs = std::filesystem;
using tenantd::bootstrap_tenants;
using tenantd::database;
using tenantd::sqlite_storage;
using tenantd::storage_error;
using tenantd::session_id;
using tenantd::stored_session;
using tenantd::tenant_config;
using tenantd::tenant_status;
using tenantd::test::acme;
using tenantd::test::globex;
using tenantd::test::initech;

constexpr int64_t t0 = 1'700'000'000'000; // a Unix time in ms
constexpr int64_t default_ttl = 86400;    // seconds

// A config with every field set to something other than its default.
tenant_config full_config() {
  auto cfg = acme();
  cfg.name = "Acme \"Corp\" \xc3\xa9t\xc3\xa9";
  cfg.welcome = "Howdy\nfrom Acme!\t\\o/";
  cfg.limits.chat_per_10s = 8;
  cfg.limits.session_ttl = 3600;
  return cfg;
}

stored_session make_session(int64_t last_used, int64_t expires_at) {
  return {session_id::generate(), last_used, last_used, expires_at};
}

bool same_sessions(std::vector<stored_session> xs,
                   std::vector<stored_session> ys) {
  auto by_id = [](const stored_session& x, const stored_session& y) {
    return x.id.hi != y.id.hi ? x.id.hi < y.id.hi : x.id.lo < y.id.lo;
  };
  std::sort(xs.begin(), xs.end(), by_id);
  std::sort(ys.begin(), ys.end(), by_id);
  return std::equal(xs.begin(), xs.end(), ys.begin(), ys.end(),
                    [](const stored_session& x, const stored_session& y) {
                      return x.id == y.id && x.created_at == y.created_at
                             && x.last_used == y.last_used
                             && x.expires_at == y.expires_at;
                    });
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// Overwrites `bytes` at `offset` of the file, leaving the rest as it was.
void overwrite(const std::string& path, std::size_t offset,
               const std::string& bytes) {
  std::fstream f{path, std::ios::binary | std::ios::in | std::ios::out};
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs `sql` on the file through a connection of its own (bypassing the
// class under test) and returns the first column of the first row.
std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr)
      == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW
        && sqlite3_column_text(stmt, 0) != nullptr)
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    else
      result = std::string{"error: "} + sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return result;
}

// Runs `sql` (no result wanted) through a connection of its own.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

class Database : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto suffix = std::to_string(::getpid()) + "-"
                  + std::to_string(counter++) + "-"
                  + std::to_string(std::random_device{}());
    base_ = fs::temp_directory_path() / ("tenantd-db-test-" + suffix);
    fs::create_directories(base_);
    // Not created yet: open() must create it.
    dir_ = (base_ / "data").string();
    file_ = (base_ / "data" / database::file_name).string();
  }

  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec); // undo chmod tests
    fs::remove_all(base_, ec);
  }

  // Opens and closes the database once, leaving a valid file behind.
  void create_file() {
    auto db = sqlite_storage::open(dir_);
    db.insert_tenant(acme(), t0);
  }

  // Expects open() to throw a storage_error whose message contains each
  // of `parts`.
  void expect_open_fails(const std::vector<std::string>& parts) {
    try {
      sqlite_storage::open(dir_);
      ADD_FAILURE() << "open succeeded";
    } catch (const storage_error& e) {
      std::string what = e.what();
      for (auto& part : parts)
        EXPECT_NE(what.find(part), std::string::npos)
          << "'" << part << "' not in: " << what;
    }
  }

  fs::path base_;
  std::string dir_;
  std::string file_;
};

// -- opening and the schema ---------------------------------------------------

TEST_F(Database, OpenCreatesDirectoryFileAndSchema) {
  auto db = sqlite_storage::open(dir_);
  EXPECT_EQ(db.path(), file_);
  EXPECT_TRUE(fs::is_regular_file(file_));
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"), "1");
  EXPECT_EQ(raw_query(file_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(name, ',') FROM (SELECT "
                             "name FROM sqlite_schema WHERE type = 'table' "
                             "ORDER BY name)"),
            "sessions,tenant_history,tenants");
  EXPECT_TRUE(db.tenants().empty());
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(Database, OpenUsesAnExistingDirectory) {
  fs::create_directories(dir_);
  auto db = sqlite_storage::open(dir_);
  EXPECT_TRUE(fs::is_regular_file(file_));
}

TEST_F(Database, ReopenKeepsEverything) {
  auto s1 = make_session(t0, t0 + 60'000);
  auto s2 = make_session(t0 + 5, t0 + 90'000);
  {
    auto db = sqlite_storage::open(dir_);
    ASSERT_TRUE(db.insert_tenant(full_config(), t0));
    ASSERT_TRUE(db.insert_tenant(globex(), t0 + 1));
    ASSERT_TRUE(db.insert_session("acme", s1));
    ASSERT_TRUE(db.insert_session("acme", s2));
    db.set_status("globex", tenant_status::suspended, t0 + 2);
    db.set_counters("acme", 42, 7);
  }
  auto db = sqlite_storage::open(dir_);
  auto tenants = db.tenants();
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0].id, "acme");
  EXPECT_EQ(tenants[0].status, tenant_status::active);
  EXPECT_EQ(tenants[1].id, "globex");
  EXPECT_EQ(tenants[1].status, tenant_status::suspended);
  auto a = db.tenant("acme");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->config.name, full_config().name);
  EXPECT_EQ(a->created_at, t0);
  EXPECT_EQ(a->updated_at, t0);
  EXPECT_EQ(a->chats, 42u);
  EXPECT_EQ(a->rate_limited, 7u);
  auto g = db.tenant("globex");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, tenant_status::suspended);
  EXPECT_EQ(g->created_at, t0 + 1);
  EXPECT_EQ(g->updated_at, t0 + 2);
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {s1, s2}));
  EXPECT_EQ(db.history_size("acme"), 1u);
  EXPECT_EQ(db.history_size("globex"), 2u);
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"), "1");
}

TEST_F(Database, MovedDatabaseKeepsItsConnection) {
  auto first = sqlite_storage::open(dir_);
  ASSERT_TRUE(first.insert_tenant(acme(), t0));
  sqlite_storage second{std::move(first)};
  EXPECT_EQ(second.path(), file_);
  EXPECT_EQ(second.tenants().size(), 1u);
  auto other_dir = (base_ / "other").string();
  auto third = sqlite_storage::open(other_dir);
  third = std::move(second); // closes other_dir's connection
  EXPECT_EQ(third.path(), file_);
  EXPECT_TRUE(third.insert_tenant(globex(), t0));
  EXPECT_EQ(third.tenants().size(), 2u);
}

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
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {s1, s2}));

  cfg.limits.session_ttl = 60;
  db.update_tenant(cfg, t0 + 2, default_ttl);
  s1.expires_at = t0 + 60'000;
  s2.expires_at = t0 + 500 + 60'000;
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {s1, s2}));
  EXPECT_TRUE(same_sessions(db.sessions("globex", t0), {other}));

  // Back to the default.
  cfg.limits.session_ttl = 0;
  db.update_tenant(cfg, t0 + 3, default_ttl);
  s1.expires_at = t0 + default_ttl * 1000;
  s2.expires_at = t0 + 500 + default_ttl * 1000;
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {s1, s2}));
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

// -- sessions -----------------------------------------------------------------

TEST_F(Database, InsertSessionRefusals) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  ASSERT_TRUE(db.insert_tenant(initech(), t0));
  db.set_status("globex", tenant_status::archived, t0);
  db.set_status("initech", tenant_status::suspended, t0);

  auto s = make_session(t0, t0 + 60'000);
  EXPECT_FALSE(db.insert_session("nobody", s));
  EXPECT_FALSE(db.insert_session("globex", s));
  ASSERT_TRUE(db.insert_session("acme", s));
  // The same id again, for the same or another tenant.
  auto again = s;
  again.expires_at = t0 + 120'000;
  EXPECT_FALSE(db.insert_session("acme", again));
  EXPECT_FALSE(db.insert_session("initech", again));
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {s}));
  // A suspended tenant keeps sessions, so it may be given them.
  EXPECT_TRUE(db.insert_session("initech", make_session(t0, t0 + 60'000)));
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "2");
}

TEST_F(Database, SessionIdIsStoredAsBigEndianBlob) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  stored_session s{{0x0011223344556677ull, 0x8899aabbccddeeffull}, t0, t0,
                   t0 + 1};
  ASSERT_TRUE(db.insert_session("acme", s));
  EXPECT_EQ(raw_query(file_, "SELECT hex(id) FROM sessions"),
            "00112233445566778899AABBCCDDEEFF");
  EXPECT_EQ(db.session_owner(s.id, t0), "acme");
}

TEST_F(Database, QueriesIgnoreExpiredSessions) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto live = make_session(t0, t0 + 1000);
  auto expired = make_session(t0 - 2000, t0 - 1000);
  auto at_now = make_session(t0 - 1000, t0); // expires_at == now: expired
  for (auto& s : {live, expired, at_now})
    ASSERT_TRUE(db.insert_session("acme", s));

  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {live}));
  EXPECT_EQ(db.session_count("acme", t0), 1u);
  EXPECT_EQ(db.session_owner(live.id, t0), "acme");
  EXPECT_EQ(db.session_owner(expired.id, t0), "");
  EXPECT_EQ(db.session_owner(at_now.id, t0), "");
  EXPECT_EQ(db.session_owner(session_id::generate(), t0), "");
  // Earlier, all three were alive.
  EXPECT_EQ(db.session_count("acme", t0 - 1500), 3u);
  EXPECT_EQ(db.session_owner(expired.id, t0 - 1500), "acme");
  EXPECT_TRUE(db.sessions("nobody", t0).empty());
}

TEST_F(Database, TouchAndDeleteSession) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto s = make_session(t0, t0 + 1000);
  ASSERT_TRUE(db.insert_session("acme", s));
  s.last_used = t0 + 5000;
  s.expires_at = t0 + 6000;
  db.touch_session(s);
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0 + 2000), {s}));
  db.touch_session(make_session(t0, t0 + 1)); // gone: no-op
  db.delete_session(s.id);
  db.delete_session(s.id); // gone: no-op
  EXPECT_EQ(db.session_count("acme", t0), 0u);
}

TEST_F(Database, PurgeDeletesOnlyExpiredSessions) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto live = make_session(t0, t0 + 1);
  ASSERT_TRUE(db.insert_session("acme", live));
  ASSERT_TRUE(db.insert_session("acme", make_session(t0 - 9, t0)));
  ASSERT_TRUE(db.insert_session("globex", make_session(t0 - 9, t0 - 5)));
  EXPECT_EQ(db.purge_expired_sessions(t0), 2u);
  EXPECT_EQ(db.purge_expired_sessions(t0), 0u);
  // Purged rows are gone, not merely hidden.
  EXPECT_EQ(db.session_count("acme", 0), 1u);
  EXPECT_EQ(db.session_count("globex", 0), 0u);
  EXPECT_EQ(db.session_owner(live.id, t0), "acme");
}

TEST_F(Database, SessionsAreRowsInInsertionOrder) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  std::vector<stored_session> inserted;
  for (int i = 0; i < 5; ++i) {
    inserted.push_back(make_session(t0, t0 + 60'000));
    ASSERT_TRUE(db.insert_session("acme", inserted.back()));
  }
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(seq, ',') FROM (SELECT seq "
                             "FROM sessions ORDER BY seq)"),
            "1,2,3,4,5");
  // No index on the id: lookups go through the index in memory.
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(name, ',') FROM (SELECT "
                             "name FROM sqlite_schema WHERE tbl_name = "
                             "'sessions' AND type = 'index' ORDER BY name)"),
            "sessions_by_expiry,sessions_by_tenant");
  for (auto& s : inserted)
    EXPECT_EQ(db.session_owner(s.id, t0), "acme");
}

TEST_F(Database, SessionIndexSurvivesReopen) {
  auto kept = make_session(t0, t0 + 60'000);
  auto deleted = make_session(t0, t0 + 60'000);
  auto purged = make_session(t0 - 10, t0 - 5);
  {
    auto db = sqlite_storage::open(dir_);
    ASSERT_TRUE(db.insert_tenant(acme(), t0));
    for (auto& s : {kept, deleted, purged})
      ASSERT_TRUE(db.insert_session("acme", s));
    db.delete_session(deleted.id);
    EXPECT_EQ(db.purge_expired_sessions(t0), 1u);
  }
  auto db = sqlite_storage::open(dir_);
  EXPECT_EQ(db.session_owner(kept.id, t0), "acme");
  EXPECT_EQ(db.session_owner(deleted.id, t0), "");
  EXPECT_EQ(db.session_owner(purged.id, t0 - 20), "");
  EXPECT_FALSE(db.insert_session("acme", kept)); // still known: a duplicate
  auto touched = kept;
  touched.last_used = t0 + 10;
  touched.expires_at = t0 + 120'000;
  db.touch_session(touched);
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {touched}));
  db.delete_session(kept.id);
  EXPECT_EQ(db.session_owner(kept.id, t0), "");
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "0");
}

TEST_F(Database, DuplicateSessionIsRefusedWithoutWriting) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  db.begin();
  auto again = s;
  again.created_at = again.last_used = t0 + 1;
  EXPECT_FALSE(db.insert_session("globex", again));
  db.commit();
  EXPECT_EQ(raw_query(file_, "SELECT count(*) || ' ' || tenant || ' ' || "
                             "created_at FROM sessions"),
            "1 acme " + std::to_string(t0));
  EXPECT_EQ(db.session_owner(s.id, t0), "acme");
}

TEST_F(Database, PurgeAndArchiveRemoveIdsFromTheIndex) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto expired = make_session(t0 - 10, t0 - 5);
  auto archived = make_session(t0, t0 + 60'000);
  auto other = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", expired));
  ASSERT_TRUE(db.insert_session("globex", archived));
  ASSERT_TRUE(db.insert_session("acme", other));

  EXPECT_EQ(db.purge_expired_sessions(t0), 1u);
  // Earlier it was alive, but its row is gone.
  EXPECT_EQ(db.session_owner(expired.id, t0 - 20), "");
  db.begin();
  db.set_status("globex", tenant_status::archived, t0 + 1);
  db.commit();
  EXPECT_EQ(db.session_owner(archived.id, t0), "");
  EXPECT_EQ(db.session_owner(other.id, t0), "acme");
  // A forgotten id is not a duplicate any more (ids are never reused in
  // practice; this shows the index let go of it).
  EXPECT_TRUE(db.insert_session("acme", expired));
  EXPECT_TRUE(db.insert_session("acme", archived));
  EXPECT_EQ(db.session_owner(expired.id, t0 - 20), "acme");
  EXPECT_EQ(db.session_owner(archived.id, t0), "acme");
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "3");
}

// -- transactions -------------------------------------------------------------

TEST_F(Database, RollbackUndoesWritesCommitKeepsThem) {
  auto db = sqlite_storage::open(dir_);
  db.begin();
  EXPECT_TRUE(db.in_transaction());
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_session("acme", make_session(t0, t0 + 1000)));
  db.rollback();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_FALSE(db.tenant("acme"));
  EXPECT_EQ(db.session_count("acme", t0), 0u);
  EXPECT_EQ(db.history_size("acme"), 0u);
  db.rollback(); // outside a transaction: harmless

  db.begin();
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  db.commit();
  EXPECT_FALSE(db.in_transaction());
  EXPECT_THROW(db.commit(), storage_error); // no transaction to commit
  EXPECT_EQ(raw_query(file_, "SELECT id FROM tenants"), "globex");
}

TEST_F(Database, RollbackLeavesTheSessionIndexAsTheTable) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto kept = make_session(t0, t0 + 60'000);
  auto deleted = make_session(t0, t0 + 60'000);
  auto purged = make_session(t0 - 10, t0 - 5);
  auto archived = make_session(t0, t0 + 60'000);
  for (auto& s : {kept, deleted, purged})
    ASSERT_TRUE(db.insert_session("acme", s));
  ASSERT_TRUE(db.insert_session("globex", archived));

  db.begin();
  auto added = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", added));
  db.delete_session(deleted.id);
  EXPECT_EQ(db.purge_expired_sessions(t0), 1u);
  db.set_status("globex", tenant_status::archived, t0 + 1);
  EXPECT_EQ(db.session_owner(added.id, t0), "acme");
  EXPECT_EQ(db.session_owner(deleted.id, t0), "");
  db.rollback();

  // As before the transaction, for owner, touch, delete and insert alike.
  EXPECT_EQ(db.session_owner(added.id, t0), "");
  EXPECT_EQ(db.session_owner(kept.id, t0), "acme");
  EXPECT_EQ(db.session_owner(deleted.id, t0), "acme");
  EXPECT_EQ(db.session_owner(purged.id, t0 - 20), "acme");
  EXPECT_EQ(db.session_owner(archived.id, t0), "globex");
  auto touched = deleted;
  touched.last_used = t0 + 10;
  db.touch_session(touched);
  EXPECT_TRUE(same_sessions(db.sessions("acme", t0), {kept, touched}));
  EXPECT_FALSE(db.insert_session("acme", kept));
  // The rolled back session's seq is given out again, to another id.
  auto next = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", next));
  EXPECT_EQ(db.session_owner(added.id, t0), "");
  db.touch_session(added); // not stored: no-op
  db.delete_session(added.id);
  EXPECT_EQ(db.session_owner(next.id, t0), "acme");
  EXPECT_TRUE(db.insert_session("acme", added));
  db.delete_session(purged.id);
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "5");
  EXPECT_EQ(db.session_owner(purged.id, t0 - 20), "");
}

TEST_F(Database, FailedArchiveKeepsTheSessionIndex) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  ASSERT_TRUE(db.insert_session("acme", make_session(t0, t0 + 60'000)));
  // A trigger fails the archive's DELETE half-way, after the first row:
  // the savepoint rolls the whole change back.
  raw_exec(file_, "CREATE TRIGGER keep_second BEFORE DELETE ON sessions "
                  "WHEN OLD.seq = 2 BEGIN SELECT RAISE(ABORT, 'refused'); "
                  "END");
  db.begin();
  auto added = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", added));
  EXPECT_THROW(db.set_status("acme", tenant_status::archived, t0 + 1),
               storage_error);
  EXPECT_TRUE(db.in_transaction());
  EXPECT_EQ(db.session_owner(s.id, t0), "acme");
  EXPECT_EQ(db.session_owner(added.id, t0), "acme");
  db.commit();
  EXPECT_EQ(db.tenant("acme")->status, tenant_status::active);
  EXPECT_EQ(db.session_count("acme", t0), 3u);

  // The same outside a transaction.
  EXPECT_THROW(db.set_status("acme", tenant_status::archived, t0 + 2),
               storage_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.session_owner(s.id, t0), "acme");
  EXPECT_FALSE(db.insert_session("acme", added));
}

TEST_F(Database, SessionIndexIsReloadedWhenSqliteEndedTheTransaction) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  // RAISE(ROLLBACK) ends the whole transaction from inside a statement, as
  // SQLite does by itself after some I/O errors; nobody calls rollback().
  raw_exec(file_, "CREATE TRIGGER end_all BEFORE UPDATE ON tenants BEGIN "
                  "SELECT RAISE(ROLLBACK, 'ended'); END");
  db.begin();
  auto added = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", added));
  db.delete_session(s.id);
  EXPECT_THROW(db.set_counters("acme", 1, 1), storage_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.session_owner(s.id, t0), "acme");
  EXPECT_EQ(db.session_owner(added.id, t0), "");
  EXPECT_TRUE(db.insert_session("acme", added));
}

TEST_F(Database, BeginInsideATransactionThrows) {
  auto db = sqlite_storage::open(dir_);
  db.begin();
  EXPECT_THROW(db.begin(), storage_error);
  EXPECT_TRUE(db.in_transaction());
  db.rollback();
}

TEST_F(Database, ClosingWithoutCommitDiscardsTheTransaction) {
  {
    auto db = sqlite_storage::open(dir_);
    db.begin();
    ASSERT_TRUE(db.insert_tenant(acme(), t0));
  }
  auto db = sqlite_storage::open(dir_);
  EXPECT_TRUE(db.tenants().empty());
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

// -- files that cannot be used ------------------------------------------------

TEST_F(Database, RefusesAFileThatIsNoDatabaseAndLeavesItAlone) {
  fs::create_directories(dir_);
  std::string content = "{\"id\":\"acme\"}\nthis is not a database at all, "
                        "but it is long enough to look like a header...\n";
  content += std::string(5000, 'x');
  {
    std::ofstream out{file_, std::ios::binary};
    out << content;
  }
  expect_open_fails({file_, "not a SQLite database"});
  EXPECT_EQ(read_file(file_), content);
  EXPECT_FALSE(fs::exists(file_ + "-wal"));
  EXPECT_FALSE(fs::exists(file_ + "-journal"));
}

TEST_F(Database, RefusesACorruptHeader) {
  create_file();
  overwrite(file_, 0, "garbage garbage!");
  auto before = read_file(file_);
  expect_open_fails({file_, "not a SQLite database or corrupt"});
  EXPECT_EQ(read_file(file_), before);
}

TEST_F(Database, RefusesACorruptSchemaPage) {
  create_file();
  // Page 1 holds the schema (sqlite_schema) in its tail; garble it all.
  overwrite(file_, 200, std::string(4096 - 200, '\xA5'));
  expect_open_fails({file_, "corrupt"});
}

TEST_F(Database, CorruptTablePageFailsOnFirstUse) {
  create_file();
  // Page 2 is the tenants table's root. open() does not read every page
  // (no integrity check at start-up), so the damage shows on first use.
  overwrite(file_, 4096, std::string(64, '\xA5'));
  try {
    auto db = sqlite_storage::open(dir_);
    db.tenants();
    ADD_FAILURE() << "reading a corrupt page succeeded";
  } catch (const storage_error& e) {
    EXPECT_NE(std::string{e.what()}.find("corrupt"), std::string::npos)
      << e.what();
  }
}

TEST_F(Database, RefusesANewerSchema) {
  create_file();
  raw_exec(file_, "PRAGMA user_version = 99");
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"), "99");
  expect_open_fails({file_, "schema version 99 is newer",
                     "supports (1)"});
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"), "99");
}

TEST_F(Database, RefusesAMissingParentDirectory) {
  dir_ = (base_ / "missing" / "data").string();
  expect_open_fails({dir_, "No such file or directory"});
  EXPECT_FALSE(fs::exists(base_ / "missing"));
}

TEST_F(Database, RefusesADirectoryThatIsAFile) {
  std::ofstream{dir_} << "x";
  expect_open_fails({dir_, "cannot create the database directory"});
}

TEST_F(Database, RefusesAnUnwritableDirectory) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root writes regardless of permissions";
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  expect_open_fails({dir_, "cannot write", "Permission denied"});
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(Database, RefusesADatabaseInAnUnwritableDirectory) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root writes regardless of permissions";
  create_file();
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  expect_open_fails({dir_, "cannot write", "Permission denied"});
}

TEST_F(Database, RefusesAReadOnlyFile) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root writes regardless of permissions";
  create_file();
  fs::permissions(file_, fs::perms::owner_read);
  expect_open_fails({file_, "read-only"});
}

} // namespace
