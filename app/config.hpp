#pragma once

// The service's configuration: each setting comes from the environment and
// may be overridden by a command-line flag (which wins, whatever the
// environment holds). `tenantd --help` lists every setting with its values
// and default.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace tenantd {

/// Thread defaults from the number of cores (measured best on 2 cores:
/// 2 I/O threads, 1 actor thread; see docs/benchmarks.md).
std::size_t default_io_threads();
std::size_t default_actor_threads();

struct app_config {
  std::string host = "0.0.0.0";
  uint16_t port = 8001;
  /// Where the admin API and /metrics are served instead of the public
  /// port ("HOST:PORT"); empty = on the public port.
  std::string admin_host;
  uint16_t admin_port = 0;
  bool admin_listen = false;
  std::string tenants_file = "./tenants.jsonl";
  /// Threads running the HTTP server (Asio io_context); default: one per
  /// core. Parsing, JSON and socket work is the larger share per request.
  std::size_t io_threads = default_io_threads();
  /// Threads running actors (CAF scheduler); default: one per two cores.
  std::size_t actor_threads = default_actor_threads();
  /// Longest an HTTP request waits for an actor before answering 504.
  std::chrono::milliseconds ask_timeout{2000};
  /// Longest an actor waits for another actor's answer.
  std::chrono::milliseconds internal_timeout{10000};
  /// Largest request body accepted (413 beyond).
  std::size_t body_limit = 64 * 1024;
  /// Largest request header section accepted (431 beyond).
  std::size_t header_limit = 16 * 1024;
  /// Connection timeouts (see http::server_options): waiting for a
  /// request's first byte, then for the rest of its header, then for its
  /// body; and writing one answer.
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds write_timeout{30};
  /// Lingering close after an early answer (http::server_options).
  std::chrono::seconds linger_timeout{5};
  std::size_t linger_bytes = 8u << 20;
  /// Connections open at once; more are answered 503 and closed.
  std::size_t max_connections = 10000;
  /// The same per client address (0 = no cap).
  std::size_t max_connections_per_address = 256;
  /// Unsent answer bytes a connection may hold before it stops reading,
  /// and the same over all connections (http::server_options).
  std::size_t max_unsent_bytes_per_connection = 1 << 20;
  std::size_t max_unsent_bytes = 256u << 20;
  /// Directory of the database (and the generated admin token).
  std::string data_dir = "./data";
  /// The admin API's bearer token; empty = read or generate one in
  /// data_dir. Only from the environment: flags show in `ps`.
  std::string admin_token;
  /// A session unused this long expires, unless its tenant sets its own.
  std::chrono::seconds session_ttl{86400};
  /// History entries (whole configs) kept per tenant; 0 = all.
  std::size_t tenant_history_limit = 100;
  /// Live sessions a tenant may hold unless it sets limits.max_sessions.
  std::size_t max_sessions_per_tenant = 100'000;
  /// A tenant actor without traffic this long is passivated.
  std::chrono::seconds tenant_idle{900};
  /// Deepest JSON nesting in a request body (422 beyond).
  std::size_t json_max_depth = 64;
  /// Most object members plus array elements in a request body (422).
  std::size_t json_max_fields = 256;
  /// Longest /chat message, in code points (422 beyond).
  std::size_t max_message_chars = 4096;
  /// Largest rendered reply, in bytes (core/settings.hpp reply_limits).
  std::size_t max_reply_bytes = 128 * 1024;
  /// Reply bytes per second per tenant unless it sets
  /// limits.reply_bytes_per_s; 0 = no limit.
  std::size_t tenant_reply_bytes_per_s = 32u << 20;
  /// POST /session and /chat per 10 s from one client address; 0 = none.
  std::size_t client_rate_limit = 0;
  /// Threads hashing and checking passwords (Argon2id): also the most
  /// hashes at once, each ~PASSWORD_MEMORY_KIB of memory.
  std::size_t password_threads = 2;
  /// Password jobs waiting in all, and per tenant, before more get 503.
  std::size_t password_queue = 1024;
  std::size_t password_queue_per_tenant = 256;
  /// Failed logins in a row (per account, per address) before each next
  /// one waits, and the longest wait.
  std::size_t login_free_failures = 5;
  std::chrono::seconds login_max_delay{900};
  /// Audit events older than this many days are deleted.
  std::size_t audit_retention_days = 365;
  /// Access tokens: lifetime, issuer ("iss"; empty: http://localhost:PORT),
  /// audience ("aud"), verified tokens cached.
  std::chrono::seconds access_token_ttl{900};
  std::string token_issuer;
  std::string token_audience = "tenantd";
  /// PEM CA certificates trusted for https:// AI upstreams besides the
  /// system's (a private CA); empty: the system's only.
  std::string upstream_ca_file;
  std::size_t token_cache_entries = 20'000;
  /// Argon2id's cost (OWASP: m = 19 MiB, t = 2).
  std::size_t password_memory_kib = 19 * 1024;
  std::size_t password_iterations = 2;
  /// Asks in flight per tenant before its requests get 503 at once.
  std::size_t tenant_max_in_flight = 256;
  /// Which requests are logged: "none", "errors" (status 500 and above)
  /// or "all".
  std::string log_requests = "errors";
  /// "text" or "json" (one JSON object per line).
  std::string log_format = "text";
  /// The least severe events logged: "debug", "info", "warning", "error".
  std::string log_level = "info";
};

/// The build's version, as `tenantd --version` prints it.
extern const char* const version;

/// The outcome of reading the configuration: a config, text to print
/// before exiting 0 (--help, --version), or an error message.
struct config_help {
  std::string text;
};
struct config_error_message {
  std::string text;
};
using config_result = std::variant<app_config, config_help, config_error_message>;

/// Reads the configuration from `getenv` and then `argv` (flags win).
config_result parse_config(int argc, const char* const* argv,
                           const std::function<const char*(const char*)>& getenv);

} // namespace tenantd
