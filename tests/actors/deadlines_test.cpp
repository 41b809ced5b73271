// Every request between actors has a deadline (lifecycle_settings::
// internal_timeout): against a store that never answers, an activation
// fails once it passes instead of freezing the tenant's mailbox, an admin
// change fails with request_timeout, and the registry goes on answering.
// On CAF's test coordinator: the deadlines pass in virtual time.

#include <chrono>
#include <string>
#include <vector>

#include "actors/registry.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/silent_actor.hpp"

using namespace std::chrono_literals;
using namespace tenantd;
using namespace tenantd::test;

namespace {


// Implements the store's interface and answers nothing; with
// `answers_reads`, nothing but read_tenant.
store_actor::behavior_type
stalled_store(store_actor::stateful_pointer<silent_state> self,
              bool answers_reads) {
  return {
    [=](const create_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const update_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const set_tenant_status&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const read_tenant& msg) -> caf::result<tenant_record> {
      if (!answers_reads)
        return hold<tenant_record>(self);
      tenant_record rec;
      rec.config = make_tenant(msg.tenant, "Acme", "Hi", "m", 0, "{message}");
      rec.stats.sessions = 7; // the stored figure
      return rec;
    },
    [=](const load_tenant&) -> caf::result<tenant_snapshot> {
      return hold<tenant_snapshot>(self);
    },
    [=](const load_sessions&) -> caf::result<session_page> {
      return hold<session_page>(self);
    },
    [=](const store_session&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const find_session_owner&) -> caf::result<std::string> {
      return hold<std::string>(self);
    },
    [=](const store_messages&) {},
    [=](const load_messages&) -> caf::result<message_page> {
      return hold<message_page>(self);
    },
    [=](const clear_messages&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const store_user&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const remove_user&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const store_api_key&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const remove_api_key&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const record_audit&) {},
    [=](const query_audit&) -> caf::result<audit_page> {
      return hold<audit_page>(self);
    },
    [=](const check_audit_chain&) -> caf::result<audit_verdict> {
      return hold<audit_verdict>(self);
    },
    [=](const record_uses&) {},
    [=](const expire_sessions&) {},
    [=](caf::flush_atom) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](atom::ready) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](atom::commit) {},
    [=](atom::sweep) {},
    [=](atom::cleanup) {},
  };
}

class StalledStore : public actor_fixture {
protected:
  void SetUp() override {
    settings.internal_timeout = 2s;
    store = sys.spawn(stalled_store, answers_reads);
    // The registry as start_actors spawns it, over one stored tenant.
    registry = sys.spawn(tenantd::registry, store, settings,
                         std::vector<tenant_summary>{{"acme",
                                                      tenant_status::active}},
                         &metrics, std::make_shared<active_tenants_view>(),
                         test_services());
    run();
  }

  // A tenant actor awaiting its load takes nothing else, its exit neither,
  // until the load's deadline: let it pass, in virtual time.
  void TearDown() override {
    self->send_exit(registry, caf::exit_reason::user_shutdown);
    run();
    advance(settings.internal_timeout);
  }

  bool answers_reads = false;
};

// The store answers reads, but no tenant actor ever gets its load.
class LoadingTenant : public StalledStore {
protected:
  void SetUp() override {
    answers_reads = true;
    StalledStore::SetUp();
  }
};

TEST_F(StalledStore, AnActivationFailsAtItsDeadlineAndTheTenantIsAskedAgainLater) {
  auto actor = tenant_of("acme");
  ASSERT_OK(actor);
  // The chat waits behind the load, which the store never answers.
  auto chat = self->request(*actor, caf::infinite,
                            chat_message("acme", "no-session", "hi"));
  run();
  EXPECT_TRUE(self->mailbox().empty());
  advance(2s);
  // The load's deadline passed: the actor gave up and the chat was bounced
  // unread (a stale handle: its asker asks the registry again).
  caf::error err;
  chat.receive([](chat_result&) { ADD_FAILURE() << "answered"; },
               [&](caf::error& e) { err = e; });
  EXPECT_TRUE(is_stale_handle(err)) << render(err);
  EXPECT_FALSE(config_of(*actor));
  // The registry was never blocked, and activates the tenant again.
  auto again = tenant_of("acme");
  ASSERT_OK(again);
  EXPECT_NE(again->id(), actor->id());
}

TEST_F(StalledStore, AnAdminChangeFailsWithRequestTimeoutAndTheRegistryGoesOn) {
  auto create = self->request(registry, caf::infinite,
                              create_tenant{make_tenant("hooli", "Hooli", "Hi",
                                                        "m", 0, "{message}"),
                                            admin()});
  run();
  EXPECT_TRUE(self->mailbox().empty());
  // Meanwhile the registry answers everything that needs no store.
  auto ids = list();
  ASSERT_OK(ids);
  EXPECT_EQ(*ids, std::vector<std::string>{"acme"});
  advance(2s);
  caf::error err;
  create.receive([](tenant_record&) { ADD_FAILURE() << "answered"; },
                 [&](caf::error& e) { err = e; });
  EXPECT_EQ(err, caf::sec::request_timeout) << render(err);
  // The id is free again: a retry is not refused as a duplicate.
  auto retry = self->request(registry, caf::infinite,
                             create_tenant{make_tenant("hooli", "Hooli", "Hi",
                                                       "m", 0, "{message}"),
                                           admin()});
  run();
  advance(2s);
  retry.receive([](tenant_record&) { ADD_FAILURE() << "answered"; },
                [&](caf::error& e) { err = e; });
  EXPECT_EQ(err, caf::sec::request_timeout) << render(err);
}

TEST_F(LoadingTenant, AReadWhileTheActorIsBusyGivesTheStoredFiguresAndLeavesItRunning) {
  // Actor A awaits its load (deadline t=2). At t=1 it is passivated and B
  // is activated: B waits for A to go (it does at t=2), then awaits its own
  // load (deadline t=4).
  auto first = tenant_of("acme");
  ASSERT_OK(first);
  advance(1s);
  caf::anon_send(registry, atom::passivate_v);
  run();
  auto second = tenant_of("acme");
  ASSERT_OK(second);
  ASSERT_NE(second->id(), first->id());
  // A read at t=1: the store answers, B cannot; the stats request's
  // deadline (t=3) passes while B still awaits its load.
  auto read = self->request(registry, caf::infinite, read_tenant{"acme", admin()});
  run();
  advance(1s);
  advance(1s);
  ASSERT_FALSE(self->mailbox().empty());
  tenant_record rec;
  read.receive([&](tenant_record& r) { rec = std::move(r); },
               [&](caf::error& e) { ADD_FAILURE() << render(e); });
  EXPECT_EQ(rec.stats.sessions, 7u); // the stored figure
  EXPECT_TRUE(rec.stats.active);
  // Nobody stopped B for a read: the registry still routes to it.
  auto again = tenant_of("acme");
  ASSERT_OK(again);
  EXPECT_EQ(again->id(), second->id());
}

} // namespace
