#include "app/service.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/all.hpp>

#include "actors/system.hpp"
#include "http/api/api.hpp"
#include "http/bridge.hpp"
#include "http/router.hpp"
#include "http/upstream/client.hpp"
#include "http/tokens.hpp"
#include "crypto/keyring.hpp"
#include "crypto/password.hpp"
#include "core/clock.hpp"
#include "util/fair_pool.hpp"
#include "http/net/server.hpp"
#include "metrics/metrics.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace net = boost::asio;

namespace {

// How long a graceful stop waits for busy connections before cutting them.
constexpr std::chrono::seconds drain_deadline{10};

http::server_options server_options(const app_config& config) {
  http::server_options opts;
  opts.host = config.host;
  opts.port = config.port;
  opts.body_limit = config.body_limit;
  opts.header_limit = config.header_limit;
  opts.idle_timeout = config.idle_timeout;
  opts.header_timeout = config.header_timeout;
  opts.body_timeout = config.body_timeout;
  opts.write_timeout = config.write_timeout;
  opts.linger_timeout = config.linger_timeout;
  opts.linger_bytes = config.linger_bytes;
  opts.max_connections = config.max_connections;
  opts.max_connections_per_address = config.max_connections_per_address;
  opts.max_unsent_bytes_per_connection = config.max_unsent_bytes_per_connection;
  opts.max_unsent_bytes = config.max_unsent_bytes;
  return opts;
}

http::router_options router_options(const app_config& config,
                                    const std::string& admin_token,
                                    const std::string& key_secret,
                                    std::shared_ptr<http::token_authority> tokens,
                                    std::shared_ptr<fair_pool> background) {
  http::router_options opts;
  opts.admin_token = admin_token;
  opts.key_secret = key_secret;
  opts.tokens = std::move(tokens);
  opts.background = std::move(background);
  opts.login_free_failures = static_cast<uint32_t>(config.login_free_failures);
  opts.login_max_delay = config.login_max_delay;
  opts.limits.max_depth = config.json_max_depth;
  opts.limits.max_fields = config.json_max_fields;
  opts.limits.max_message_chars = config.max_message_chars;
  opts.tenant_max_in_flight = config.tenant_max_in_flight;
  opts.client_rate_limit = config.client_rate_limit;
  // Throws naming the file if it cannot be read: the service does not start.
  if (!config.upstream_ca_file.empty())
    opts.upstream_tls = http::upstream::make_tls_context(config.upstream_ca_file);
  opts.logging = config.log_requests == "all"    ? http::request_logging::all
                 : config.log_requests == "none" ? http::request_logging::none
                                                 : http::request_logging::errors;
  return opts;
}

// File descriptors the process needs besides its connections: the
// database, the listener, epoll and eventfds, logs.
constexpr rlim_t other_descriptors = 64;

// Raises the soft limit on open files to the hard limit (often 1024 soft,
// far more hard) so that max_connections can be reached, and warns if it
// cannot be: accepts beyond the limit fail (logged) instead of getting 503.
void raise_open_file_limit(std::size_t max_connections) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    log::warning("service", std::string{"cannot read the open file limit: "}
                              + std::strerror(errno));
    return;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    auto raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
      lim = raised;
  }
  auto needed = max_connections + other_descriptors;
  if (lim.rlim_cur != RLIM_INFINITY && needed > lim.rlim_cur)
    log::warning("service", "MAX_CONNECTIONS " + std::to_string(max_connections)
                              + " needs about " + std::to_string(needed)
                              + " open files; the limit is "
                              + std::to_string(lim.rlim_cur));
}

caf::actor_system_config& prepare(caf::actor_system_config& cfg,
                                  const app_config& config) {
  configure_actor_system(cfg, config.actor_threads);
  return cfg;
}

} // namespace

// One single-threaded io_context per I/O thread: a connection lives on one
// of them, so its handlers never run concurrently (no strand needed), and
// handlers it posts to itself skip the shared, locked queue a multi-threaded
// io_context would use.
struct io_pool {
  explicit io_pool(std::size_t n) {
    for (std::size_t i = 0; i < std::max<std::size_t>(n, 1); ++i)
      contexts.push_back(std::make_unique<net::io_context>(1));
  }

  net::io_context& first() {
    return *contexts.front();
  }

  /// The next connection's place, round robin.
  http::lane_pick next() {
    auto lane = next_index++ % contexts.size();
    return {contexts[lane]->get_executor(), lane};
  }

  std::vector<net::io_context*> all() const {
    std::vector<net::io_context*> result;
    for (auto& ctx : contexts)
      result.push_back(ctx.get());
    return result;
  }

  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::size_t next_index = 0; // used on the listener's executor only
};

lifecycle_settings lifecycle(const app_config& config) {
  lifecycle_settings s;
  s.session_ttl = config.session_ttl;
  s.tenant_idle = config.tenant_idle;
  s.internal_timeout = config.internal_timeout;
  s.max_sessions_per_tenant = config.max_sessions_per_tenant;
  s.replies.max_reply_bytes = config.max_reply_bytes;
  s.replies.max_message_chars = config.max_message_chars;
  s.replies.bytes_per_s_per_tenant = config.tenant_reply_bytes_per_s;
  s.audit_retention = std::chrono::hours{24 * config.audit_retention_days};
  // A paced chat must be answered well before its ask times out (504).
  s.replies.max_wait = std::min<timespan>(std::chrono::seconds{1},
                                          config.ask_timeout / 2);
  return s;
}

// Holds an exclusive lock on DATA_DIR/lock for the life of the service: two
// processes on one database would each keep their own session index and
// tenant actors, and overwrite each other's state.
class data_dir_lock {
public:
  explicit data_dir_lock(const std::string& dir) {
    // The lock comes first, so it makes the directory (0700) the database
    // will live in. An existing directory is fine.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      auto err = errno; // before the message's allocations
      throw std::runtime_error(dir + ": cannot create the data directory ("
                               + std::strerror(err) + ")");
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw std::runtime_error(dir + ": cannot create the data directory "
                                     "(a file of that name exists)");
    auto path = dir + "/lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw std::runtime_error(path + ": cannot open the lock file: "
                               + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      auto err = errno;
      ::close(fd_);
      throw std::runtime_error(
        dir + ": data directory in use by another process ("
        + (err == EWOULDBLOCK ? std::string{"lock held"} : std::strerror(err))
        + ")");
    }
  }
  ~data_dir_lock() {
    ::close(fd_); // releases the lock
  }
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;

private:
  int fd_ = -1;
};

// Added to the nice value of the password threads.
constexpr int password_nice = 10;

// The access token authority over the signing keys in
// DATA_DIR/signing-keys (created with a first key on the first start).
std::shared_ptr<http::token_authority> open_tokens(const app_config& config) {
  http::token_settings settings;
  settings.issuer = config.token_issuer.empty()
                      ? "http://localhost:" + std::to_string(config.port)
                      : config.token_issuer;
  settings.audience = config.token_audience;
  settings.lifetime = config.access_token_ttl;
  settings.cache_entries = config.token_cache_entries;
  return std::make_shared<http::token_authority>(
    crypto::keyring::open(config.data_dir + "/signing-keys", unix_millis()),
    std::move(settings));
}

actor_options actor_layer_options(const app_config& config,
                                  std::vector<tenant_config> bootstrap,
                                  metrics::metrics& metrics,
                                  std::shared_ptr<fair_pool> passwords) {
  actor_options opts;
  opts.services.passwords = std::move(passwords);
  opts.services.password_cost = {config.password_iterations,
                                 config.password_memory_kib * 1024};
  opts.services.password_wait = config.ask_timeout;
  opts.services.login_free_failures =
    static_cast<uint32_t>(config.login_free_failures);
  opts.services.login_max_delay = config.login_max_delay;
  opts.data_dir = config.data_dir;
  opts.bootstrap = std::move(bootstrap);
  opts.lifecycle = lifecycle(config);
  opts.tenant_history_limit = config.tenant_history_limit;
  opts.metrics = &metrics;
  return opts;
}

struct service::impl {
  impl(const app_config& config, std::vector<tenant_config> bootstrap)
    : lock(config.data_dir),
      // Niced: under load, hashing waits for the I/O and actor threads,
      // not the other way round (benchmarks.md, "Identity and access").
      passwords(std::make_shared<fair_pool>(
        config.password_threads, config.password_queue,
        std::min(config.password_queue_per_tenant, config.password_queue),
        password_nice)),
      system(prepare(actor_config, config)),
      core(start(system, config, std::move(bootstrap), metrics, passwords)),
      token(resolve_admin_token(config.admin_token, config.data_dir)),
      key_secret(resolve_key_secret(config.data_dir)),
      tokens(open_tokens(config)),
      io(config.io_threads),
      asks(system, core.registry(), config.ask_timeout, io.all()),
      routes(asks, core.active(), router_options(config, token.value, key_secret, tokens, passwords), metrics,
             config.admin_listen ? http::api::public_routes()
                                 : http::api::all_routes()),
      server(io.first(),
             server_options(config),
             [this](http::request&& req, std::size_t lane,
                    const net::ip::address& from, http::responder done) {
               routes(std::move(req), lane, from, std::move(done));
             },
             [this] { return io.next(); }),
      signals(io.first()),
      drain_timer(io.first()) {
    // The dummy hash an unknown email is checked against, made now: made by
    // the first such login, it would cost that login two hashes.
    crypto::dummy_hash({config.password_iterations,
                        config.password_memory_kib * 1024});
    if (config.admin_listen) {
      admin_routes.emplace(asks, core.active(),
                           router_options(config, token.value, key_secret, tokens, passwords), metrics,
                           http::api::admin_routes());
      auto opts = server_options(config);
      opts.host = config.admin_host;
      opts.port = config.admin_port;
      admin_server.emplace(
        io.first(), opts,
        [this](http::request&& req, std::size_t lane,
               const net::ip::address& from, http::responder done) {
          (*admin_routes)(std::move(req), lane, from, std::move(done));
        },
        [this] { return io.next(); });
    }
    sample_process_figures();
    raise_open_file_limit(config.max_connections);
  }

  ~impl() {
    // Actors first: a pending ask's continuation holds a connection and
    // posts to an io_context, so every actor must be gone before the
    // server and the io_contexts are destroyed.
    asks.stop();
    passivate_all();
    core.stop();
    system.await_all_actors_done();
  }

  static actor_layer start(caf::actor_system& sys, const app_config& config,
                           std::vector<tenant_config> bootstrap,
                           metrics::metrics& metrics,
                           std::shared_ptr<fair_pool> passwords) {
    auto boot = bootstrap.size();
    auto layer = start_actors(
      sys, actor_layer_options(config, std::move(bootstrap), metrics,
                               std::move(passwords)));
    log::info("store", "opened " + layer.location() + "; "
                         + std::to_string(layer.added()) + " of "
                         + std::to_string(boot)
                         + " tenants from the tenants file were new");
    return layer;
  }

  // Figures read at each scrape from the parts that keep them.
  void sample_process_figures() {
    auto read = [](const std::atomic<uint64_t>& x) {
      return [&x] { return static_cast<double>(x.load(std::memory_order_relaxed)); };
    };
    auto& conns = server.counters();
    metrics.add_sampled_gauge("tenantd_http_connections",
                              "Open client connections",
                              read(conns.open_connections));
    metrics.add_sampled_counter("tenantd_http_connections_accepted_total",
                                "Connections accepted (refused ones included)",
                                read(conns.accepted_total));
    metrics.add_sampled_counter(
      "tenantd_http_connections_refused_total",
      "Connections answered 503 because MAX_CONNECTIONS were open",
      read(conns.refused_total));
    metrics.add_sampled_counter(
      "tenantd_http_connections_refused_per_address_total",
      "Connections answered 503 because their address had "
      "MAX_CONNECTIONS_PER_ADDRESS open",
      read(conns.refused_per_address_total));
    metrics.add_sampled_gauge(
      "tenantd_http_unsent_bytes",
      "Bytes of answers not yet sent, over all connections",
      read(conns.unsent_bytes));
    metrics.add_sampled_counter(
      "tenantd_http_reads_paused_total",
      "Times a connection stopped reading requests because of its unsent "
      "answers (MAX_UNSENT_BYTES_PER_CONNECTION, MAX_UNSENT_BYTES)",
      read(conns.reads_paused_total));
    metrics.add_sampled_counter(
      "tenantd_http_handler_failures_total",
      "Requests whose handler threw, answered 500",
      read(conns.handler_failures_total));
    metrics.add_sampled_counter(
      "tenantd_http_connections_timed_out_total",
      "Connections closed by the idle, header, body or write timeout",
      read(conns.timed_out_total));
    auto refused_help = "Requests answered before routing: unparsable or "
                        "malformed (400; 501 counted here too), body or header "
                        "over the limit (413; 431, and 414 for the request "
                        "line)";
    metrics.add_sampled_counter("tenantd_http_requests_refused_total",
                                refused_help, read(conns.bad_request_total),
                                {{"code", "400"}});
    metrics.add_sampled_counter("tenantd_http_requests_refused_total",
                                refused_help, read(conns.body_too_large_total),
                                {{"code", "413"}});
    metrics.add_sampled_counter("tenantd_http_requests_refused_total",
                                refused_help,
                                read(conns.header_too_large_total),
                                {{"code", "431"}});
    auto& bridged = asks.counters();
    metrics.add_sampled_gauge(
      "tenantd_asks_in_flight", "Requests waiting for an actor's answer",
      [&bridged] {
        return static_cast<double>(bridged.in_flight.load(std::memory_order_relaxed));
      });
    metrics.add_sampled_counter(
      "tenantd_ask_timeouts_total",
      "Requests whose actor did not answer within ASK_TIMEOUT_MS (504)",
      [&bridged] {
        return static_cast<double>(bridged.timed_out.load(std::memory_order_relaxed));
      });
  }

  // Lets every tenant actor store its last session uses and counters (the
  // store commits what it has when it stops).
  void passivate_all() {
    caf::scoped_actor self{system};
    self->request(core.registry(), drain_deadline, atom::passivate_v)
      .receive([](caf::ok_atom) {},
               [](caf::error& err) {
                 log::warning("service", "tenants did not all store their "
                                         "state before the stop: "
                                           + to_string(err));
               });
  }

  // Runs on the first io_context.
  void begin_stop() {
    if (stopping.exchange(true))
      return;
    set_accepting(false);
    log::info("service", "stopping: no new connections, finishing requests "
                         "in flight");
    signals.cancel();
    drain_timer.expires_after(drain_deadline);
    drain_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        log::warning("service", "drain deadline passed; closing anyway");
        for (auto& ctx : io.contexts)
          ctx->stop();
      }
    });
    // Called from whichever thread closes a listener's last connection;
    // the last of the listeners ends the run.
    auto listeners = std::make_shared<std::atomic<int>>(admin_server ? 2 : 1);
    auto drained = [this, listeners] {
      if (--*listeners > 0)
        return;
      net::post(io.first(), [this] {
        drain_timer.cancel();
        idle_guards.clear(); // lets every io_context's run() return
      });
    };
    server.stop(drained);
    if (admin_server)
      admin_server->stop(drained);
  }

  void set_accepting(bool accepting) {
    routes.set_accepting(accepting);
    if (admin_routes)
      admin_routes->set_accepting(accepting);
  }

  data_dir_lock lock;
  /// Before the actor system: actors count into it until they are gone.
  metrics::metrics metrics;
  /// Before the actor system, whose tenant actors submit to it.
  std::shared_ptr<fair_pool> passwords;
  caf::actor_system_config actor_config;
  caf::actor_system system;
  /// Opens the storage first: a bad data directory stops start-up before
  /// anything listens.
  actor_layer core;
  admin_token token;
  std::string key_secret;
  std::shared_ptr<http::token_authority> tokens;
  /// Before the bridge: its lanes' timers belong to these io_contexts.
  io_pool io;
  http::bridge asks;
  http::router routes;
  http::server server;
  /// With ADMIN_LISTEN: the admin API and /metrics, on their own port.
  std::optional<http::router> admin_routes;
  std::optional<http::server> admin_server;
  net::signal_set signals;
  net::steady_timer drain_timer;
  /// Keep the io_contexts without connections running until stop.
  std::vector<net::executor_work_guard<net::io_context::executor_type>>
    idle_guards;
  std::atomic<bool> stopping{false};
};

service::service(const app_config& config, std::vector<tenant_config> bootstrap)
  : impl_(std::make_unique<impl>(config, std::move(bootstrap))) {
}

const admin_token& service::token() const {
  return impl_->token;
}

service::~service() = default;

uint16_t service::port() const {
  return impl_->server.port();
}

uint16_t service::admin_port() const {
  return impl_->admin_server ? impl_->admin_server->port() : 0;
}

registry_actor service::registry() const {
  return impl_->core.registry();
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
  for (auto& ctx : self.io.contexts)
    self.idle_guards.push_back(net::make_work_guard(*ctx));
  self.server.start();
  if (self.admin_server)
    self.admin_server->start();
  self.set_accepting(true);
  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < self.io.contexts.size(); ++i)
    extra.emplace_back([ctx = self.io.contexts[i].get()] { ctx->run(); });
  self.io.first().run();
  for (auto& t : extra)
    t.join();
}

void service::stop() {
  net::post(impl_->io.first(), [this] { impl_->begin_stop(); });
}

} // namespace tenantd
