// storage/messages through sqlite_storage: a session's conversation, read
// in pages and newest first, kept apart by tenant, and gone with its
// session however the session goes.

#include <string>
#include <vector>

#include "tests/support/storage_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;

std::vector<stored_message> exchange(const std::string& said,
                                     const std::string& answered) {
  return {{0, t0, "user", said, 12, false, ""},
          {0, t0 + 1, "assistant", answered, 3, true, "gpt-test"}};
}

std::vector<std::string> contents(const std::vector<stored_message>& ms) {
  std::vector<std::string> out;
  for (auto& m : ms)
    out.push_back(m.role + ": " + m.content);
  return out;
}

TEST_F(Database, AConversationIsReadInPagesOldestFirst) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  db.append_messages("acme", s.id, exchange("one", "1"));
  db.append_messages("acme", s.id, exchange("two", "2"));
  auto first = db.messages("acme", s.id, 0, 3);
  EXPECT_EQ(contents(first.messages),
            (std::vector<std::string>{"user: one", "assistant: 1", "user: two"}));
  ASSERT_NE(first.next, 0);
  auto& answer = first.messages[1];
  EXPECT_EQ(answer.tokens, 3u);
  EXPECT_TRUE(answer.estimated);
  EXPECT_EQ(answer.model, "gpt-test");
  EXPECT_EQ(answer.at, t0 + 1);
  auto rest = db.messages("acme", s.id, first.next, 3);
  EXPECT_EQ(contents(rest.messages), (std::vector<std::string>{"assistant: 2"}));
  EXPECT_EQ(rest.next, 0);
  EXPECT_EQ(contents(db.newest_messages("acme", s.id, 2)),
            (std::vector<std::string>{"user: two", "assistant: 2"}));
  EXPECT_EQ(db.clear_messages("acme", s.id), 4u);
  EXPECT_TRUE(db.messages("acme", s.id, 0, 10).messages.empty());
}

TEST_F(Database, AConversationIsItsTenantsOnly) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto s = make_session(t0, t0 + 60'000);
  ASSERT_TRUE(db.insert_session("acme", s));
  db.append_messages("acme", s.id, exchange("mine", "ok"));
  // Another tenant neither adds to it, reads it nor clears it.
  db.append_messages("globex", s.id, exchange("theirs", "no"));
  EXPECT_TRUE(db.messages("globex", s.id, 0, 10).messages.empty());
  EXPECT_TRUE(db.newest_messages("globex", s.id, 10).empty());
  EXPECT_EQ(db.clear_messages("globex", s.id), 0u);
  EXPECT_EQ(db.messages("acme", s.id, 0, 10).messages.size(), 2u);
  // Nor does a session nobody holds get any.
  auto unknown = make_session(t0, t0 + 60'000);
  db.append_messages("acme", unknown.id, exchange("lost", "lost"));
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM session_messages"), "2");
}

TEST_F(Database, AConversationGoesWithItsSession) {
  auto db = sqlite_storage::open(dir_);
  ASSERT_TRUE(db.insert_tenant(acme(), t0));
  ASSERT_TRUE(db.insert_tenant(globex(), t0));
  auto deleted = make_session(t0, t0 + 60'000);
  auto expired = make_session(t0, t0 + 1'000);
  auto archived = make_session(t0, t0 + 60'000);
  auto kept = make_session(t0, t0 + 60'000);
  for (auto* s : {&deleted, &expired, &kept})
    ASSERT_TRUE(db.insert_session("acme", *s));
  ASSERT_TRUE(db.insert_session("globex", archived));
  db.append_messages("acme", deleted.id, exchange("a", "b"));
  db.append_messages("acme", expired.id, exchange("a", "b"));
  db.append_messages("acme", kept.id, exchange("a", "b"));
  db.append_messages("globex", archived.id, exchange("a", "b"));
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM session_messages"), "8");
  db.delete_session(deleted.id);
  EXPECT_EQ(purge_all(db, t0 + 2'000), 1u);
  db.set_status("globex", tenant_status::archived, t0);
  EXPECT_EQ(db.delete_archived_sessions("globex", 10), 1u);
  EXPECT_EQ(raw_query(file_, "SELECT count(*) FROM session_messages"), "2");
  EXPECT_EQ(db.messages("acme", kept.id, 0, 10).messages.size(), 2u);
}

TEST_F(Database, AConversationSurvivesReopening) {
  auto s = make_session(t0, t0 + 60'000);
  {
    auto db = sqlite_storage::open(dir_);
    ASSERT_TRUE(db.insert_tenant(acme(), t0));
    ASSERT_TRUE(db.insert_session("acme", s));
    db.begin();
    db.append_messages("acme", s.id, exchange("durable", "yes"));
    db.commit();
  }
  auto db = sqlite_storage::open(dir_);
  EXPECT_EQ(contents(db.newest_messages("acme", s.id, 10)),
            (std::vector<std::string>{"user: durable", "assistant: yes"}));
}

} // namespace
