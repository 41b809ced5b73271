// A tenant's life through the actors: admin changes, restarts, session
// expiry, passivation and reactivation, what the actors count, readiness.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "actors/store.hpp"
#include "actors/tenant.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/storage_fixture.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {

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

  /// A session at the virtual clock's now that expires after `ttl`.
  stored_session session_now(std::chrono::milliseconds ttl = 60s) {
    auto now = to_unix_millis(sched.clock().now());
    return {session_id::generate(), now, now, now + ttl.count(), ""};
  }

  /// Stores `count` sessions of `tenant_id` expiring after `ttl` as an
  /// earlier run left them (one transaction), then restarts the actors so
  /// that the store knows them. Returns their ids.
  std::vector<session_id> stored_before_restart(const std::string& tenant_id,
                                                std::size_t count,
                                                std::chrono::milliseconds ttl) {
    std::vector<session_id> ids;
    {
      auto db = peek();
      db.begin();
      for (std::size_t i = 0; i < count; ++i) {
        auto s = session_now(ttl);
        EXPECT_TRUE(db.insert_session(tenant_id, s));
        ids.push_back(s.id);
      }
      db.commit();
    }
    restart();
    return ids;
  }

  /// The rows of `tenant_id` in the sessions table, live, expired or an
  /// archived tenant's.
  uint64_t stored_rows(const std::string& tenant_id) {
    return std::stoull(raw_query(database_file(),
                                 "SELECT count(*) FROM sessions WHERE tenant = '"
                                   + tenant_id + "'"));
  }

  /// With `count` sessions of `tenant_id` due for deletion in the store: a
  /// write of globex sent now is acknowledged (committed) before all but
  /// one batch of them are deleted, and in the end they all are.
  void expect_write_before_most_of(const std::string& tenant_id,
                                   std::size_t count) {
    auto write = self->request(store, caf::infinite,
                               store_session{"globex", session_now()});
    // One step at a time until the answer is in (the only message this
    // test's actor awaits). Only mailbox().empty(): peek() would put an
    // instrumented copy of CAF's inline queue code in this binary, which
    // libcaf_core then calls too (and UBSan reports CAF's sentinel cast).
    while (self->mailbox().empty() && sched.try_run_once())
      ;
    EXPECT_GE(stored_rows(tenant_id), count - store_state::delete_batch);
    write.receive([](caf::ok_atom) {},
                  [&](caf::error& err) { FAIL() << render(err); });
    run();
    EXPECT_EQ(stored_rows(tenant_id), 0u);
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

// -- a handle kept from before a change (as a lane keeps it) -------------------

TEST_F(LifecycleTest, AnOldHandleSeesASuspendOnceItIsAcknowledged) {
  auto sid = session_for("acme");
  auto kept = tenant_of("acme");
  ASSERT_OK(kept);
  auto hi = chat_message("acme", sid, "hi");
  ASSERT_OK(ask<chat_result>(*kept, hi));
  ASSERT_OK(set_status("acme", tenant_status::suspended));
  // The actor itself refuses: no request through it sees the old status.
  EXPECT_ERRC(ask<chat_result>(*kept, hi), errc::tenant_suspended);
  EXPECT_ERRC(ask<session_grant>(*kept, open_session{"acme", {}}),
              errc::tenant_suspended);
  ASSERT_OK(set_status("acme", tenant_status::active));
  EXPECT_TRUE(ask<chat_result>(*kept, hi));
}

TEST_F(LifecycleTest, AnOldHandleSeesAPatchOnceItIsAcknowledged) {
  auto sid = session_for("acme");
  auto kept = tenant_of("acme");
  ASSERT_OK(kept);
  ASSERT_OK(update("acme", R"({"welcome":"Hey!"})"));
  auto r = ask<chat_result>(*kept, chat_message("acme", sid, "hello"));
  ASSERT_OK(r);
  EXPECT_EQ(r->reply.substr(0, 5), "Hey! ");
}

TEST_F(LifecycleTest, AnOldHandleOfAnArchivedOrPassivatedTenantIsStale) {
  auto sid = session_for("acme");
  auto kept = tenant_of("acme");
  ASSERT_OK(kept);
  auto hi = chat_message("acme", sid, "hi");
  // Passivated: the old actor is gone (or on its way), asking it does
  // nothing and says so; the registry hands out a new one.
  advance(41s);
  auto stale = ask<chat_result>(*kept, hi);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(is_stale_handle(stale.error())) << render(stale.error());
  auto fresh = tenant_of("acme");
  ASSERT_OK(fresh);
  EXPECT_NE(fresh->id(), kept->id());
  ASSERT_OK(ask<chat_result>(*fresh, hi));
  // Archived: the handle is stale, and the registry says the tenant is gone.
  ASSERT_OK(set_status("acme", tenant_status::archived));
  auto archived = ask<chat_result>(*fresh, hi);
  ASSERT_FALSE(archived);
  EXPECT_TRUE(is_stale_handle(archived.error())
              || is(archived.error(), errc::unknown_tenant))
    << render(archived.error());
  EXPECT_ERRC(chat("acme", sid, "hi"), errc::unknown_tenant);
}

TEST_F(LifecycleTest, ATenantActorRefusesARequestNamingAnotherTenant) {
  auto acme_actor = tenant_of("acme");
  ASSERT_OK(acme_actor);
  EXPECT_ERRC(ask<session_grant>(*acme_actor, open_session{"globex", {}}),
              errc::not_serving);
  auto sid = session_for("globex");
  EXPECT_ERRC(ask<chat_result>(*acme_actor, chat_message("globex", sid, "x")),
              errc::not_serving);
}

TEST_F(LifecycleTest, TheActiveListIsPublishedBeforeAChangeIsAcknowledged) {
  auto published = [this] { return *layer->active()->get(); };
  using ids = std::vector<std::string>;
  EXPECT_EQ(published(), (ids{"globex", "acme", "initech"}));
  // The answer is the acknowledgement: read as soon as it is in.
  ASSERT_OK(create(make_tenant("hooli", "Hooli", "Hi", "m", 0, "{message}")));
  EXPECT_EQ(published(), (ids{"globex", "acme", "initech", "hooli"}));
  ASSERT_OK(set_status("acme", tenant_status::suspended));
  EXPECT_EQ(published(), (ids{"globex", "initech", "hooli"}));
  ASSERT_OK(set_status("initech", tenant_status::archived));
  ASSERT_OK(set_status("acme", tenant_status::active));
  EXPECT_EQ(published(), (ids{"globex", "acme", "hooli"}));
  auto listed = list();
  ASSERT_OK(listed);
  EXPECT_EQ(*listed, published());
}

// -- who may administer -------------------------------------------------------

TEST_F(LifecycleTest, OnlyThePlatformAdminAdministersTenants) {
  principal anyone;
  EXPECT_ERRC(ask<tenant_record>(registry, create_tenant{acme(), anyone}),
              errc::permission_denied);
  EXPECT_ERRC(ask<tenant_record>(registry,
                                 update_tenant{"acme", R"({"name":"X"})", anyone}),
              errc::permission_denied);
  EXPECT_ERRC(ask<tenant_record>(
                registry,
                set_tenant_status{"acme", tenant_status::archived, anyone}),
              errc::permission_denied);
  EXPECT_ERRC(ask<tenant_record>(registry, read_tenant{"acme", anyone}),
              errc::permission_denied);
  EXPECT_ERRC(ask<tenant_page>(registry, list_tenants{0, 10, anyone}),
              errc::permission_denied);
  // Nothing changed.
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->status, tenant_status::active);
  EXPECT_EQ(rec->config.name, "Acme Corp");
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

TEST_F(LifecycleTest, ATenantLoadsItsSessionsInPagesBetweenOtherWrites) {
  auto count = 4 * store_state::load_page + 1;
  auto ids = stored_before_restart("acme", count, 60s);
  ASSERT_OK(open("globex")); // active: its write needs no load
  // An actor of its own activates acme and, as soon as the registry
  // answers, asks acme for its figures (they wait behind its load) and the
  // store for a write of globex: the store serves the write between acme's
  // pages, so it is acknowledged first.
  struct seen {
    std::optional<tenant_actor> acme;
    std::vector<std::string> answers;
  };
  auto log = std::make_shared<seen>();
  auto session = session_now();
  sys.spawn([=, store = store, registry = registry](caf::event_based_actor* asker) {
    asker->request(registry, caf::infinite, find_tenant{"acme", principal{}})
      .then([=](tenant_actor& acme) {
        log->acme = acme;
        asker->request(acme, caf::infinite, atom::stats_v)
          .then([=](const tenant_stats& st) {
            log->answers.push_back("stats " + std::to_string(st.sessions));
          });
        asker->request(store, caf::infinite, store_session{"globex", session})
          .then([=](caf::ok_atom) { log->answers.push_back("write"); });
      });
  });
  run();
  ASSERT_TRUE(log->acme);
  EXPECT_EQ(log->answers, (std::vector<std::string>{
                            "write", "stats " + std::to_string(count)}));
  auto acme_actor = *log->acme;
  // Every page arrived: the last session stored is served.
  ASSERT_OK(chat_direct(acme_actor, ids.back(), "hello"));
}

TEST_F(LifecycleTest, ABigExpiryYieldsToOtherTenantsWrites) {
  auto count = 3 * store_state::delete_batch + 5;
  auto ids = stored_before_restart("acme", count, 60s);
  ASSERT_OK(open("globex"));
  // As a tenant's sweep sends them (these have not expired in storage, so
  // only this message deletes them).
  self->send(store, expire_sessions{ids});
  expect_write_before_most_of("acme", count);
}

TEST_F(LifecycleTest, ABigPurgeYieldsToOtherTenantsWrites) {
  auto count = 3 * store_state::delete_batch + 5;
  stored_before_restart("acme", count, 1ms);
  ASSERT_OK(open("globex"));
  // The store's next sweep finds them expired past the grace.
  sched.advance_time(store_state::purge_grace + store_state::max_sweep_interval);
  expect_write_before_most_of("acme", count);
}

TEST_F(LifecycleTest, ABigArchiveYieldsToOtherTenantsWrites) {
  auto count = 8 * store_state::delete_batch + 5;
  stored_before_restart("acme", count, 60s);
  ASSERT_OK(open("globex"));
  caf::anon_send(registry,
                 set_tenant_status{"acme", tenant_status::archived, admin()});
  auto archived = [&] {
    return raw_query(database_file(),
                     "SELECT status FROM tenants WHERE id = 'acme'")
           == "archived";
  };
  while (!archived() && sched.try_run_once())
    ;
  // Committed with at most a batch of its sessions deleted (one statement
  // would have taken them all); the rest go a batch a turn, other writes
  // in between.
  auto left = stored_rows("acme");
  EXPECT_GE(left, count - store_state::delete_batch);
  expect_write_before_most_of("acme", left);
}

TEST_F(LifecycleTest, AnArchiveCutShortByAStopIsFinishedAfterTheNextStart) {
  auto count = 2 * store_state::delete_batch;
  stored_before_restart("acme", count, 60s);
  {
    auto db = peek(); // as a stop right after the archive's commit leaves it
    db.set_status("acme", tenant_status::archived, 0);
  }
  EXPECT_EQ(stored_rows("acme"), count);
  restart();
  EXPECT_EQ(stored_rows("acme"), 0u);
  auto seen = record_of("acme");
  ASSERT_OK(seen);
  EXPECT_EQ(seen->stats.sessions, 0u);
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

TEST_F(LifecycleTest, APassivatedTenantFreesItsSessionsInSteps) {
  auto count = 4 * tenant_state::sessions_per_turn;
  stored_before_restart("acme", count, 60s);
  auto acme_actor = tenant_of("acme");
  ASSERT_OK(acme_actor);
  self->monitor(*acme_actor);
  auto passivated = self->request(*acme_actor, caf::infinite, atom::passivate_v);
  // Until the answer is in (the actor answers before it quits; see
  // expect_write_before_most_of on mailbox()).
  while (self->mailbox().empty() && sched.try_run_once())
    ;
  passivated.receive([](caf::ok_atom) {},
                     [&](caf::error& err) { FAIL() << render(err); });
  // Answered, stored, not yet gone: the sessions are freed in bounded
  // steps, one message each (CAF's scheduler lets other actors run after
  // max_throughput_per_turn of them).
  std::size_t steps = 0;
  while (self->mailbox().empty() && sched.try_run_once())
    ++steps;
  EXPECT_GE(steps, 3u);
  bool down = false;
  self->receive([&](caf::down_msg& msg) {
    down = msg.source == caf::actor_cast<caf::actor_addr>(*acme_actor);
  });
  EXPECT_TRUE(down);
  // Nothing was lost: the next actor has every session.
  auto rec = record_of("acme");
  ASSERT_OK(rec);
  EXPECT_EQ(rec->stats.sessions, count);
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
  // The registry spawns a new actor and hands it out before the actor has
  // run at all: requests reach it before its load is answered.
  auto found = self->request(registry, caf::infinite,
                             find_tenant{"acme", principal{}});
  ASSERT_TRUE(sched.try_run_once()); // the registry only
  tenant_actor actor;
  found.receive([&](tenant_actor& a) { actor = a; },
                [&](caf::error& e) { ADD_FAILURE() << render(e); });
  ASSERT_TRUE(actor);
  auto a = self->request(actor, caf::infinite, chat_message("acme", sid, "a"));
  auto b = self->request(actor, caf::infinite, open_session{"acme", {}});
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
  // every 10 s keeps the tenant active (TENANT_IDLE is 30 s): a chat in no
  // session, which reaches the tenant's actor and changes nothing.
  auto pass = [this](int seconds) {
    for (int i = 0; i < seconds; ++i) {
      advance(1s);
      if (i % 10 == 9)
        EXPECT_ERRC(chat("acme", "no-session", "ping"), errc::unknown_session);
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
