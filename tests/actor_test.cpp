// Actor-level tests: the registry and tenant actors through their typed
// interfaces (actors/actors.hpp), on CAF's deterministic test coordinator
// with virtual time. See actor_fixture.hpp.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "tests/actor_fixture.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {

const std::string acme_hello_reply
  = "Howdy from Acme! [ACME MOCK] You said: 'hello'. "
    "Here's it reversed: 'olleh'";

// A well-formed UUIDv4 that no registry ever issued (the odds of a
// collision with a random id are 2^-122).
const std::string never_issued = "123e4567-e89b-42d3-a456-426614174000";

std::string upper_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return s;
}

void expect_same_config(const tenant_config& got, const tenant_config& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.welcome, want.welcome);
  EXPECT_EQ(got.model, want.model);
  EXPECT_EQ(got.limits.chat_per_10s, want.limits.chat_per_10s);
  EXPECT_EQ(got.reply, want.reply);
}

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

// -- tenant rate limit, in virtual time ----------------------------------------

// "a" allows 3 chats per 10 s, "b" 2, "free" has no limit.
class RateLimitTest : public actor_fixture {
protected:
  void SetUp() override {
    start_registry({make_tenant("a", "A", "wa", "ma", 3, "{message}"),
                    make_tenant("b", "B", "wb", "mb", 2, "{message}"),
                    make_tenant("free", "Free", "wf", "mf", 0, "{message}")});
  }

  /// Chats and returns the result; a failed ask fails the test.
  chat_result must_chat(const std::string& tenant, const std::string& sid,
                        const std::string& message = "ping") {
    auto r = chat(tenant, sid, message);
    EXPECT_TRUE(r) << "chat(" << tenant << "): " << render(r.error());
    return r ? *r : chat_result{};
  }

  /// Expects an admitted chat leaving `remaining` and `reset` seconds.
  void expect_admitted(const chat_result& r, uint32_t limit,
                       uint32_t remaining, uint32_t reset) {
    EXPECT_FALSE(r.limited);
    EXPECT_EQ(r.reply, "ping");
    EXPECT_EQ(r.window.limit, limit);
    EXPECT_EQ(r.window.window_seconds, 10u);
    EXPECT_EQ(r.window.remaining, remaining);
    EXPECT_EQ(r.window.reset_seconds, reset);
  }

  /// Expects a refused chat whose window resets in `reset` seconds.
  void expect_limited(const chat_result& r, uint32_t limit, uint32_t reset) {
    EXPECT_TRUE(r.limited);
    EXPECT_EQ(r.reply, "");
    EXPECT_EQ(r.model, "");
    EXPECT_EQ(r.window.limit, limit);
    EXPECT_EQ(r.window.window_seconds, 10u);
    EXPECT_EQ(r.window.remaining, 0u);
    EXPECT_EQ(r.window.reset_seconds, reset);
  }
};

TEST_F(RateLimitTest, AdmitsLimitChatsCountingDown) {
  auto sid = session_for("a");
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1));
    auto r = must_chat("a", sid);
    expect_admitted(r, 3, 2 - i, 10);
    EXPECT_EQ(r.model, "ma");
  }
}

TEST_F(RateLimitTest, RefusesChatOverLimit) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  expect_limited(must_chat("a", sid), 3, 10);
  advance(4s);
  expect_limited(must_chat("a", sid), 3, 6);
}

TEST_F(RateLimitTest, WindowReopensAfterTenSeconds) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  ASSERT_TRUE(must_chat("a", sid).limited);
  advance(10s);
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1) + " of the new window");
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
  }
  expect_limited(must_chat("a", sid), 3, 10);
}

TEST_F(RateLimitTest, WindowStaysClosedUntilTheFullTenSeconds) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  advance(10s - 1ns);
  // 1 ns left: still closed, and reset_seconds rounds up to 1.
  expect_limited(must_chat("a", sid), 3, 1);
  advance(1ns);
  expect_admitted(must_chat("a", sid), 3, 2, 10);
}

TEST_F(RateLimitTest, ResetSecondsIsTheCeilingOfTheTimeLeft) {
  auto sid = session_for("a");
  expect_admitted(must_chat("a", sid), 3, 2, 10);
  advance(3s);
  expect_admitted(must_chat("a", sid), 3, 1, 7);
  advance(500ms); // 6.5 s left
  expect_admitted(must_chat("a", sid), 3, 0, 7);
  advance(500ms); // 6 s left
  expect_limited(must_chat("a", sid), 3, 6);
}

TEST_F(RateLimitTest, RefusedChatsNeitherConsumeQuotaNorMoveTheWindow) {
  auto sid = session_for("a");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", sid).limited);
  advance(5s);
  for (int i = 0; i < 5; ++i)
    expect_limited(must_chat("a", sid), 3, 5);
  advance(4s);
  expect_limited(must_chat("a", sid), 3, 1);
  advance(1s); // 10 s after the window opened, whatever was refused since
  for (uint32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("chat " + std::to_string(i + 1) + " of the new window");
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
  }
}

TEST_F(RateLimitTest, LimitIsPerTenant) {
  auto a_sid = session_for("a");
  auto b_sid = session_for("b");
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(must_chat("a", a_sid).limited);
  ASSERT_TRUE(must_chat("a", a_sid).limited);
  expect_admitted(must_chat("b", b_sid), 2, 1, 10);
  expect_admitted(must_chat("b", b_sid), 2, 0, 10);
  expect_limited(must_chat("b", b_sid), 2, 10);
  // B filling up did not give A anything back either.
  expect_limited(must_chat("a", a_sid), 3, 10);
}

TEST_F(RateLimitTest, LimitIsSharedByAllSessionsOfATenant) {
  auto s1 = session_for("a");
  auto s2 = session_for("a");
  auto s3 = session_for("a");
  expect_admitted(must_chat("a", s1), 3, 2, 10);
  expect_admitted(must_chat("a", s2), 3, 1, 10);
  expect_admitted(must_chat("a", s3), 3, 0, 10);
  expect_limited(must_chat("a", session_for("a")), 3, 10);
}

TEST_F(RateLimitTest, NoLimitAdmitsEveryChat) {
  auto sid = session_for("free");
  for (int i = 0; i < 1000; ++i) {
    auto r = must_chat("free", sid);
    ASSERT_FALSE(r.limited) << "chat " << i + 1;
    ASSERT_EQ(r.reply, "ping");
    ASSERT_EQ(r.model, "mf");
    ASSERT_EQ(r.window.limit, 0u) << "chat " << i + 1;
  }
}

TEST_F(RateLimitTest, UnknownSessionDoesNotConsumeQuota) {
  auto sid = session_for("a");
  // Refused by the registry's directory...
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat("a", never_issued, "ping"), errc::unknown_session);
  // ...and by the tenant actor itself, when asked directly.
  auto tenant = tenant_of("a");
  ASSERT_OK(tenant);
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat_direct(*tenant, session_id::generate(), "ping"),
                errc::unknown_session);
  for (uint32_t i = 0; i < 3; ++i)
    expect_admitted(must_chat("a", sid), 3, 2 - i, 10);
}

TEST_F(RateLimitTest, ForeignSessionDoesNotConsumeQuota) {
  auto a_sid = session_for("a");
  auto b_sid = session_for("b");
  for (int i = 0; i < 5; ++i)
    EXPECT_ERRC(chat("a", b_sid, "ping"), errc::foreign_session);
  for (uint32_t i = 0; i < 3; ++i)
    expect_admitted(must_chat("a", a_sid), 3, 2 - i, 10);
}

// -- the clock the actors read ------------------------------------------------

using VirtualClockTest = actor_fixture;

TEST_F(VirtualClockTest, ActorsReadTheTestCoordinatorsClock) {
  EXPECT_EQ(&sys.clock(), static_cast<caf::actor_clock*>(&sched.clock()));
  auto t0 = sys.clock().now();
  advance(3s);
  EXPECT_EQ(sys.clock().now() - t0, caf::timespan{3s});
  // Wall time does not leak in: without advancing, the clock stands still.
  EXPECT_EQ(sys.clock().now() - t0, caf::timespan{3s});
}

// -- lifecycle: admin changes, durability, expiry, passivation ----------------

class LifecycleTest : public actor_fixture {
protected:
  void SetUp() override {
    settings.session_ttl = 60s;
    settings.tenant_idle = 30s;
    start_registry({globex(), acme(), initech()});
  }

  /// Whether `actor` still runs (a dead actor answers nothing).
  bool alive(const tenant_actor& actor) {
    return static_cast<bool>(config_of(actor));
  }
};

TEST_F(LifecycleTest, CreateAnswersWithTheStoredRecord) {
  auto rec = create(make_tenant("hooli", "Hooli", "Hi.", "m", 0, "{message}"));
  ASSERT_OK(rec);
  EXPECT_EQ(rec->config.id, "hooli");
  EXPECT_EQ(rec->status, tenant_status::active);
  EXPECT_TRUE(rec->stats.active);
  EXPECT_EQ(rec->stats.sessions, 0u);
  EXPECT_GT(rec->created_at, 0);
  EXPECT_EQ(rec->created_at, rec->updated_at);
  // Committed: the database has it before anyone asks again.
  auto stored = peek().tenant("hooli");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->config.name, "Hooli");
}

TEST_F(LifecycleTest, PatchIsUsedByTheNextChatAndSessionsStayValid) {
  auto sid = session_for("acme");
  auto rec = update("acme", R"({"welcome":"Hey!","reply":"{welcome} {message|upper}"})");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->config.welcome, "Hey!");
  EXPECT_EQ(rec->config.name, "Acme Corp");
  auto r = chat("acme", sid, "hello");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, "Hey! HELLO");
  EXPECT_EQ(peek().tenant("acme")->config.welcome, "Hey!");
  EXPECT_EQ(peek().history_size("acme"), 2u); // bootstrap, update
}

TEST_F(LifecycleTest, ChangeAnswersCarryTheLiveFigures) {
  auto sid = session_for("acme");
  ASSERT_OK(chat("acme", sid, "one"));
  ASSERT_OK(chat("acme", sid, "two"));
  // Within the touch interval: the store has not heard of the chats yet.
  EXPECT_EQ(peek().tenant("acme")->chats, 0u);
  auto rec = update("acme", R"({"name":"Acme"})");
  ASSERT_OK(rec);
  EXPECT_TRUE(rec->stats.active);
  EXPECT_EQ(rec->stats.chats, 2u);
  EXPECT_EQ(rec->stats.sessions, 1u);
  rec = set_status("acme", tenant_status::suspended);
  ASSERT_OK(rec);
  EXPECT_EQ(rec->stats.chats, 2u);
}

TEST_F(LifecycleTest, PatchWithNullRemovesALimit) {
  auto sid = session_for("acme");
  ASSERT_OK(update("acme", R"({"limits":{"chat_per_10s":null}})"));
  for (int i = 0; i < 20; ++i) {
    auto r = chat("acme", sid, "x");
    ASSERT_OK(r);
    ASSERT_FALSE(r->limited) << "chat " << i;
  }
}

TEST_F(LifecycleTest, InvalidPatchIsRefusedWithItsProblemsAndChangesNothing) {
  auto bad = update("acme", R"({"name":5,"limits":{"chat_per_10s":0},"colour":"red"})");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(is(bad.error(), errc::invalid_config));
  auto problems = config_errors_of(bad.error());
  std::set<std::string> fields;
  for (auto& p : problems)
    fields.insert(p.field);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "limits.chat_per_10s",
                                            "colour"}));
  EXPECT_ERRC(update("acme", R"({"id":"other"})"), errc::invalid_config);
  EXPECT_ERRC(update("acme", R"({"reply":"{nope}"})"), errc::invalid_config);
  EXPECT_ERRC(update("umbrella", R"({"name":"U"})"), errc::unknown_tenant);
  expect_same_config(peek().tenant("acme")->config, acme());
  EXPECT_EQ(peek().history_size("acme"), 1u);
}

TEST_F(LifecycleTest, SuspendedTenantRefusesAndResumesWithItsSessions) {
  auto sid = session_for("acme");
  auto rec = set_status("acme", tenant_status::suspended);
  ASSERT_OK(rec);
  EXPECT_EQ(rec->status, tenant_status::suspended);
  EXPECT_ERRC(open("acme"), errc::tenant_suspended);
  EXPECT_ERRC(chat("acme", sid, "hi"), errc::tenant_suspended);
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, (std::vector<std::string>{"globex", "initech"}));
  ASSERT_OK(set_status("acme", tenant_status::active));
  auto r = chat("acme", sid, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
}

TEST_F(LifecycleTest, ArchivedTenantIsGoneButItsRecordStays) {
  auto sid = session_for("acme");
  auto actor = tenant_of("acme");
  ASSERT_OK(actor);
  auto rec = set_status("acme", tenant_status::archived);
  ASSERT_OK(rec);
  EXPECT_EQ(rec->status, tenant_status::archived);
  EXPECT_FALSE(rec->stats.active);
  EXPECT_FALSE(alive(*actor));
  EXPECT_ERRC(open("acme"), errc::unknown_tenant);
  EXPECT_ERRC(chat("acme", sid, "hi"), errc::unknown_tenant);
  // Its sessions ended: no other tenant sees them as foreign either.
  EXPECT_ERRC(chat("globex", sid, "hi"), errc::unknown_session);
  auto seen = record_of("acme");
  ASSERT_OK(seen);
  EXPECT_EQ(seen->status, tenant_status::archived);
  EXPECT_EQ(seen->stats.sessions, 0u);
  EXPECT_ERRC(create(acme()), errc::duplicate_tenant);
  EXPECT_ERRC(update("acme", R"({"name":"A"})"), errc::tenant_archived);
  EXPECT_ERRC(set_status("acme", tenant_status::active),
              errc::tenant_archived);
  ASSERT_OK(set_status("acme", tenant_status::archived)); // idempotent
}

TEST_F(LifecycleTest, RestartKeepsTenantsStatusesConfigsAndSessions) {
  auto sid = session_for("acme");
  ASSERT_OK(chat("acme", sid, "one"));
  ASSERT_OK(create(make_tenant("hooli", "Hooli", "Hi.", "m", 0, "{name}: {message}")));
  auto hooli_sid = session_for("hooli");
  ASSERT_OK(update("globex", R"({"name":"Globex Corporation"})"));
  ASSERT_OK(set_status("initech", tenant_status::suspended));
  restart();
  auto p = page(0, 10);
  ASSERT_OK(p);
  ASSERT_EQ(p->tenants.size(), 4u);
  EXPECT_EQ(p->tenants[3].id, "hooli");
  EXPECT_EQ(p->tenants[2].status, tenant_status::suspended);
  auto r = chat("acme", sid, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
  auto h = chat("hooli", hooli_sid, "back");
  ASSERT_OK(h);
  EXPECT_EQ(h->reply, "Hooli: back");
  auto g = record_of("globex");
  ASSERT_OK(g);
  EXPECT_EQ(g->config.name, "Globex Corporation");
  EXPECT_ERRC(open("initech"), errc::tenant_suspended);
}

TEST_F(LifecycleTest, SessionExpiresAfterTheTtlWithoutUse) {
  auto sid = session_for("acme");
  advance(59s);
  ASSERT_OK(chat("acme", sid, "still here")); // use restarts the TTL
  advance(59s);
  ASSERT_OK(chat("acme", sid, "still here"));
  advance(60s);
  EXPECT_ERRC(chat("acme", sid, "gone"), errc::unknown_session);
  EXPECT_ERRC(chat("globex", sid, "gone"), errc::unknown_session);
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->stats.sessions, 0u);
}

TEST_F(LifecycleTest, ExpiredSessionsArePurgedFromMemoryAndStore) {
  for (int i = 0; i < 5; ++i)
    session_for("acme");
  EXPECT_EQ(peek().session_count("acme", 0), 5u);
  advance(61s); // the tenant's sweep runs every TTL/4
  advance(15s);
  EXPECT_EQ(peek().session_count("acme", 0), 0u);
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->stats.sessions, 0u);
}

TEST_F(LifecycleTest, StoreDeletesExpiredSessionsOfPassivatedTenants) {
  for (int i = 0; i < 5; ++i)
    session_for("acme");
  advance(41s); // passivated: no tenant actor sweeps them
  EXPECT_EQ(peek().session_count("acme", 0), 5u);
  // Expired at 60 s; the store deletes them a grace period later.
  for (int i = 0; i < 12; ++i)
    advance(15s);
  EXPECT_EQ(peek().session_count("acme", 0), 0u);
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->stats.sessions, 0u);
}

TEST_F(LifecycleTest, TenantTtlOverridesTheServiceTtl) {
  ASSERT_OK(update("acme", R"({"limits":{"session_ttl":5}})"));
  auto acme_sid = session_for("acme");
  auto globex_sid = session_for("globex");
  advance(6s);
  EXPECT_ERRC(chat("acme", acme_sid, "x"), errc::unknown_session);
  ASSERT_OK(chat("globex", globex_sid, "x"));
}

TEST_F(LifecycleTest, IdleTenantIsPassivatedAndReactivatedWithItsState) {
  auto sid = session_for("acme");
  ASSERT_OK(chat("acme", sid, "one"));
  auto first = tenant_of("acme");
  ASSERT_OK(first);
  advance(31s);
  advance(10s); // the registry's sweep runs every TENANT_IDLE/4
  EXPECT_FALSE(alive(*first));
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_FALSE(rec->stats.active);
  EXPECT_EQ(rec->stats.sessions, 1u);
  EXPECT_EQ(rec->stats.chats, 1u);
  // The next request reactivates it, transparently.
  auto r = chat("acme", sid, "  hello ");
  ASSERT_OK(r);
  EXPECT_EQ(r->reply, acme_hello_reply);
  auto second = tenant_of("acme");
  ASSERT_OK(second);
  EXPECT_NE(first->id(), second->id());
  rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_TRUE(rec->stats.active);
  EXPECT_EQ(rec->stats.chats, 2u);
}

TEST_F(LifecycleTest, PassivationKeepsTheLastUseForTheTtl) {
  auto sid = session_for("acme");
  advance(50s);
  ASSERT_OK(chat("acme", sid, "used at 50 s"));
  advance(45s); // passivated meanwhile; 45 s since the last use
  auto r = chat("acme", sid, "x");
  ASSERT_OK(r);
  advance(61s);
  EXPECT_ERRC(chat("acme", sid, "x"), errc::unknown_session);
}

TEST_F(LifecycleTest, ForeignSessionOfAPassivatedTenantIsStillForeign) {
  auto sid = session_for("acme");
  advance(31s);
  advance(10s);
  EXPECT_ERRC(chat("globex", sid, "x"), errc::foreign_session);
}

TEST_F(LifecycleTest, BusyTenantIsNotPassivated) {
  auto sid = session_for("acme");
  auto first = tenant_of("acme");
  ASSERT_OK(first);
  for (int i = 0; i < 10; ++i) {
    advance(10s);
    ASSERT_OK(chat("acme", sid, "x"));
  }
  auto now = tenant_of("acme");
  ASSERT_OK(now);
  EXPECT_EQ(first->id(), now->id());
}

TEST_F(LifecycleTest, RequestsDuringReactivationWaitForTheLoad) {
  auto sid = session_for("acme");
  advance(41s); // passivated
  // Several requests reach the new actor before its load is answered.
  auto a = self->request(registry, caf::infinite, atom::chat_v,
                         std::string{"acme"}, sid, std::string{"a"});
  auto b = self->request(registry, caf::infinite, atom::open_v,
                         std::string{"acme"});
  run();
  int answered = 0;
  a.receive([&](chat_result&) { ++answered; },
            [&](caf::error& e) { ADD_FAILURE() << render(e); });
  b.receive([&](session_grant&) { ++answered; },
            [&](caf::error& e) { ADD_FAILURE() << render(e); });
  EXPECT_EQ(answered, 2);
}

TEST_F(LifecycleTest, PageListsEveryStatusInCreationOrder) {
  ASSERT_OK(set_status("acme", tenant_status::archived));
  auto p = page(1, 1);
  ASSERT_OK(p);
  EXPECT_EQ(p->total, 3u);
  ASSERT_EQ(p->tenants.size(), 1u);
  EXPECT_EQ(p->tenants[0].id, "acme");
  EXPECT_EQ(p->tenants[0].status, tenant_status::archived);
  p = page(5, 10);
  ASSERT_OK(p);
  EXPECT_TRUE(p->tenants.empty());
}

// -- metrics: what the registry and the tenant actors count ------------------

class MetricsTest : public LifecycleTest {
protected:
  metrics::tenant_series& series(const std::string& id) {
    return metrics.add_tenant(id); // the registry's series, made at start
  }

  /// The value of the sample line starting with `prefix` in a scrape.
  double scraped(const std::string& prefix) {
    auto text = metrics.scrape();
    auto at = text.find("\n" + prefix + " ");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no sample " << prefix << " in:\n" << text;
      return -1;
    }
    return std::stod(text.substr(at + prefix.size() + 2));
  }
};

TEST_F(MetricsTest, TenantActorsCountSessionsChatsAndRateLimitedChats) {
  ASSERT_OK(update("acme", R"({"limits":{"chat_per_10s":2}})"));
  auto one = session_for("acme");
  session_for("acme");
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(chat("acme", one, "hi"));
  auto& acme = series("acme");
  EXPECT_EQ(acme.sessions_created.Value(), 2);
  EXPECT_EQ(acme.sessions_active.Value(), 2);
  EXPECT_EQ(acme.chats.Value(), 2);
  EXPECT_EQ(acme.rate_limited.Value(), 1);
  // Per tenant: nothing leaks into another tenant's series.
  EXPECT_EQ(series("globex").sessions_created.Value(), 0);
  EXPECT_EQ(series("globex").chats.Value(), 0);
}

TEST_F(MetricsTest, ExpiredSessionsAreCountedWhetherSweptOrFound) {
  // Time passes a second at a time (timers fire on time), and a request
  // every 10 s keeps the tenant active (TENANT_IDLE is 30 s).
  auto pass = [this](int seconds) {
    for (int i = 0; i < seconds; ++i) {
      advance(1s);
      if (i % 10 == 9) {
        ASSERT_OK(tenant_of("acme"));
      }
    }
  };
  session_for("acme"); // its tenant sweeps every 15 s from now
  pass(5);
  auto used = session_for("acme");
  pass(56); // the sweep at 60 s ends the first session only
  EXPECT_EQ(series("acme").sessions_expired.Value(), 1);
  EXPECT_EQ(series("acme").sessions_active.Value(), 1);
  pass(5);
  // Expired before the next sweep: found by the chat.
  EXPECT_ERRC(chat("acme", used, "late"), errc::unknown_session);
  EXPECT_EQ(series("acme").sessions_expired.Value(), 2);
  EXPECT_EQ(series("acme").sessions_active.Value(), 0);
}

TEST_F(MetricsTest, TenantsByStatusAndLiveTenantActors) {
  EXPECT_EQ(scraped("tenantd_tenants{status=\"active\"}"), 3);
  EXPECT_EQ(scraped("tenantd_tenant_actors"), 0);
  session_for("acme");
  session_for("globex");
  EXPECT_EQ(scraped("tenantd_tenant_actors"), 2);
  ASSERT_OK(set_status("acme", tenant_status::suspended));
  ASSERT_OK(set_status("initech", tenant_status::archived));
  ASSERT_OK(create(make_tenant("hooli", "Hooli", "Hi.", "m", 0, "{message}")));
  EXPECT_EQ(scraped("tenantd_tenants{status=\"active\"}"), 2);
  EXPECT_EQ(scraped("tenantd_tenants{status=\"suspended\"}"), 1);
  EXPECT_EQ(scraped("tenantd_tenants{status=\"archived\"}"), 1);
  EXPECT_EQ(scraped("tenantd_tenant_actors"), 3); // acme, globex, hooli
  advance(31s);
  advance(10s); // all idle: passivated
  EXPECT_EQ(scraped("tenantd_tenant_actors"), 0);
  // A restarted registry counts the stored statuses again.
  restart();
  EXPECT_EQ(scraped("tenantd_tenants{status=\"active\"}"), 2);
  EXPECT_EQ(scraped("tenantd_tenants{status=\"archived\"}"), 1);
}

TEST_F(MetricsTest, ReactivatedTenantShowsItsStoredSessionsAsActive) {
  for (int i = 0; i < 3; ++i)
    session_for("acme");
  advance(41s); // passivated, figure kept
  EXPECT_EQ(series("acme").sessions_active.Value(), 3);
  session_for("acme"); // reactivated: 3 loaded + 1
  EXPECT_EQ(series("acme").sessions_active.Value(), 4);
  EXPECT_EQ(series("acme").sessions_created.Value(), 4);
}

TEST_F(LifecycleTest, ReadyUntilAWriteFailsAndAgainOnceAGroupCommits) {
  auto ready = [this] { return ask<caf::ok_atom>(registry, atom::ready_v); };
  auto ok = ready();
  EXPECT_TRUE(ok) << render(ok.error());
  // Another connection makes every session insert fail, as a full disk
  // would.
  auto exec = [this](const char* sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(database_file().c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  };
  exec("CREATE TRIGGER full_disk BEFORE INSERT ON sessions "
       "BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  EXPECT_ERRC(open("acme"), errc::storage_failed);
  EXPECT_ERRC(ready(), errc::storage_failed);
  exec("DROP TRIGGER full_disk");
  ASSERT_OK(open("acme")); // a group commits
  ok = ready();
  EXPECT_TRUE(ok) << render(ok.error());
}

} // namespace
