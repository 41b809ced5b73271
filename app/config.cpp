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
    {"--io-timeout-s", "IO_TIMEOUT_S",
     "seconds a connection may stall on a read or write, idle keep-alive "
     "included (default 30)",
     [](app_config& c, std::string_view v) {
       int64_t s = 0;
       if (!parse_number<int64_t>(v, s, 1, 3600))
         return false;
       c.io_timeout = std::chrono::seconds{s};
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
       int64_t s = 0;
       if (!parse_number<int64_t>(v, s, 1, 10 * 365 * 86400))
         return false;
       c.session_ttl = std::chrono::seconds{s};
       return true;
     }},
    {"--tenant-idle", "TENANT_IDLE",
     "seconds without traffic before a tenant actor is passivated "
     "(default 900)",
     [](app_config& c, std::string_view v) {
       int64_t s = 0;
       if (!parse_number<int64_t>(v, s, 1, 10 * 365 * 86400))
         return false;
       c.tenant_idle = std::chrono::seconds{s};
       return true;
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
  };
  return all;
}

std::string help_text() {
  std::string text = "Usage: tenantd [flags]\n\n"
                     "Multi-tenant chat service. Each setting may be given as "
                     "an environment\nvariable or as a flag (the flag wins).\n\n";
  for (auto& s : settings()) {
    std::string left = s.flag.empty() ? "  " + std::string{s.env}
                                      : "  " + std::string{s.flag} + " / "
                                          + s.env;
    left.resize(std::max<std::size_t>(left.size() + 2, 36), ' ');
    text += left + std::string{s.help} + "\n";
  }
  text += "  --help" + std::string(28, ' ') + "show this text\n";
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
