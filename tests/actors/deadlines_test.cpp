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


// Implements the store's interface and answers nothing.
store_actor::behavior_type
stalled_store(store_actor::stateful_pointer<silent_state> self) {
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
    [=](const read_tenant&) -> caf::result<tenant_record> {
      return hold<tenant_record>(self);
    },
    [=](const load_tenant&) -> caf::result<tenant_snapshot> {
      return hold<tenant_snapshot>(self);
    },
    [=](const store_session&) -> caf::result<caf::ok_atom> {
      return hold<caf::ok_atom>(self);
    },
    [=](const find_session_owner&) -> caf::result<std::string> {
      return hold<std::string>(self);
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
  };
}

class StalledStore : public actor_fixture {
protected:
  void SetUp() override {
    settings.internal_timeout = 2s;
    store = sys.spawn(stalled_store);
    // The registry as start_actors spawns it, over one stored tenant.
    registry = sys.spawn(tenantd::registry, store, settings,
                         std::vector<tenant_summary>{{"acme",
                                                      tenant_status::active}},
                         &metrics, std::make_shared<active_tenants_view>());
    run();
  }

  // A tenant actor awaiting its load takes nothing else, its exit neither,
  // until the load's deadline: let it pass, in virtual time.
  void TearDown() override {
    self->send_exit(registry, caf::exit_reason::user_shutdown);
    run();
    advance(settings.internal_timeout);
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

} // namespace
