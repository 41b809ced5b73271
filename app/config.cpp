#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <thread>

namespace tenantd {

std::size_t default_io_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t default_actor_threads() {
  return std::max(1u, std::thread::hardware_concurrency() / 2);
}

namespace {

// One setting: its flag, its environment variable, its help line, and how
// to store a value into the config.
struct setting {
  std::string_view flag;
  const char* env;
  std::string_view help;
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

bool parse_seconds(std::string_view s, std::chrono::seconds& out,
                   int64_t max) {
  int64_t seconds = 0;
  if (!parse_number<int64_t>(s, seconds, 1, max))
    return false;
  out = std::chrono::seconds{seconds};
  return true;
}

constexpr int64_t ten_years = 10 * 365 * 86400;

const std::vector<setting>& settings() {
  static const std::vector<setting> all = {
    {"--port", "PORT", "TCP port to listen on (default 8001; 0 = any free)",
     [](app_config& c, std::string_view v) {
       return parse_number<uint16_t>(v, c.port, 0, 65535);
     }},
    {"--host", "HOST", "address to bind (default 0.0.0.0)",
     [](app_config& c, std::string_view v) {
       c.host = std::string{v};
       return !v.empty();
     }},
    {"--tenants-file", "TENANTS_FILE",
     "JSON Lines file of tenants (default ./tenants.jsonl)",
     [](app_config& c, std::string_view v) {
       c.tenants_file = std::string{v};
       return !v.empty();
     }},
    {"--io-threads", "IO_THREADS", "HTTP I/O threads (default: one per core)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.io_threads, 1, 256);
     }},
    {"--actor-threads", "ACTOR_THREADS",
     "actor scheduler threads (default: one per two cores)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.actor_threads, 1, 256);
     }},
    {"--ask-timeout-ms", "ASK_TIMEOUT_MS",
     "longest wait for an actor before 504 (default 2000)",
     [](app_config& c, std::string_view v) {
       int64_t ms = 0;
       if (!parse_number<int64_t>(v, ms, 1, 3'600'000))
         return false;
       c.ask_timeout = std::chrono::milliseconds{ms};
       return true;
     }},
    {"--data-dir", "DATA_DIR",
     "directory of the database, created if missing (default ./data)",
     [](app_config& c, std::string_view v) {
       c.data_dir = std::string{v};
       return !v.empty();
     }},
    {"", "ADMIN_TOKEN",
     "bearer token of the admin API, 16-256 visible ASCII characters "
     "(default: generated into DATA_DIR/admin-token)",
     [](app_config& c, std::string_view v) {
       if (v.size() < 16 || v.size() > 256)
         return false;
       for (char ch : v)
         if (ch <= 0x20 || ch >= 0x7f)
           return false;
       c.admin_token = std::string{v};
       return true;
     }},
    {"--session-ttl", "SESSION_TTL",
     "seconds a session may go unused before it expires (default 86400)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.session_ttl, ten_years);
     }},
    {"--tenant-idle", "TENANT_IDLE",
     "seconds without traffic before a tenant actor is passivated "
     "(default 900)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.tenant_idle, ten_years);
     }},
    {"--body-limit", "BODY_LIMIT",
     "largest request body in bytes, 413 beyond (default 65536)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.body_limit, 1, 64u << 20);
     }},
    {"--json-max-depth", "JSON_MAX_DEPTH",
     "deepest JSON nesting in a request body, 422 beyond (default 64)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.json_max_depth, 1, 1000);
     }},
    {"--json-max-fields", "JSON_MAX_FIELDS",
     "most object members plus array elements in a request body, 422 "
     "beyond (default 256)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.json_max_fields, 1, 1u << 20);
     }},
    {"--max-message-chars", "MAX_MESSAGE_CHARS",
     "longest /chat message in characters (code points), 422 beyond "
     "(default 4096)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.max_message_chars, 1, 64u << 20);
     }},
    {"--tenant-max-in-flight", "TENANT_MAX_IN_FLIGHT",
     "requests one tenant may have waiting for its actor before more get "
     "503 (default 256)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.tenant_max_in_flight, 1,
                                        1u << 20);
     }},
    {"--log-requests", "LOG_REQUESTS",
     "which requests get a log line: none, errors (status >= 500) or all "
     "(default errors)",
     [](app_config& c, std::string_view v) {
       c.log_requests = std::string{v};
       return v == "none" || v == "errors" || v == "all";
     }},
    {"--header-limit", "HEADER_LIMIT",
     "largest request header section in bytes, 431 beyond (default 16384)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.header_limit, 1024, 1u << 20);
     }},
    {"--idle-timeout-s", "IDLE_TIMEOUT_S",
     "seconds a connection may wait for the first byte of a request "
     "(default 30)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.idle_timeout, 3600);
     }},
    {"--header-timeout-s", "HEADER_TIMEOUT_S",
     "seconds from a request's first byte to the end of its header "
     "(default 10)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.header_timeout, 3600);
     }},
    {"--body-timeout-s", "BODY_TIMEOUT_S",
     "seconds from the end of a request's header to the end of its body "
     "(default 30)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.body_timeout, 3600);
     }},
    {"--write-timeout-s", "WRITE_TIMEOUT_S",
     "seconds to write one answer (default 30)",
     [](app_config& c, std::string_view v) {
       return parse_seconds(v, c.write_timeout, 3600);
     }},
    {"--max-connections", "MAX_CONNECTIONS",
     "connections open at once; more get 503 (default 10000)",
     [](app_config& c, std::string_view v) {
       return parse_number<std::size_t>(v, c.max_connections, 1, 1'000'000);
     }},
  };
  return all;
}

std::string help_text() {
  std::string text = "Usage: tenantd [flags]\n\n"
                     "Multi-tenant chat service. Each setting may be given as "
                     "an environment\nvariable or as a flag (the flag wins).\n\n";
  // Wide enough for "  --header-timeout-s / HEADER_TIMEOUT_S".
  constexpr std::size_t help_column = 42;
  auto line = [&](std::string left, std::string_view help) {
    left.resize(std::max(left.size() + 2, help_column), ' ');
    text += left + std::string{help} + "\n";
  };
  for (auto& s : settings())
    line(s.flag.empty() ? "  " + std::string{s.env}
                        : "  " + std::string{s.flag} + " / " + s.env,
         s.help);
  line("  --help", "show this text");
  return text;
}

} // namespace

config_result parse_config(int argc, const char* const* argv,
                           const std::function<const char*(const char*)>& getenv) {
  app_config cfg;
  for (auto& s : settings())
    if (auto v = getenv(s.env); v != nullptr && !s.store(cfg, v))
      // Never echo a secret, even a malformed one.
      return config_error_message{
        "invalid value for " + std::string{s.env}
        + (s.flag.empty() ? " (see --help)" : ": '" + std::string{v} + "'")};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return config_help{help_text()};
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    const setting* match = nullptr;
    for (auto& s : settings())
      if (!s.flag.empty() && s.flag == name)
        match = &s;
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
  }
  return cfg;
}

} // namespace tenantd
