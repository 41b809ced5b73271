#pragma once

// The assembled process: actor system, registry, bridge, router and HTTP
// server. main() and the HTTP-level tests build the same object.

#include <memory>
#include <vector>

#include "actors/interfaces.hpp"
#include "app/admin_token.hpp"
#include "app/config.hpp"

namespace tenantd {

class service {
public:
  /// Opens the database in config.data_dir (throws storage_error if it
  /// cannot), adds the `bootstrap` tenants it does not have yet, resolves
  /// the admin token, starts the actor system, store and registry, and
  /// binds the HTTP port (throws if it cannot). Serving starts with run().
  service(const app_config& config, std::vector<tenant_config> bootstrap);
  ~service();

  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// The admin token in force and where it lives.
  const admin_token& token() const;

  /// The port actually bound (useful with port 0).
  uint16_t port() const;

  /// The admin listener's port (ADMIN_LISTEN), 0 without one.
  uint16_t admin_port() const;

  /// The registry, for wiring and tests.
  registry_actor registry() const;

  /// The actor system, for tests and tools that ask the registry directly.
  caf::actor_system& system();

  /// Serves until stop() (or SIGINT/SIGTERM when `handle_signals`), then
  /// returns once requests in flight are answered and connections closed.
  void run(bool handle_signals);

  /// Starts a graceful stop; safe from any thread, idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tenantd
