#include "app/service.hpp"

#include <csignal>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/all.hpp>

#include "actors/system.hpp"
#include "http/bridge.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace net = boost::asio;

namespace {

// How long a graceful stop waits for busy connections before cutting them.
constexpr std::chrono::seconds drain_deadline{10};

caf::actor_system_config& prepare(caf::actor_system_config& cfg,
                                  const app_config& config) {
  configure_actor_system(cfg, config.actor_threads);
  return cfg;
}

} // namespace

struct service::impl {
  impl(const app_config& config, std::vector<tenant_config> tenants)
    : system(prepare(actor_config, config)),
      registry(spawn_registry(system, std::move(tenants))),
      asks(system, registry, config.ask_timeout, 2 * config.actor_threads),
      routes(asks),
      server(ioc,
             http::server_options{config.host, config.port, config.body_limit},
             [this](http::request&& req, http::responder done) {
               routes(std::move(req), std::move(done));
             }),
      io_threads(config.io_threads),
      signals(ioc),
      drain_timer(ioc) {
  }

  ~impl() {
    // Actors first: a pending ask's continuation holds a connection and
    // posts to the io_context, so every actor must be gone before the
    // server and the io_context are destroyed.
    asks.stop();
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    system.await_all_actors_done();
  }

  void begin_stop() {
    if (stopping.exchange(true))
      return;
    log::info("service", "stopping: no new connections, finishing requests "
                         "in flight");
    signals.cancel();
    drain_timer.expires_after(drain_deadline);
    drain_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        log::warning("service", "drain deadline passed; closing anyway");
        ioc.stop();
      }
    });
    server.stop([this] { drain_timer.cancel(); });
  }

  caf::actor_system_config actor_config;
  caf::actor_system system;
  registry_actor registry;
  http::bridge asks;
  http::router routes;
  net::io_context ioc;
  http::server server;
  std::size_t io_threads;
  net::signal_set signals;
  net::steady_timer drain_timer;
  std::atomic<bool> stopping{false};
};

service::service(const app_config& config, std::vector<tenant_config> tenants)
  : impl_(std::make_unique<impl>(config, std::move(tenants))) {
}

service::~service() = default;

uint16_t service::port() const {
  return impl_->server.port();
}

registry_actor service::registry() const {
  return impl_->registry;
}

caf::actor_system& service::system() {
  return impl_->system;
}

void service::run(bool handle_signals) {
  auto& self = *impl_;
  if (handle_signals) {
    self.signals.add(SIGINT);
    self.signals.add(SIGTERM);
    self.signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec)
        impl_->begin_stop();
    });
  }
  self.server.start();
  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < self.io_threads; ++i)
    extra.emplace_back([&self] { self.ioc.run(); });
  self.ioc.run();
  for (auto& t : extra)
    t.join();
}

void service::stop() {
  net::post(impl_->ioc, [this] { impl_->begin_stop(); });
}

} // namespace tenantd
