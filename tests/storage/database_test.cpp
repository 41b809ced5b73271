// storage/database through sqlite_storage: opening (and the schema), moving,
// groups of writes (transactions, rollbacks and the session index), and
// refusing files that are not (or no longer) usable. Real files in a fresh
// directory per test.

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

// -- opening and the schema ---------------------------------------------------

TEST_F(Database, OpenCreatesDirectoryFileAndSchema) {
  auto db = sqlite_storage::open(dir_);
  EXPECT_EQ(db.path(), file_);
  EXPECT_TRUE(fs::is_regular_file(file_));
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"),
            std::to_string(database::schema_version));
  EXPECT_EQ(raw_query(file_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(name, ',') FROM (SELECT "
                             "name FROM sqlite_schema WHERE type = 'table' "
                             "ORDER BY name)"),
            "api_keys,audit_events,session_messages,sessions,sqlite_sequence,"
            "tenant_history,tenants,users");
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
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {s1, s2}));
  EXPECT_EQ(db.history_size("acme"), 1u);
  EXPECT_EQ(db.history_size("globex"), 2u);
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"),
            std::to_string(database::schema_version));
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
  EXPECT_EQ(purge_all(db, t0), 1u);
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
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {kept, touched}));
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

TEST_F(Database, AFailedDeletionOfArchivedSessionsKeepsTheSessionIndex) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  ASSERT_TRUE(db.insert_session("acme", make_session(t0, t0 + 60'000)));
  db.set_status("acme", tenant_status::archived, t0 + 1);
  // A trigger fails the batch's DELETE half-way, after the first row: the
  // statement's change is rolled back whole.
  raw_exec(file_, "CREATE TRIGGER keep_second BEFORE DELETE ON sessions "
                  "WHEN OLD.seq = 2 BEGIN SELECT RAISE(ABORT, 'refused'); "
                  "END");
  db.begin();
  EXPECT_THROW(db.delete_archived_sessions("acme", 10), storage_error);
  EXPECT_TRUE(db.in_transaction());
  db.commit();
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "2");
  // Still in the index: the id is a duplicate for any tenant.
  EXPECT_FALSE(db.insert_session("globex", s));

  // The same outside a transaction.
  EXPECT_THROW(db.delete_archived_sessions("acme", 10), storage_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_FALSE(db.insert_session("globex", s));
  raw_exec(file_, "DROP TRIGGER keep_second");
  EXPECT_EQ(db.delete_archived_sessions("acme", 10), 2u);
  EXPECT_TRUE(db.insert_session("globex", s));
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

TEST_F(Database, MigratesAVersion1DatabaseKeepingItsSessions) {
  // As the first release left it: its schema, a tenant and two sessions.
  fs::create_directories(dir_);
  std::ofstream{file_}; // an empty file is an empty database
  raw_exec(file_, R"sql(
    CREATE TABLE tenants (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL
        CHECK (status IN ('active', 'suspended', 'archived')),
      config TEXT NOT NULL, created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, chats INTEGER NOT NULL DEFAULT 0,
      rate_limited INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE tenant_history (seq INTEGER PRIMARY KEY,
      tenant TEXT NOT NULL REFERENCES tenants (id), at INTEGER NOT NULL,
      action TEXT NOT NULL, status TEXT NOT NULL, config TEXT NOT NULL);
    CREATE INDEX tenant_history_by_tenant ON tenant_history (tenant);
    CREATE TABLE sessions (seq INTEGER PRIMARY KEY, id BLOB NOT NULL,
      tenant TEXT NOT NULL REFERENCES tenants (id),
      created_at INTEGER NOT NULL, last_used INTEGER NOT NULL,
      expires_at INTEGER NOT NULL);
    CREATE INDEX sessions_by_tenant ON sessions (tenant, expires_at);
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    PRAGMA user_version = 1;
  )sql");
  {
    auto db = sqlite_storage::open(dir_ + "/scratch");
    ASSERT_TRUE(db.insert_tenant(acme(), t0));
  }
  raw_exec(file_, "ATTACH '" + dir_ + "/scratch/" + database::file_name
                    + "' AS v; INSERT INTO tenants SELECT * FROM v.tenants; "
                      "INSERT INTO sessions VALUES (1, x'00112233445566778899"
                      "aabbccddeeff', 'acme', 1, 2, 9000000000000), (2, "
                      "x'ffeeddccbbaa99887766554433221100', 'acme', 1, 2, 3)");
  auto db = sqlite_storage::open(dir_);
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"),
            std::to_string(database::schema_version));
  EXPECT_EQ(raw_query(file_, "SELECT group_concat(name, ',') FROM "
                             "pragma_index_info('sessions_by_tenant')"),
            "tenant,seq,expires_at");
  auto page = db.sessions("acme", t0, 0, 10);
  ASSERT_EQ(page.sessions.size(), 1u); // the other one expired
  EXPECT_EQ(page.sessions[0].id.to_string(),
            "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(db.session_owner(page.sessions[0].id, t0), "acme");
}

TEST_F(Database, RefusesANewerSchema) {
  create_file();
  raw_exec(file_, "PRAGMA user_version = 99");
  EXPECT_EQ(raw_query(file_, "PRAGMA user_version"), "99");
  expect_open_fails({file_, "schema version 99 is newer",
                     "supports (" + std::to_string(database::schema_version) + ")"});
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
