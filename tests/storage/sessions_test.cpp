// storage/sessions through sqlite_storage: sessions, their expiry, and the
// in-memory index of their ids.

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
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {s}));
  // A suspended tenant keeps sessions, so it may be given them.
  EXPECT_TRUE(db.insert_session("initech", make_session(t0, t0 + 60'000)));
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "2");
}

TEST_F(Database, SessionIdIsStoredAsBigEndianBlob) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  stored_session s{{0x0011223344556677ull, 0x8899aabbccddeeffull}, t0, t0,
                   t0 + 1, ""};
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

  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {live}));
  EXPECT_EQ(db.session_count("acme", t0), 1u);
  EXPECT_EQ(db.session_owner(live.id, t0), "acme");
  EXPECT_EQ(db.session_owner(expired.id, t0), "");
  EXPECT_EQ(db.session_owner(at_now.id, t0), "");
  EXPECT_EQ(db.session_owner(session_id::generate(), t0), "");
  // Earlier, all three were alive.
  EXPECT_EQ(db.session_count("acme", t0 - 1500), 3u);
  EXPECT_EQ(db.session_owner(expired.id, t0 - 1500), "acme");
  EXPECT_TRUE(all_sessions(db, "nobody", t0).empty());
}

TEST_F(Database, TouchAndDeleteSession) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto s = make_session(t0, t0 + 1000);
  ASSERT_TRUE(db.insert_session("acme", s));
  s.last_used = t0 + 5000;
  s.expires_at = t0 + 6000;
  db.touch_session(s);
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0 + 2000), {s}));
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
  EXPECT_EQ(purge_all(db, t0), 2u);
  EXPECT_EQ(purge_all(db, t0), 0u);
  // Purged rows are gone, not merely hidden.
  EXPECT_EQ(db.session_count("acme", 0), 1u);
  EXPECT_EQ(db.session_count("globex", 0), 0u);
  EXPECT_EQ(db.session_owner(live.id, t0), "acme");
}

TEST_F(Database, PurgeDeletesAtMostItsBatchEarliestFirst) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  std::vector<stored_session> expired;
  for (int i = 0; i < 5; ++i) {
    expired.push_back(make_session(t0 - 100, t0 - 10 + i));
    ASSERT_TRUE(db.insert_session("acme", expired.back()));
  }
  auto live = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", live));
  EXPECT_EQ(db.purge_expired_sessions(t0, 2), 2u);
  // The two that expired first are gone, the other three wait.
  EXPECT_EQ(db.session_owner(expired[0].id, 0), "");
  EXPECT_EQ(db.session_owner(expired[1].id, 0), "");
  EXPECT_EQ(db.session_owner(expired[2].id, 0), "acme");
  EXPECT_EQ(db.purge_expired_sessions(t0, 2), 2u);
  EXPECT_EQ(db.purge_expired_sessions(t0, 2), 1u);
  EXPECT_EQ(db.purge_expired_sessions(t0, 2), 0u);
  EXPECT_EQ(db.session_count("acme", 0), 1u);
}

TEST_F(Database, SessionsAreReadInPagesThatMissNothing) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  std::vector<stored_session> live;
  for (int i = 0; i < 7; ++i) {
    live.push_back(make_session(t0, t0 + 60'000 - i));
    ASSERT_TRUE(db.insert_session("acme", live.back()));
    // Another tenant's rows and expired ones in between are skipped.
    ASSERT_TRUE(db.insert_session("globex", make_session(t0, t0 + 60'000)));
    ASSERT_TRUE(db.insert_session("acme", make_session(t0 - 9, t0)));
  }
  auto first = db.sessions("acme", t0, 0, 3);
  ASSERT_EQ(first.sessions.size(), 3u);
  EXPECT_NE(first.next, 0);
  auto second = db.sessions("acme", t0, first.next, 3);
  ASSERT_EQ(second.sessions.size(), 3u);
  // A session added between pages is seen by a later page; one deleted
  // is not; none is repeated.
  auto added = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", added));
  db.delete_session(live[6].id);
  auto third = db.sessions("acme", t0, second.next, 3);
  ASSERT_EQ(third.sessions.size(), 1u);
  EXPECT_EQ(third.next, 0);
  EXPECT_TRUE(third.sessions[0].id == added.id);
  std::vector<stored_session> read = first.sessions;
  read.insert(read.end(), second.sessions.begin(), second.sessions.end());
  EXPECT_TRUE(same_sessions(read, {live.begin(), live.begin() + 6}));
  // Every page size gives the same sessions.
  live.pop_back();
  live.push_back(added);
  for (std::size_t size : {1u, 2u, 6u, 7u, 100u})
    EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0, size), live))
      << size;
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
    EXPECT_EQ(purge_all(db, t0), 1u);
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
  EXPECT_TRUE(same_sessions(all_sessions(db, "acme", t0), {touched}));
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

  EXPECT_EQ(purge_all(db, t0), 1u);
  // Earlier it was alive, but its row is gone.
  EXPECT_EQ(db.session_owner(expired.id, t0 - 20), "");
  db.begin();
  db.set_status("globex", tenant_status::archived, t0 + 1);
  EXPECT_EQ(db.delete_archived_sessions("globex", 10), 1u);
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

TEST_F(Database, AnArchivedTenantsSessionsAreNobodysAndDeletedInBatches) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  std::vector<stored_session> globex_sessions;
  for (int i = 0; i < 5; ++i) {
    globex_sessions.push_back(make_session(t0, t0 + 60'000));
    ASSERT_TRUE(db.insert_session("globex", globex_sessions.back()));
  }
  auto kept = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", kept));
  // Not archived: nothing to delete.
  EXPECT_EQ(db.delete_archived_sessions("globex", 10), 0u);
  EXPECT_TRUE(db.archived_with_sessions().empty());

  db.set_status("globex", tenant_status::archived, t0 + 1);
  // At once nobody's, though still stored.
  EXPECT_EQ(db.session_owner(globex_sessions[0].id, t0), "");
  EXPECT_EQ(db.session_count("globex", t0), 0u);
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "6");
  EXPECT_EQ(db.archived_with_sessions(), std::vector<std::string>{"globex"});
  EXPECT_EQ(db.delete_archived_sessions("globex", 2), 2u);
  EXPECT_EQ(db.delete_archived_sessions("globex", 2), 2u);
  EXPECT_EQ(db.delete_archived_sessions("globex", 2), 1u);
  EXPECT_EQ(db.delete_archived_sessions("globex", 2), 0u);
  EXPECT_TRUE(db.archived_with_sessions().empty());
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM sessions"), "1");
  EXPECT_EQ(db.session_owner(kept.id, t0), "acme");
  EXPECT_EQ(db.session_count("acme", t0), 1u);
}

} // namespace
