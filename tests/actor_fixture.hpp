#pragma once

// Deterministic GoogleTest fixture for the actor layer: CAF's test_coordinator
// (every actor runs only when the test calls sched.run()) and its virtual
// clock (time moves only through advance()). No sleeping, no threads.
//
// Asks run in three steps (see /work/shared/notes/caf-0.17.md): request,
// sched.run(), receive. A one-line request(...).receive(...) would block
// forever under the testing scheduler.

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
#include "tests/test_tenants.hpp"

namespace tenantd::test {

/// True for the canonical lowercase 8-4-4-4-12 form of a UUID version 4
/// (RFC 9562 variant).
inline bool is_canonical_uuid_v4(const std::string& s) {
  if (s.size() != 36)
    return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a'
                          || s[19] == 'b');
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

  caf::expected<std::vector<std::string>> list() {
    return ask<std::vector<std::string>>(registry, atom::list_v);
  }

  caf::expected<session_grant> open(const std::string& tenant_id) {
    return ask<session_grant>(registry, atom::open_v, tenant_id);
  }

  caf::expected<chat_result> chat(const std::string& tenant_id,
                                  const std::string& session,
                                  const std::string& message) {
    return ask<chat_result>(registry, atom::chat_v, tenant_id, session,
                            message);
  }

  caf::expected<tenant_record> create(const tenant_config& config) {
    return ask<tenant_record>(registry, atom::create_v, config);
  }

  caf::expected<tenant_record> update(const std::string& id,
                                      const std::string& patch) {
    return ask<tenant_record>(registry, atom::update_v, id, patch);
  }

  caf::expected<tenant_record> set_status(const std::string& id,
                                          tenant_status status) {
    return ask<tenant_record>(registry, atom::status_v, id, status);
  }

  caf::expected<tenant_record> record_of(const std::string& id) {
    return ask<tenant_record>(registry, atom::tenant_v, id);
  }

  caf::expected<tenant_page> page(uint64_t offset, uint64_t limit) {
    return ask<tenant_page>(registry, atom::page_v, offset, limit);
  }

  /// The actor serving `tenant_id` (activated if passivated).
  caf::expected<tenant_actor> tenant_of(const std::string& tenant_id) {
    return ask<tenant_actor>(registry, atom::activate_v, tenant_id);
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
    return ask<chat_result>(tenant, atom::chat_v, id, message);
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
