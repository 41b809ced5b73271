#pragma once

// The whole service (tenantd::service: actor system, registry, store,
// bridge, router, Beast server) in-process on 127.0.0.1 with an ephemeral
// port and a fresh data directory, serving on a thread of its own; and the
// configurations and tenants the HTTP-level tests start it with.

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "app/service.hpp"
#include "core/tenant_config.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/repo.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tenants.hpp"

namespace tenantd::test {

// -- configuration ------------------------------------------------------------

/// The repository's tenants.jsonl (the seed's three tenants).
inline std::string repo_tenants_file() {
  return repo_path("tenants.jsonl");
}

inline std::vector<tenant_config> seed_tenants() {
  return load_tenants_file(repo_tenants_file());
}

/// A test tenant with a (practically) unlimited chat window whose replies
/// name the tenant, so that any mix-up between tenants shows.
inline tenant_config bulk_tenant(std::string id = "bulk") {
  auto name = "Bulk " + id;
  auto welcome = "Hi from " + id + ".";
  auto model = "mock-" + id;
  return make_tenant(id, name, welcome, model, 1'000'000,
                     "{welcome} [{id}|{name}|{model}] {message}");
}

/// The admin token every test service takes (32 characters).
inline const std::string test_admin_token = "admin-token-for-tests-0123456789";

/// A service on an ephemeral port with the test admin token. Its data_dir
/// is empty: running_service gives it a fresh one unless a test sets it.
inline app_config test_config() {
  app_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.data_dir = "";
  cfg.admin_token = test_admin_token;
  return cfg;
}
// -- the service under test ---------------------------------------------------

/// A tenantd::service serving on its own thread; stopped and joined on
/// destruction. Without a data_dir in `config`, it gets a fresh one, removed
/// after the service.
class running_service {
public:
  explicit running_service(std::vector<tenant_config> tenants,
                           app_config config = test_config())
      : own_dir_(config.data_dir.empty() ? std::make_unique<temp_dir>()
                                         : nullptr),
        data_dir_(own_dir_ ? own_dir_->path() : config.data_dir),
        svc_(with_data_dir(std::move(config), data_dir_), std::move(tenants)) {
    auto returned = std::make_shared<std::promise<void>>();
    returned_ = returned->get_future();
    thread_ = std::thread([this, returned] {
      try {
        svc_.run(false);
        returned->set_value();
      } catch (...) {
        returned->set_exception(std::current_exception());
      }
    });
  }

  ~running_service() {
    svc_.stop();
    thread_.join();
  }

  running_service(const running_service&) = delete;
  running_service& operator=(const running_service&) = delete;

  uint16_t port() const {
    return svc_.port();
  }

  /// The admin listener's port (config.admin_listen), 0 without one.
  uint16_t admin_port() const {
    return svc_.admin_port();
  }

  service& svc() {
    return svc_;
  }

  /// Where its database is.
  const std::string& data_dir() const {
    return data_dir_;
  }

  void stop() {
    svc_.stop();
  }

  /// True once run() has returned (waits up to `d` for it).
  bool returned_within(std::chrono::milliseconds d) {
    return returned_.wait_for(d) == std::future_status::ready;
  }

private:
  static app_config with_data_dir(app_config config, const std::string& dir) {
    config.data_dir = dir;
    return config;
  }

  std::unique_ptr<temp_dir> own_dir_;
  std::string data_dir_;
  service svc_;
  std::future<void> returned_;
  std::thread thread_;
};


} // namespace tenantd::test
