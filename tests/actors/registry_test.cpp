// The registry as the directory of tenants: lookups, sessions and chats sent
// straight to the tenant actors it hands out, tenants created at run time,
// and tenant actors that fail and are restarted. On CAF's deterministic test
// coordinator with virtual time (tests/support/actor_fixture.hpp).

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "tests/support/actor_fixture.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {

// -- registry: routing, sessions, runtime spawn, restart ----------------------

// Three seed tenants, deliberately not in alphabetical order.
class RegistryTest : public actor_fixture {
protected:
  void SetUp() override {
    start_registry({globex(), acme(), initech()});
  }

  /// Kills `tenant` the way a crash would and lets the registry react.
  void kill(const tenant_actor& tenant) {
    self->send_exit(tenant, caf::exit_reason::kill);
    run();
  }
};

TEST_F(RegistryTest, ListReturnsIdsInConfigOrder) {
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"globex", "acme", "initech"}));
}

TEST_F(RegistryTest, OpenUnknownTenantFailsWithUnknownTenant) {
  EXPECT_ERRC(open("umbrella"), errc::unknown_tenant);
  EXPECT_ERRC(open(""), errc::unknown_tenant);
  EXPECT_ERRC(open("ACME"), errc::unknown_tenant);
}

TEST_F(RegistryTest, OpenGrantsUuidV4SessionWithTenantFace) {
  auto grant = open("acme");
  ASSERT_OK(grant);
  EXPECT_TRUE(is_canonical_uuid_v4(grant->session_id)) << grant->session_id;
  EXPECT_EQ(grant->tenant_id, "acme");
  EXPECT_EQ(grant->name, "Acme Corp");
  EXPECT_EQ(grant->welcome, "Howdy from Acme!");
}

TEST_F(RegistryTest, OpensGiveDistinctSessionIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto grant = open(i % 2 == 0 ? "acme" : "globex");
    ASSERT_OK(grant);
    ids.insert(grant->session_id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(RegistryTest, ChatRoutesToTheNamedTenantsTemplate) {
  auto acme_sid = session_for("acme");
  auto globex_sid = session_for("globex");
  auto initech_sid = session_for("initech");
  auto a = chat("acme", acme_sid, "  hello ");
  ASSERT_OK(a);
  EXPECT_FALSE(a->limited);
  EXPECT_EQ(a->reply, acme_hello_reply);
  EXPECT_EQ(a->model, "mock-1");
  auto g = chat("globex", globex_sid, "\thello from globex\n");
  ASSERT_OK(g);
  EXPECT_FALSE(g->limited);
  EXPECT_EQ(g->reply, "Welcome from Globex. [GLOBEX MOCK] Echo: HELLO FROM GLOBEX");
  EXPECT_EQ(g->model, "mock-2");
  auto i = chat("initech", initech_sid, "hi");
  ASSERT_OK(i);
  EXPECT_EQ(i->reply,
            "Initech says hi. [INITECH MOCK] Got it. 'hi'. (pretend-smart summary).");
  EXPECT_EQ(i->model, "mock-3");
}

TEST_F(RegistryTest, ChatUnknownTenantFailsWithUnknownTenant) {
  auto sid = session_for("acme");
  EXPECT_ERRC(chat("umbrella", sid, "hello"), errc::unknown_tenant);
}

TEST_F(RegistryTest, ChatChecksTenantBeforeSession) {
  EXPECT_ERRC(chat("umbrella", "garbage", "hello"), errc::unknown_tenant);
  EXPECT_ERRC(chat("umbrella", never_issued, "hello"), errc::unknown_tenant);
}

TEST_F(RegistryTest, ChatMalformedSessionFailsWithUnknownSession) {
  auto sid = session_for("acme");
  EXPECT_ERRC(chat("acme", "", "hello"), errc::unknown_session);
  EXPECT_ERRC(chat("acme", "not-a-session", "hello"), errc::unknown_session);
  EXPECT_ERRC(chat("acme", sid + "0", "hello"), errc::unknown_session);
  EXPECT_ERRC(chat("acme", " " + sid, "hello"), errc::unknown_session);
  // The seed compares strings exactly: an upper-case copy is another id.
  ASSERT_NE(upper_ascii(sid), sid);
  EXPECT_ERRC(chat("acme", upper_ascii(sid), "hello"), errc::unknown_session);
}

TEST_F(RegistryTest, ChatNeverIssuedSessionFailsWithUnknownSession) {
  session_for("acme");
  EXPECT_ERRC(chat("acme", never_issued, "hello"), errc::unknown_session);
  EXPECT_ERRC(chat("acme", session_id::generate().to_string(), "hello"),
              errc::unknown_session);
}

TEST_F(RegistryTest, ChatWithAnotherTenantsSessionFailsWithForeignSession) {
  auto acme_sid = session_for("acme");
  EXPECT_ERRC(chat("globex", acme_sid, "should fail"), errc::foreign_session);
  EXPECT_ERRC(chat("initech", acme_sid, "should fail"), errc::foreign_session);
}

TEST_F(RegistryTest, SessionStillWorksWithItsTenantAfterForeignAttempt) {
  auto acme_sid = session_for("acme");
  EXPECT_ERRC(chat("globex", acme_sid, "should fail"), errc::foreign_session);
  auto r = chat("acme", acme_sid, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
}

TEST_F(RegistryTest, CreateAppendsTenantToList) {
  auto ok = create(make_tenant("hooli", "Hooli", "Hi from Hooli.", "mock-9", 2,
                              "{name}: {message|lower}"));
  ASSERT_OK(ok);
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids,
            (std::vector<std::string>{"globex", "acme", "initech", "hooli"}));
}

TEST_F(RegistryTest, CreatedTenantServesOpenAndChat) {
  ASSERT_TRUE(create(make_tenant("hooli", "Hooli", "Hi from Hooli.", "mock-9",
                                2, "{name}: {message|lower}")));
  auto grant = open("hooli");
  ASSERT_OK(grant);
  EXPECT_TRUE(is_canonical_uuid_v4(grant->session_id));
  EXPECT_EQ(grant->tenant_id, "hooli");
  EXPECT_EQ(grant->name, "Hooli");
  EXPECT_EQ(grant->welcome, "Hi from Hooli.");
  auto r = chat("hooli", grant->session_id, " Hello World ");
  ASSERT_OK(r);
  EXPECT_FALSE(r->limited);
  EXPECT_EQ(r->reply, "Hooli: hello world");
  EXPECT_EQ(r->model, "mock-9");
  EXPECT_EQ(r->window.limit, 2u);
  EXPECT_EQ(r->window.remaining, 1u);
  // Sessions of the new tenant are tenant-bound like any other.
  EXPECT_ERRC(chat("acme", grant->session_id, "x"), errc::foreign_session);
}

TEST_F(RegistryTest, CreateExistingIdFailsWithDuplicateTenant) {
  auto impostor = make_tenant("acme", "Impostor", "Gotcha.", "evil", 1,
                              "{message}");
  EXPECT_ERRC(create(impostor), errc::duplicate_tenant);
  // Nothing changed: same list, same face, same replies.
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"globex", "acme", "initech"}));
  auto grant = open("acme");
  ASSERT_OK(grant);
  EXPECT_EQ(grant->name, "Acme Corp");
  auto r = chat("acme", grant->session_id, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
}

// A config whose reply template does not compile never reaches the store.
tenant_config broken_tenant() {
  return make_tenant("broken", "Broken", "Hi.", "mock", 0,
                     "{no_such_placeholder}");
}

TEST_F(RegistryTest, CreateWithUncompilableTemplateIsRefused) {
  EXPECT_ERRC(create(broken_tenant()), errc::invalid_config);
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"globex", "acme", "initech"}));
}

TEST_F(RegistryTest, CreateWithInvalidIdIsRefused) {
  auto bad = acme();
  bad.id = "Not Valid";
  EXPECT_ERRC(create(bad), errc::invalid_config);
  bad.id = "";
  EXPECT_ERRC(create(bad), errc::invalid_config);
}

TEST_F(RegistryTest, TenantFailingRightAfterEachStartIsGivenUp) {
  // Five failures, each right after a (re)start: the registry stops
  // restarting instead of spinning, and says so to clients.
  for (int i = 0; i < 5; ++i) {
    auto actor = tenant_of("acme");
    ASSERT_OK(actor);
    kill(*actor);
  }
  EXPECT_ERRC(tenant_of("acme"), errc::tenant_unavailable);
  EXPECT_ERRC(open("acme"), errc::tenant_unavailable);
  EXPECT_ERRC(chat("acme", "00000000-0000-4000-8000-000000000000", "hi"),
              errc::tenant_unavailable);
  // Nobody else is affected.
  auto grant = open("globex");
  ASSERT_OK(grant);
  ASSERT_OK(chat("globex", grant->session_id, "hi"));
}

TEST_F(RegistryTest, TenantFailingRarelyIsAlwaysRestarted) {
  for (int i = 0; i < 10; ++i) {
    auto actor = tenant_of("acme");
    ASSERT_OK(actor);
    advance(std::chrono::seconds{2});
    kill(*actor);
  }
  auto grant = open("acme");
  ASSERT_OK(grant);
  ASSERT_OK(chat("acme", grant->session_id, "hi"));
}

TEST_F(RegistryTest, TenantLookupReturnsTheServingActor) {
  auto handle = tenant_of("acme");
  ASSERT_OK(handle);
  ASSERT_TRUE(*handle);
  auto config = config_of(*handle);
  ASSERT_OK(config);
  expect_same_config(*config, acme());
  // It is the actor that serves the registry's chats: a session it accepts.
  auto grant = open("acme");
  ASSERT_OK(grant);
  auto id = session_id::parse(grant->session_id);
  ASSERT_TRUE(id);
  auto r = chat_direct(*handle, *id, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
}

TEST_F(RegistryTest, TenantLookupUnknownFailsWithUnknownTenant) {
  EXPECT_ERRC(tenant_of("umbrella"), errc::unknown_tenant);
}

TEST_F(RegistryTest, KilledTenantIsRestartedWithNewHandle) {
  auto old_acme = tenant_of("acme");
  ASSERT_OK(old_acme);
  kill(*old_acme);
  // The old actor is really gone.
  EXPECT_FALSE(config_of(*old_acme));
  auto new_acme = tenant_of("acme");
  ASSERT_OK(new_acme);
  ASSERT_TRUE(*new_acme);
  EXPECT_NE(new_acme->id(), old_acme->id());
  auto config = config_of(*new_acme);
  ASSERT_OK(config);
  expect_same_config(*config, acme());
  // A restart replaces the tenant in place: no new entry, same order.
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"globex", "acme", "initech"}));
}

TEST_F(RegistryTest, RestartedTenantServesOpenAndChatFromItsConfig) {
  auto old_acme = tenant_of("acme");
  ASSERT_OK(old_acme);
  kill(*old_acme);
  auto grant = open("acme");
  ASSERT_OK(grant);
  EXPECT_EQ(grant->tenant_id, "acme");
  EXPECT_EQ(grant->name, "Acme Corp");
  EXPECT_EQ(grant->welcome, "Howdy from Acme!");
  auto r = chat("acme", grant->session_id, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
  EXPECT_EQ(r->model, "mock-1");
}

TEST_F(RegistryTest, ReactivatedTenantKeepsItsSessions) {
  auto old_sid = session_for("acme");
  ASSERT_TRUE(chat("acme", old_sid, "hello"));
  auto old_acme = tenant_of("acme");
  ASSERT_OK(old_acme);
  kill(*old_acme);
  // The new actor loads the sessions from the store.
  auto r = chat("acme", old_sid, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
  EXPECT_ERRC(chat("globex", old_sid, "hello"), errc::foreign_session);
}

TEST_F(RegistryTest, RestartLeavesOtherTenantsUntouched) {
  auto globex_before = tenant_of("globex");
  ASSERT_OK(globex_before);
  auto globex_sid = session_for("globex");
  auto acme = tenant_of("acme");
  ASSERT_OK(acme);
  kill(*acme);
  auto globex_after = tenant_of("globex");
  ASSERT_OK(globex_after);
  EXPECT_EQ(globex_after->id(), globex_before->id());
  EXPECT_TRUE(*globex_after == *globex_before);
  auto r = chat("globex", globex_sid, "still here");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, "Welcome from Globex. [GLOBEX MOCK] Echo: STILL HERE");
}

} // namespace
