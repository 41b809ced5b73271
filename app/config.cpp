#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <thread>

namespace tenantd {

const char* const version = TENANTD_VERSION;

std::size_t default_io_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t default_actor_threads() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

namespace {

// One setting: its flag (none for secrets: flags show in `ps`), its
// environment variable, what it is, the values it takes, its default, and
// how to store a value into the config (false: not a valid value).
struct setting {
  std::string_view flag;
  const char* env;
  std::string_view help;
  std::string range;
  std::string fallback;
  std::function<bool(app_config&, std::string_view)> store;
};

template <class T>
bool parse_number(std::string_view s, T& out, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < min
      || value > max)
    return false;
  out = value;
  return true;
}

std::string range_text(int64_t min, int64_t max) {
  return std::to_string(min) + "-" + std::to_string(max);
}

// A whole number in [min, max] stored into `field`.
template <class T>
setting number(std::string_view flag, const char* env, std::string_view help,
               T app_config::*field, T min, T max, std::string fallback) {
  return {flag, env, help,
          range_text(static_cast<int64_t>(min), static_cast<int64_t>(max)),
          std::move(fallback),
          [field, min, max](app_config& c, std::string_view v) {
            return parse_number<T>(v, c.*field, min, max);
          }};
}

// A whole number of `Duration` units in [1, max] stored into `field`.
template <class Duration>
setting duration(std::string_view flag, const char* env,
                 std::string_view help, Duration app_config::*field,
                 int64_t max) {
  return {flag, env, help, range_text(1, max),
          std::to_string((app_config{}.*field).count()),
          [field, max](app_config& c, std::string_view v) {
            int64_t n = 0;
            if (!parse_number<int64_t>(v, n, 1, max))
              return false;
            c.*field = Duration{n};
            return true;
          }};
}

// A non-empty text stored into `field`.
setting text(std::string_view flag, const char* env, std::string_view help,
             std::string app_config::*field) {
  return {flag, env, help, "non-empty", app_config{}.*field,
          [field](app_config& c, std::string_view v) {
            c.*field = std::string{v};
            return !v.empty();
          }};
}

// One of `names` stored into `field`.
setting choice(std::string_view flag, const char* env, std::string_view help,
               std::string app_config::*field,
               std::vector<std::string> names) {
  std::string range;
  for (auto& n : names)
    range += (range.empty() ? "" : "|") + n;
  return {flag, env, help, range, app_config{}.*field,
          [field, names](app_config& c, std::string_view v) {
            if (std::find(names.begin(), names.end(), v) == names.end())
              return false;
            c.*field = std::string{v};
            return true;
          }};
}

constexpr int64_t ten_years = 10 * 365 * 86400;

const std::vector<setting>& settings() {
  using std::size_t;
  static const std::vector<setting> all = {
    number<uint16_t>("--port", "PORT", "TCP port to listen on (0 = any free)",
                     &app_config::port, 0, 65535, "8001"),
    text("--host", "HOST", "address to bind", &app_config::host),
    {"--admin-listen", "ADMIN_LISTEN",
     "HOST:PORT where the admin API and /metrics are served, and no longer "
     "on the public port (/healthz and /readyz stay on both)",
     "HOST:PORT (an IPv6 host in brackets)", "none (on the public port)",
     [](app_config& c, std::string_view v) {
       auto colon = v.rfind(':');
       if (colon == std::string_view::npos || colon == 0)
         return false;
       auto host = v.substr(0, colon);
       if (host.size() > 2 && host.front() == '[' && host.back() == ']')
         host = host.substr(1, host.size() - 2);
       uint16_t port = 0;
       if (!parse_number<uint16_t>(v.substr(colon + 1), port, 0, 65535))
         return false;
       c.admin_host = std::string{host};
       c.admin_port = port;
       c.admin_listen = true;
       return true;
     }},
    text("--tenants-file", "TENANTS_FILE", "JSON Lines file of tenants",
         &app_config::tenants_file),
    number<size_t>("--io-threads", "IO_THREADS", "HTTP I/O threads",
                   &app_config::io_threads, 1, 256, "one per core"),
    number<size_t>("--actor-threads", "ACTOR_THREADS",
                   "actor scheduler threads", &app_config::actor_threads, 1,
                   256, "one per two cores"),
    duration("--ask-timeout-ms", "ASK_TIMEOUT_MS",
             "milliseconds a request waits for an actor before 504",
             &app_config::ask_timeout, 3'600'000),
    duration("--internal-timeout-ms", "INTERNAL_TIMEOUT_MS",
             "milliseconds an actor waits for another (a load, a write, a "
             "config change) before failing that request",
             &app_config::internal_timeout, 3'600'000),
    text("--data-dir", "DATA_DIR",
         "directory of the database, created if missing",
         &app_config::data_dir),
    {"", "ADMIN_TOKEN", "bearer token of the admin API",
     "16-256 visible ASCII characters", "generated into DATA_DIR/admin-token",
     [](app_config& c, std::string_view v) {
       if (v.size() < 16 || v.size() > 256)
         return false;
       for (char ch : v)
         if (ch <= 0x20 || ch >= 0x7f)
           return false;
       c.admin_token = std::string{v};
       return true;
     }},
    duration("--session-ttl", "SESSION_TTL",
             "seconds a session may go unused before it expires",
             &app_config::session_ttl, ten_years),
    number<size_t>("--tenant-history-limit", "TENANT_HISTORY_LIMIT",
                   "changes of a tenant kept in its stored history, newest "
                   "first (0 = all)",
                   &app_config::tenant_history_limit, 0, 1'000'000, "100"),
    number<size_t>("--max-sessions-per-tenant", "MAX_SESSIONS_PER_TENANT",
                   "live sessions one tenant may hold, unless its "
                   "limits.max_sessions says otherwise; POST /session gets "
                   "429 beyond",
                   &app_config::max_sessions_per_tenant, 1, 100'000'000,
                   "100000"),
    duration("--tenant-idle", "TENANT_IDLE",
             "seconds without traffic before a tenant actor is passivated",
             &app_config::tenant_idle, ten_years),
    number<size_t>("--body-limit", "BODY_LIMIT",
                   "largest request body in bytes, 413 beyond",
                   &app_config::body_limit, 1, 64u << 20, "65536"),
    number<size_t>("--json-max-depth", "JSON_MAX_DEPTH",
                   "deepest JSON nesting in a request body, 422 beyond",
                   &app_config::json_max_depth, 1, 1000, "64"),
    number<size_t>("--json-max-fields", "JSON_MAX_FIELDS",
                   "most object members plus array elements in a request "
                   "body, 422 beyond",
                   &app_config::json_max_fields, 1, 1u << 20, "256"),
    number<size_t>("--max-message-chars", "MAX_MESSAGE_CHARS",
                   "longest /chat message in characters (code points), 422 "
                   "beyond",
                   &app_config::max_message_chars, 1, 64u << 20, "4096"),
    number<size_t>("--max-reply-bytes", "MAX_REPLY_BYTES",
                   "largest reply in bytes as sent (JSON-escaped); a tenant "
                   "config whose "
                   "reply could be larger (with a message of "
                   "MAX_MESSAGE_CHARS) is refused with 422",
                   &app_config::max_reply_bytes, 1024, 64u << 20, "131072"),
    number<size_t>("--tenant-reply-bytes-per-s", "TENANT_REPLY_BYTES_PER_S",
                   "reply bytes as sent per second for one tenant, unless "
                   "its limits.reply_bytes_per_s says otherwise; faster "
                   "replies are held back, and a chat that would wait over "
                   "a second gets 429 (0 = no limit)",
                   &app_config::tenant_reply_bytes_per_s, 0, 1u << 30,
                   "33554432"),
    number<size_t>("--tenant-max-in-flight", "TENANT_MAX_IN_FLIGHT",
                   "requests one tenant may have waiting for its actor "
                   "before more get 503",
                   &app_config::tenant_max_in_flight, 1, 1u << 20, "256"),
    number<size_t>("--client-rate-limit", "CLIENT_RATE_LIMIT",
                   "POST /session and POST /chat one client address may "
                   "make per 10 s, 429 beyond (0 = no limit; behind a proxy "
                   "every client has the proxy's address)",
                   &app_config::client_rate_limit, 0, 1'000'000'000, "0"),
    number<size_t>("--login-free-failures", "LOGIN_FREE_FAILURES",
                   "failed logins in a row, per account and per client "
                   "address, before each next one waits (1 s, doubling)",
                   &app_config::login_free_failures, 1, 1'000'000, "5"),
    duration("--login-max-delay", "LOGIN_MAX_DELAY",
             "longest wait, in seconds, after failed logins",
             &app_config::login_max_delay, 86400),
    number<size_t>("--audit-retention-days", "AUDIT_RETENTION_DAYS",
                   "days an audit event is kept before it is deleted",
                   &app_config::audit_retention_days, 1, 36500, "365"),
    duration("--access-token-ttl", "ACCESS_TOKEN_TTL",
             "seconds an access token from POST /auth/token is valid",
             &app_config::access_token_ttl, 86400),
    {"--token-issuer", "TOKEN_ISSUER",
     "the issuer (\"iss\") of access tokens and of the OpenID "
     "configuration: the service's public URL",
     "an http(s) URL without a trailing slash", "http://localhost:PORT",
     [](app_config& c, std::string_view v) {
       bool url = v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0;
       if (!url || v.back() == '/' || v.size() > 512)
         return false;
       c.token_issuer = std::string{v};
       return true;
     }},
    {"--upstream-ca-file", "UPSTREAM_CA_FILE",
     "PEM file of CA certificates trusted for https:// AI upstreams besides "
     "the system's trust store (a private CA); read at start-up",
     "a file path", "none",
     [](app_config& c, std::string_view v) {
       c.upstream_ca_file = std::string{v};
       return !v.empty();
     }},
    text("--token-audience", "TOKEN_AUDIENCE",
         "the audience (\"aud\") of access tokens; others are refused",
         &app_config::token_audience),
    number<size_t>("--token-cache-entries", "TOKEN_CACHE_ENTRIES",
                   "verified access tokens kept so that a request costs a "
                   "lookup, not a signature check (about 1 KiB each; 0 = "
                   "none)",
                   &app_config::token_cache_entries, 0, 10'000'000, "20000"),
    number<size_t>("--password-threads", "PASSWORD_THREADS",
                   "threads hashing and checking passwords (Argon2id), "
                   "which is also the most hashes running at once",
                   &app_config::password_threads, 1, 64, "2"),
    number<size_t>("--password-queue", "PASSWORD_QUEUE",
                   "password hashes and checks waiting in all before more "
                   "get 503 with Retry-After (one waiting past "
                   "ASK_TIMEOUT_MS is dropped unrun)",
                   &app_config::password_queue, 1, 1u << 16, "1024"),
    number<size_t>("--password-queue-per-tenant", "PASSWORD_QUEUE_PER_TENANT",
                   "password hashes and checks of one tenant waiting before "
                   "its next get 503 (its share of the queue)",
                   &app_config::password_queue_per_tenant, 1, 1u << 16,
                   "256"),
    number<size_t>("--password-memory-kib", "PASSWORD_MEMORY_KIB",
                   "Argon2id memory per hash in KiB (OWASP: 19456)",
                   &app_config::password_memory_kib, 19 * 1024, 1u << 22,
                   "19456"),
    number<size_t>("--password-iterations", "PASSWORD_ITERATIONS",
                   "Argon2id passes over the memory (OWASP: 2)",
                   &app_config::password_iterations, 2, 64, "2"),
    choice("--log-requests", "LOG_REQUESTS",
           "which requests get a log line (errors: status >= 500)",
           &app_config::log_requests, {"none", "errors", "all"}),
    choice("--log-format", "LOG_FORMAT",
           "log lines as text or as JSON objects", &app_config::log_format,
           {"text", "json"}),
    choice("--log-level", "LOG_LEVEL", "the least severe events logged",
           &app_config::log_level, {"debug", "info", "warning", "error"}),
    number<size_t>("--header-limit", "HEADER_LIMIT",
                   "largest request header section in bytes, 431 beyond",
                   &app_config::header_limit, 1024, 1u << 20, "16384"),
    duration("--idle-timeout-s", "IDLE_TIMEOUT_S",
             "seconds a connection may wait for the first byte of a request",
             &app_config::idle_timeout, 3600),
    duration("--header-timeout-s", "HEADER_TIMEOUT_S",
             "seconds from a request's first byte to the end of its header",
             &app_config::header_timeout, 3600),
    duration("--body-timeout-s", "BODY_TIMEOUT_S",
             "seconds from the end of a request's header to the end of its "
             "body",
             &app_config::body_timeout, 3600),
    duration("--write-timeout-s", "WRITE_TIMEOUT_S",
             "seconds to write one answer", &app_config::write_timeout, 3600),
    duration("--linger-timeout-s", "LINGER_TIMEOUT_S",
             "seconds a connection reads and discards what a client still "
             "sends after an early answer (413, 431, 400) before it closes",
             &app_config::linger_timeout, 3600),
    number<size_t>("--linger-bytes", "LINGER_BYTES",
                   "bytes a connection reads and discards after an early "
                   "answer before it closes",
                   &app_config::linger_bytes, 0, size_t{1} << 30, "8388608"),
    number<size_t>("--max-connections", "MAX_CONNECTIONS",
                   "connections open at once; more get 503",
                   &app_config::max_connections, 1, 1'000'000, "10000"),
    number<size_t>("--max-connections-per-address",
                   "MAX_CONNECTIONS_PER_ADDRESS",
                   "connections open at once from one client address; more "
                   "get 503 (0 = no cap; behind a proxy, every client has "
                   "the proxy's address)",
                   &app_config::max_connections_per_address, 0, 1'000'000,
                   "256"),
    number<size_t>("--max-unsent-bytes-per-connection",
                   "MAX_UNSENT_BYTES_PER_CONNECTION",
                   "bytes of answers a connection may hold unsent before it "
                   "stops reading requests",
                   &app_config::max_unsent_bytes_per_connection, 1024,
                   1u << 30, "1048576"),
    number<size_t>("--max-unsent-bytes", "MAX_UNSENT_BYTES",
                   "bytes of unsent answers over all connections before "
                   "every connection holding some stops reading",
                   &app_config::max_unsent_bytes, 1u << 16, size_t{1} << 40,
                   "268435456"),
  };
  return all;
}

std::string help_text() {
  std::string text = "Usage: tenantd [flags]\n\n"
                     "Multi-tenant chat service. Each setting may be given as "
                     "an environment\nvariable or as a flag; a flag wins over "
                     "the variable, whatever the\nvariable holds.\n\n";
  auto name_of = [](const setting& s) {
    return s.flag.empty() ? "  " + std::string{s.env}
                          : "  " + std::string{s.flag} + " / " + s.env;
  };
  // The help text starts two columns after the longest name.
  std::size_t help_column = 0;
  for (auto& s : settings())
    help_column = std::max(help_column, name_of(s).size() + 2);
  auto line = [&](std::string left, std::string help) {
    left.resize(std::max(left.size() + 2, help_column), ' ');
    text += left + help + "\n";
  };
  for (auto& s : settings()) {
    line(name_of(s), std::string{s.help});
    line("", "values: " + s.range + "; default: "
               + (s.fallback.empty() ? "none" : s.fallback));
  }
  line("  --help, -h", "show this text");
  line("  --version", "show the version");
  return text;
}

const setting* find_flag(std::string_view name) {
  for (auto& s : settings())
    if (!s.flag.empty() && s.flag == name)
      return &s;
  return nullptr;
}

} // namespace

config_result parse_config(int argc, const char* const* argv,
                           const std::function<const char*(const char*)>& getenv) {
  // --help and --version work whatever else the command line or the
  // environment holds.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return config_help{help_text()};
    if (arg == "--version")
      return config_help{std::string{"tenantd "} + version + "\n"};
    // A flag's separate value is skipped: it may look like anything.
    auto* s = find_flag(arg);
    if (s != nullptr && i + 1 < argc)
      ++i;
  }
  app_config cfg;
  // Flags first; a later one wins over an earlier one.
  std::set<const setting*> given;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    auto* match = find_flag(name);
    if (match == nullptr)
      return config_error_message{"unknown flag '" + std::string{name}
                                  + "' (see --help)"};
    std::string_view value;
    if (eq != std::string_view::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else
      return config_error_message{"flag " + std::string{name}
                                  + " needs a value"};
    if (!match->store(cfg, value))
      return config_error_message{"invalid value for " + std::string{name}
                                  + ": '" + std::string{value} + "'"};
    given.insert(match);
  }
  // Then the environment, for the settings no flag gave: a flag wins over
  // the variable even when the variable's value is invalid.
  for (auto& s : settings()) {
    if (given.count(&s) > 0)
      continue;
    if (auto v = getenv(s.env); v != nullptr && !s.store(cfg, v))
      // Never echo a secret, even a malformed one.
      return config_error_message{
        "invalid value for " + std::string{s.env}
        + (s.flag.empty() ? " (see --help)" : ": '" + std::string{v} + "'")};
  }
  return cfg;
}

} // namespace tenantd
