#pragma once

// Deterministic GoogleTest fixture for the actor layer: CAF's test_coordinator
// (every actor runs only when the test calls sched.run()) and its virtual
// clock (time moves only through advance()). No sleeping, no threads.
//
// Asks run in three steps: request, sched.run(), receive. A one-line
// request(...).receive(...) would block forever under the testing
// scheduler: the receiver waits for an answer that only sched.run() can
// produce.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include "actors/interfaces.hpp"
#include "core/clock.hpp"
#include "storage/database.hpp"
#include "storage/sqlite_storage.hpp"
#include "core/errors.hpp"
#include "actors/system.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uuid.hpp"
#include "tests/support/test_tenants.hpp"

namespace tenantd::test {

/// What tenant actors get in tests: password jobs inline (no pool: the
/// test coordinator takes no message from another thread) at libsodium's
/// cheapest Argon2id cost, so that a login takes microseconds.
inline tenant_services test_services() {
  tenant_services services;
  services.password_cost = {1, 8 * 1024};
  return services;
}


inline const std::string acme_hello_reply
  = "Howdy from Acme! [ACME MOCK] You said: 'hello'. "
    "Here's it reversed: 'olleh'";

// A well-formed UUIDv4 that no registry ever issued (the odds of a
// collision with a random id are 2^-122).
inline const std::string never_issued = "123e4567-e89b-42d3-a456-426614174000";

inline std::string upper_ascii(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return s;
}

inline void expect_same_config(const tenant_config& got, const tenant_config& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.welcome, want.welcome);
  EXPECT_EQ(got.model, want.model);
  EXPECT_EQ(got.limits.chat_per_10s, want.limits.chat_per_10s);
  EXPECT_EQ(got.reply, want.reply);
}

class actor_fixture : public ::testing::Test {
protected:
  actor_fixture()
    : sys(init(cfg)),
      self(sys, true),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    // As CAF's own fixture does: keep the virtual clock away from zero so
    // that no code can get away with treating time_point{} as "never".
    sched.clock().current_time += std::chrono::hours(1);
  }

  ~actor_fixture() override {
    if (registry)
      self->send_exit(registry, caf::exit_reason::user_shutdown);
    registry = nullptr;
    run();
    if (store)
      self->send_exit(store, caf::exit_reason::user_shutdown);
    store = nullptr;
    run();
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }

  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    register_actor_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    return cfg;
  }

  // -- driving the system -----------------------------------------------------

  /// Most events one run() may process. Far above what any test needs, so
  /// reaching it means the actors never settle (a livelock): fail, not hang.
  static constexpr size_t max_steps = 1000;

  /// Runs actors until no job is left.
  void run() {
    auto steps = sched.run(max_steps);
    if (steps == max_steps && sched.has_job())
      ADD_FAILURE() << "the actors did not settle within " << max_steps
                    << " events (livelock?)";
  }

  /// Starts the actors under test as the service does (start_actors) on a
  /// fresh database in a temporary directory holding `configs`, with
  /// `settings`; the store runs on the test scheduler, not detached.
  void start_registry(std::vector<tenant_config> configs) {
    data_dir = fresh_data_dir();
    start(std::move(configs));
  }

  /// Stops the registry and the store (as a crash of the process would, but
  /// after the store committed what it had), then starts both again on the
  /// same database, as a restart of the service does.
  void restart() {
    self->send_exit(registry, caf::exit_reason::kill);
    run();
    self->send_exit(store, caf::exit_reason::user_shutdown);
    run();
    start({});
  }

  /// A connection of its own to the database the store uses: what is
  /// committed (the test scheduler runs one actor at a time, so nothing
  /// writes meanwhile).
  sqlite_storage peek() {
    return sqlite_storage::open(data_dir);
  }

  /// The database file.
  std::string database_file() const {
    return data_dir + "/" + database::file_name;
  }

  void start(std::vector<tenant_config> configs) {
    actor_options options;
    options.data_dir = data_dir;
    options.bootstrap = std::move(configs);
    options.lifecycle = settings;
    options.metrics = &metrics;
    options.now = to_unix_millis(sched.clock().now());
    options.detached_store = false;
    options.services = services;
    layer.reset();
    layer.emplace(start_actors(sys, std::move(options)));
    store = layer->store();
    registry = layer->registry();
    run();
  }

  static std::string fresh_data_dir() {
    auto dir = std::filesystem::temp_directory_path()
               / ("tenantd-actor-test-" + session_id::generate().to_string());
    return dir.string();
  }

  /// Moves the virtual clock forward and runs whatever that made due.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    run();
  }

  /// Sends `xs...` to `dest`, runs all actors, and returns the answer.
  /// Returns sec::request_timeout instead of blocking if no answer arrived.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& dest, Ts&&... xs) {
    auto rh = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    if (self->mailbox().empty())
      return caf::make_error(caf::sec::request_timeout);
    caf::expected<T> result{caf::make_error(caf::sec::unexpected_response)};
    rh.receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  // -- the registry interface -------------------------------------------------

  /// The principal of every admin request here.
  static principal admin() {
    return principal::platform_admin();
  }

  caf::expected<std::vector<std::string>> list() {
    return ask<std::vector<std::string>>(registry,
                                         list_active_tenants{principal{}});
  }

  caf::expected<tenant_record> create(const tenant_config& config) {
    return ask<tenant_record>(registry, create_tenant{config, admin()});
  }

  caf::expected<tenant_record> update(const std::string& id,
                                      const std::string& patch) {
    return ask<tenant_record>(registry, update_tenant{id, patch, admin()});
  }

  caf::expected<tenant_record> set_status(const std::string& id,
                                          tenant_status status) {
    return ask<tenant_record>(registry,
                              set_tenant_status{id, status, admin()});
  }

  caf::expected<tenant_record> record_of(const std::string& id) {
    return ask<tenant_record>(registry, read_tenant{id, admin()});
  }

  caf::expected<tenant_page> page(uint64_t offset, uint64_t limit) {
    return ask<tenant_page>(registry, list_tenants{offset, limit, admin()});
  }

  /// The actor serving `tenant_id` (activated if passivated).
  caf::expected<tenant_actor> tenant_of(const std::string& tenant_id) {
    return ask<tenant_actor>(registry, find_tenant{tenant_id, principal{}});
  }

  // -- client requests, as a lane sends them ----------------------------------

  /// Sends `msg` to the actor serving `msg.tenant`, found through the
  /// registry, and asks again while the handle turns out stale (as the
  /// HTTP bridge does).
  template <class T, class Message>
  caf::expected<T> ask_tenant(const Message& msg) {
    caf::expected<T> result{caf::make_error(caf::sec::request_timeout)};
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto actor = tenant_of(msg.tenant);
      if (!actor)
        return std::move(actor.error());
      result = ask<T>(*actor, msg);
      if (result || !is_stale_handle(result.error()))
        return result;
    }
    return result;
  }

  caf::expected<session_grant> open(const std::string& tenant_id) {
    return ask_tenant<session_grant>(open_session{tenant_id, principal{}});
  }

  /// A chat as the HTTP layer sends it: a session that is no canonical
  /// UUID is the nil id.
  static chat_request chat_message(const std::string& tenant_id,
                                   const std::string& session,
                                   const std::string& message) {
    return {tenant_id,
            session_id::parse(session).value_or(session_id::nil()), message,
            principal{}};
  }

  caf::expected<chat_result> chat(const std::string& tenant_id,
                                  const std::string& session,
                                  const std::string& message) {
    return ask_tenant<chat_result>(chat_message(tenant_id, session, message));
  }

  /// Opens a session and returns its id; fails the test if that fails.
  std::string session_for(const std::string& tenant_id) {
    auto grant = open(tenant_id);
    EXPECT_TRUE(grant) << "open(" << tenant_id << "): " << render(grant.error());
    return grant ? grant->session_id : std::string{};
  }

  // -- the tenant interface ---------------------------------------------------

  caf::expected<chat_result> chat_direct(const tenant_actor& tenant,
                                         session_id id,
                                         const std::string& message) {
    auto config = config_of(tenant);
    if (!config)
      return std::move(config.error());
    return ask<chat_result>(tenant,
                            chat_request{config->id, id, message, principal{}});
  }

  caf::expected<tenant_config> config_of(const tenant_actor& tenant) {
    return ask<tenant_config>(tenant, atom::tenant_v);
  }

  // -- diagnostics ------------------------------------------------------------

  std::string render(const caf::error& err) {
    return sys.render(err);
  }

  /// Outlives the actors, which count into it.
  metrics::metrics metrics;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;
  /// Set before start_registry to change TTL and idle time.
  lifecycle_settings settings;
  tenant_services services = test_services();
  std::string data_dir;
  /// The running actors; `store` and `registry` are their handles.
  std::optional<actor_layer> layer;
  store_actor store;
  registry_actor registry;
};

} // namespace tenantd::test

// -- assertion helpers --------------------------------------------------------

/// Asserts that expected `x` (a variable: it is named twice) holds a value;
/// prints the error otherwise.
#define ASSERT_OK(x)                                                           \
  ASSERT_TRUE(x) << #x << " failed: " << render((x).error())

/// Asserts that expected `x` failed with tenantd::errc `code`.
#define EXPECT_ERRC(x, code)                                                   \
  do {                                                                         \
    auto&& ex_ = (x);                                                          \
    if (ex_)                                                                   \
      ADD_FAILURE() << #x << " succeeded; expected " << ::tenantd::to_string(code); \
    else                                                                       \
      EXPECT_TRUE(::tenantd::is(ex_.error(), code))                            \
        << #x << " failed with " << render(ex_.error()) << "; expected "      \
        << ::tenantd::to_string(code);                                         \
  } while (false)
