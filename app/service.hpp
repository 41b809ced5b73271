#pragma once

// The assembled process: actor system, registry, bridge, router and HTTP
// server. main() and the HTTP-level tests build the same object.

#include <memory>
#include <vector>

#include "actors/actors.hpp"
#include "app/config.hpp"

namespace tenantd {

class service {
public:
  /// Starts the actor system and the registry with `tenants`, and binds the
  /// HTTP port (throws if it cannot). Serving starts with run().
  service(const app_config& config, std::vector<tenant_config> tenants);
  ~service();

  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// The port actually bound (useful with port 0).
  uint16_t port() const;

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
