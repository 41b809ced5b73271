// Unit tests of app/config: settings from the environment, overridden by
// command-line flags.

#include "app/config.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace {

using tenantd::app_config;
using tenantd::config_error_message;
using tenantd::config_help;
using tenantd::config_result;
using tenantd::parse_config;

// A fake environment and argument list for parse_config.
struct invocation {
  std::map<std::string, std::string> env;
  std::vector<std::string> args;

  config_result run() const {
    std::vector<const char*> argv{"tenantd"};
    for (auto& a : args)
      argv.push_back(a.c_str());
    argv.push_back(nullptr);
    auto getenv = [this](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    return parse_config(static_cast<int>(argv.size() - 1), argv.data(), getenv);
  }
};

app_config config_ok(const invocation& inv) {
  auto r = inv.run();
  if (auto* err = std::get_if<config_error_message>(&r)) {
    ADD_FAILURE() << "refused: " << err->text;
    return {};
  }
  if (std::holds_alternative<config_help>(r)) {
    ADD_FAILURE() << "asked for help";
    return {};
  }
  return std::get<app_config>(r);
}

std::string config_error(const invocation& inv) {
  auto r = inv.run();
  if (auto* err = std::get_if<config_error_message>(&r))
    return err->text;
  ADD_FAILURE() << "accepted";
  return {};
}

// -- defaults and environment ------------------------------------------------

TEST(ParseConfig, DefaultsWithoutEnvironmentOrFlags) {
  auto cfg = config_ok({});
  EXPECT_EQ(cfg.host, "0.0.0.0");
  EXPECT_EQ(cfg.port, 8001);
  EXPECT_EQ(cfg.tenants_file, "./tenants.jsonl");
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(cfg.io_threads, cores);
  EXPECT_EQ(cfg.actor_threads, std::max(1u, cores / 2));
  EXPECT_EQ(cfg.ask_timeout, std::chrono::milliseconds{2000});
  EXPECT_EQ(cfg.body_limit, 65536u);
  EXPECT_EQ(cfg.header_limit, 16384u);
  EXPECT_EQ(cfg.idle_timeout, std::chrono::seconds{30});
  EXPECT_EQ(cfg.header_timeout, std::chrono::seconds{10});
  EXPECT_EQ(cfg.body_timeout, std::chrono::seconds{30});
  EXPECT_EQ(cfg.write_timeout, std::chrono::seconds{30});
  EXPECT_EQ(cfg.max_connections, 10000u);
  EXPECT_EQ(cfg.json_max_depth, 64u);
  EXPECT_EQ(cfg.json_max_fields, 256u);
  EXPECT_EQ(cfg.max_message_chars, 4096u);
  EXPECT_EQ(cfg.tenant_max_in_flight, 256u);
  EXPECT_EQ(cfg.log_requests, "errors");
  EXPECT_EQ(cfg.internal_timeout, std::chrono::milliseconds{10000});
  EXPECT_EQ(cfg.log_format, "text");
  EXPECT_EQ(cfg.log_level, "info");
}

TEST(ParseConfig, InternalTimeoutAndLogFormatAndLevel) {
  auto env = config_ok({{{"INTERNAL_TIMEOUT_MS", "250"},
                         {"LOG_FORMAT", "json"},
                         {"LOG_LEVEL", "warning"}},
                        {}});
  EXPECT_EQ(env.internal_timeout, std::chrono::milliseconds{250});
  EXPECT_EQ(env.log_format, "json");
  EXPECT_EQ(env.log_level, "warning");
  auto flags = config_ok({{},
                          {"--internal-timeout-ms=3600000", "--log-format",
                           "text", "--log-level=debug"}});
  EXPECT_EQ(flags.internal_timeout, std::chrono::milliseconds{3600000});
  EXPECT_EQ(flags.log_format, "text");
  EXPECT_EQ(flags.log_level, "debug");
  for (auto [var, value] :
       {std::pair{"INTERNAL_TIMEOUT_MS", "0"},
        {"INTERNAL_TIMEOUT_MS", "3600001"}, {"INTERNAL_TIMEOUT_MS", "1s"},
        {"LOG_FORMAT", "xml"}, {"LOG_FORMAT", ""}, {"LOG_LEVEL", "verbose"},
        {"LOG_LEVEL", "INFO"}})
    EXPECT_EQ(config_error({{{var, value}}, {}}),
              std::string{"invalid value for "} + var + ": '" + value + "'");
}

TEST(ParseConfig, BodyLimitsInFlightCapAndRequestLogging) {
  auto env = config_ok({{{"JSON_MAX_DEPTH", "3"},
                         {"JSON_MAX_FIELDS", "40"},
                         {"MAX_MESSAGE_CHARS", "500"},
                         {"TENANT_MAX_IN_FLIGHT", "9"},
                         {"LOG_REQUESTS", "all"}},
                        {}});
  EXPECT_EQ(env.json_max_depth, 3u);
  EXPECT_EQ(env.json_max_fields, 40u);
  EXPECT_EQ(env.max_message_chars, 500u);
  EXPECT_EQ(env.tenant_max_in_flight, 9u);
  EXPECT_EQ(env.log_requests, "all");
  auto flags = config_ok({{},
                          {"--json-max-depth", "5", "--json-max-fields=6",
                           "--max-message-chars", "7",
                           "--tenant-max-in-flight=8", "--log-requests",
                           "none"}});
  EXPECT_EQ(flags.json_max_depth, 5u);
  EXPECT_EQ(flags.json_max_fields, 6u);
  EXPECT_EQ(flags.max_message_chars, 7u);
  EXPECT_EQ(flags.tenant_max_in_flight, 8u);
  EXPECT_EQ(flags.log_requests, "none");
  for (auto [var, value] :
       {std::pair{"JSON_MAX_DEPTH", "0"}, {"JSON_MAX_DEPTH", "1001"},
        {"JSON_MAX_FIELDS", "0"}, {"JSON_MAX_FIELDS", "x"},
        {"MAX_MESSAGE_CHARS", "0"}, {"MAX_MESSAGE_CHARS", "-4"},
        {"TENANT_MAX_IN_FLIGHT", "0"}, {"TENANT_MAX_IN_FLIGHT", "many"},
        {"LOG_REQUESTS", "some"}, {"LOG_REQUESTS", ""}})
    EXPECT_EQ(config_error({{{var, value}}, {}}),
              std::string{"invalid value for "} + var + ": '" + value + "'");
}

TEST(ParseConfig, EveryEnvironmentVariableIsRead) {
  auto cfg = config_ok({{{"PORT", "8000"},
                         {"HOST", "127.0.0.1"},
                         {"TENANTS_FILE", "/etc/tenantd/tenants.jsonl"},
                         {"IO_THREADS", "3"},
                         {"ACTOR_THREADS", "5"},
                         {"ASK_TIMEOUT_MS", "750"},
                         {"BODY_LIMIT", "1024"},
                         {"HEADER_LIMIT", "2048"},
                         {"IDLE_TIMEOUT_S", "7"},
                         {"HEADER_TIMEOUT_S", "8"},
                         {"BODY_TIMEOUT_S", "9"},
                         {"WRITE_TIMEOUT_S", "11"},
                         {"MAX_CONNECTIONS", "12"}},
                        {}});
  EXPECT_EQ(cfg.port, 8000);
  EXPECT_EQ(cfg.host, "127.0.0.1");
  EXPECT_EQ(cfg.tenants_file, "/etc/tenantd/tenants.jsonl");
  EXPECT_EQ(cfg.io_threads, 3u);
  EXPECT_EQ(cfg.actor_threads, 5u);
  EXPECT_EQ(cfg.ask_timeout, std::chrono::milliseconds{750});
  EXPECT_EQ(cfg.body_limit, 1024u);
  EXPECT_EQ(cfg.header_limit, 2048u);
  EXPECT_EQ(cfg.idle_timeout, std::chrono::seconds{7});
  EXPECT_EQ(cfg.header_timeout, std::chrono::seconds{8});
  EXPECT_EQ(cfg.body_timeout, std::chrono::seconds{9});
  EXPECT_EQ(cfg.write_timeout, std::chrono::seconds{11});
  EXPECT_EQ(cfg.max_connections, 12u);
}

TEST(ParseConfig, UnrelatedEnvironmentVariablesAreIgnored) {
  auto cfg = config_ok({{{"port", "1"}, {"TENANTD_PORT", "2"}, {"PATH", "/bin"}}, {}});
  EXPECT_EQ(cfg.port, 8001);
}

// -- flags ---------------------------------------------------------------------

TEST(ParseConfig, EveryFlagWithASeparateValue) {
  auto cfg = config_ok({{},
                        {"--port", "9000", "--host", "::1", "--tenants-file",
                         "t.jsonl", "--io-threads", "4", "--actor-threads", "6",
                         "--ask-timeout-ms", "100", "--body-limit", "2048",
                         "--header-limit", "4096", "--idle-timeout-s", "3",
                         "--header-timeout-s", "4", "--body-timeout-s", "5",
                         "--write-timeout-s", "6", "--max-connections", "7"}});
  EXPECT_EQ(cfg.port, 9000);
  EXPECT_EQ(cfg.host, "::1");
  EXPECT_EQ(cfg.tenants_file, "t.jsonl");
  EXPECT_EQ(cfg.io_threads, 4u);
  EXPECT_EQ(cfg.actor_threads, 6u);
  EXPECT_EQ(cfg.ask_timeout, std::chrono::milliseconds{100});
  EXPECT_EQ(cfg.body_limit, 2048u);
  EXPECT_EQ(cfg.header_limit, 4096u);
  EXPECT_EQ(cfg.idle_timeout, std::chrono::seconds{3});
  EXPECT_EQ(cfg.header_timeout, std::chrono::seconds{4});
  EXPECT_EQ(cfg.body_timeout, std::chrono::seconds{5});
  EXPECT_EQ(cfg.write_timeout, std::chrono::seconds{6});
  EXPECT_EQ(cfg.max_connections, 7u);
}

TEST(ParseConfig, EveryFlagWithAnEqualsValue) {
  auto cfg = config_ok({{},
                        {"--port=9001", "--host=localhost",
                         "--tenants-file=a=b.jsonl", "--io-threads=2",
                         "--actor-threads=8", "--ask-timeout-ms=3600000",
                         "--body-limit=67108864", "--header-limit=1048576",
                         "--idle-timeout-s=3600", "--header-timeout-s=1",
                         "--body-timeout-s=3600", "--write-timeout-s=1",
                         "--max-connections=1000000"}});
  EXPECT_EQ(cfg.port, 9001);
  EXPECT_EQ(cfg.host, "localhost");
  EXPECT_EQ(cfg.tenants_file, "a=b.jsonl"); // only the first '=' splits
  EXPECT_EQ(cfg.io_threads, 2u);
  EXPECT_EQ(cfg.actor_threads, 8u);
  EXPECT_EQ(cfg.ask_timeout, std::chrono::milliseconds{3600000});
  EXPECT_EQ(cfg.body_limit, 64u << 20);
  EXPECT_EQ(cfg.header_limit, 1u << 20);
  EXPECT_EQ(cfg.idle_timeout, std::chrono::seconds{3600});
  EXPECT_EQ(cfg.header_timeout, std::chrono::seconds{1});
  EXPECT_EQ(cfg.body_timeout, std::chrono::seconds{3600});
  EXPECT_EQ(cfg.write_timeout, std::chrono::seconds{1});
  EXPECT_EQ(cfg.max_connections, 1'000'000u);
}

TEST(ParseConfig, FlagsWinOverEnvironment) {
  auto cfg = config_ok({{{"PORT", "8000"}, {"HOST", "10.0.0.1"}},
                        {"--port", "9000"}});
  EXPECT_EQ(cfg.port, 9000);
  EXPECT_EQ(cfg.host, "10.0.0.1"); // no flag: the environment stays
}

TEST(ParseConfig, LaterFlagWins) {
  EXPECT_EQ(config_ok({{}, {"--port=1", "--port", "2"}}).port, 2);
}

TEST(ParseConfig, PortZeroMeansAnyFreePort) {
  EXPECT_EQ(config_ok({{}, {"--port", "0"}}).port, 0);
  EXPECT_EQ(config_ok({{{"PORT", "65535"}}, {}}).port, 65535);
}

TEST(ParseConfig, ValueMayLookLikeAFlagWhenGivenSeparately) {
  // The next argument is the value, whatever it looks like.
  EXPECT_EQ(config_ok({{}, {"--tenants-file", "--weird-name"}}).tenants_file,
            "--weird-name");
}

// -- help ----------------------------------------------------------------------

TEST(ParseConfig, HelpListsEveryFlagAndVariable) {
  for (auto flag : {"--help", "-h"}) {
    auto r = invocation{{}, {"--port", "1", flag}}.run();
    ASSERT_TRUE(std::holds_alternative<config_help>(r)) << flag;
    auto& text = std::get<config_help>(r).text;
    for (auto word : {"--port", "PORT", "--host", "HOST", "--tenants-file",
                      "TENANTS_FILE", "--io-threads", "IO_THREADS",
                      "--actor-threads", "ACTOR_THREADS", "--ask-timeout-ms",
                      "ASK_TIMEOUT_MS", "--body-limit", "BODY_LIMIT",
                      "--header-limit", "HEADER_LIMIT", "--idle-timeout-s",
                      "IDLE_TIMEOUT_S", "--header-timeout-s",
                      "HEADER_TIMEOUT_S", "--body-timeout-s", "BODY_TIMEOUT_S",
                      "--write-timeout-s", "WRITE_TIMEOUT_S",
                      "--max-connections", "MAX_CONNECTIONS", "--help"})
      EXPECT_NE(text.find(word), std::string::npos) << word;
  }
}

TEST(ParseConfig, HelpWinsOverLaterBadFlags) {
  auto r = invocation{{}, {"--help", "--bogus"}}.run();
  EXPECT_TRUE(std::holds_alternative<config_help>(r));
}

TEST(ParseConfig, HelpAndVersionAlwaysWork) {
  // Whatever else the command line or the environment holds.
  for (auto flag : {"--help", "-h", "--version"}) {
    for (auto inv : {invocation{{{"PORT", "abc"}}, {flag}},
                     invocation{{}, {"--bogus", flag}},
                     invocation{{}, {"--port", "x", flag}},
                     invocation{{{"ADMIN_TOKEN", "short"}}, {flag, "--port"}}}) {
      auto r = inv.run();
      EXPECT_TRUE(std::holds_alternative<config_help>(r)) << flag;
    }
  }
  // A flag's separate value is a value, even one that reads like --help.
  EXPECT_EQ(config_ok({{}, {"--tenants-file", "--help"}}).tenants_file,
            "--help");
}

TEST(ParseConfig, VersionNamesTheBuild) {
  auto r = invocation{{}, {"--version"}}.run();
  ASSERT_TRUE(std::holds_alternative<config_help>(r));
  EXPECT_EQ(std::get<config_help>(r).text,
            std::string{"tenantd "} + tenantd::version + "\n");
  EXPECT_TRUE(std::regex_match(std::string{tenantd::version},
                               std::regex{R"(\d+\.\d+\.\d+)"}));
}

TEST(ParseConfig, HelpShowsEachSettingsValuesAndDefault) {
  auto r = invocation{{}, {"--help"}}.run();
  ASSERT_TRUE(std::holds_alternative<config_help>(r));
  auto& text = std::get<config_help>(r).text;
  for (auto line :
       {"values: 0-65535; default: 8001", "values: 1-256; default: one per core",
        "values: 1-3600000; default: 2000", "values: 1-3600000; default: 10000",
        "values: 1-67108864; default: 65536",
        "values: 1024-1048576; default: 16384",
        "values: 1-315360000; default: 86400", "values: none|errors|all; "
                                               "default: errors",
        "values: text|json; default: text",
        "values: debug|info|warning|error; default: info",
        "values: 16-256 visible ASCII characters; default: generated into "
        "DATA_DIR/admin-token",
        "values: 1-1000000; default: 10000", "--version",
        "--internal-timeout-ms / INTERNAL_TIMEOUT_MS",
        "--log-format / LOG_FORMAT", "--log-level / LOG_LEVEL"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
}

TEST(ParseConfig, HelpTextsStartInOneColumn) {
  auto r = invocation{{}, {"--help"}}.run();
  ASSERT_TRUE(std::holds_alternative<config_help>(r));
  std::istringstream text{std::get<config_help>(r).text};
  std::set<std::size_t> columns;
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("  ", 0) != 0)
      continue; // the usage and the introduction
    // The name ends where a run of two spaces begins.
    auto gap = line.find("  ", 2);
    ASSERT_NE(gap, std::string::npos) << line;
    columns.insert(line.find_first_not_of(' ', gap));
  }
  EXPECT_EQ(columns.size(), 1u) << std::get<config_help>(r).text;
}

// -- errors --------------------------------------------------------------------

TEST(ParseConfig, AdminListenSplitsHostAndPort) {
  EXPECT_FALSE(config_ok({}).admin_listen);
  auto cfg = config_ok({{{"ADMIN_LISTEN", "127.0.0.1:9001"}}, {}});
  EXPECT_TRUE(cfg.admin_listen);
  EXPECT_EQ(cfg.admin_host, "127.0.0.1");
  EXPECT_EQ(cfg.admin_port, 9001);
  auto v6 = config_ok({{}, {"--admin-listen", "[::1]:0"}});
  EXPECT_EQ(v6.admin_host, "::1");
  EXPECT_EQ(v6.admin_port, 0);
  for (auto bad : {"9001", ":9001", "127.0.0.1:", "127.0.0.1:65536", "h:x"})
    EXPECT_NE(config_error({{{"ADMIN_LISTEN", bad}}, {}}), "") << bad;
}

TEST(ParseConfig, TheNewLimitsHaveTheirDefaultsAndSettings) {
  auto cfg = config_ok({});
  EXPECT_EQ(cfg.max_connections_per_address, 256u);
  EXPECT_EQ(cfg.max_unsent_bytes_per_connection, 1u << 20);
  EXPECT_EQ(cfg.max_unsent_bytes, 256u << 20);
  EXPECT_EQ(cfg.max_reply_bytes, 128u * 1024);
  EXPECT_EQ(cfg.max_sessions_per_tenant, 100000u);
  EXPECT_EQ(cfg.tenant_reply_bytes_per_s, 32u << 20);
  EXPECT_EQ(cfg.tenant_history_limit, 100u);
  EXPECT_EQ(cfg.linger_timeout, std::chrono::seconds{5});
  EXPECT_EQ(cfg.linger_bytes, 8u << 20);
  auto set = config_ok({{{"MAX_CONNECTIONS_PER_ADDRESS", "0"},
                         {"MAX_UNSENT_BYTES_PER_CONNECTION", "4096"},
                         {"MAX_UNSENT_BYTES", "65536"},
                         {"MAX_REPLY_BYTES", "2048"},
                         {"MAX_SESSIONS_PER_TENANT", "7"},
                         {"TENANT_REPLY_BYTES_PER_S", "0"},
                         {"TENANT_HISTORY_LIMIT", "0"},
                         {"LINGER_TIMEOUT_S", "2"},
                         {"LINGER_BYTES", "0"}},
                        {}});
  EXPECT_EQ(set.max_connections_per_address, 0u);
  EXPECT_EQ(set.max_unsent_bytes_per_connection, 4096u);
  EXPECT_EQ(set.max_unsent_bytes, 65536u);
  EXPECT_EQ(set.max_reply_bytes, 2048u);
  EXPECT_EQ(set.max_sessions_per_tenant, 7u);
  EXPECT_EQ(set.tenant_reply_bytes_per_s, 0u);
  EXPECT_EQ(set.tenant_history_limit, 0u);
  EXPECT_EQ(set.linger_timeout, std::chrono::seconds{2});
  EXPECT_EQ(set.linger_bytes, 0u);
  for (auto [name, bad] :
       {std::pair{"MAX_UNSENT_BYTES_PER_CONNECTION", "1023"},
        std::pair{"MAX_REPLY_BYTES", "1023"},
        std::pair{"MAX_SESSIONS_PER_TENANT", "0"},
        std::pair{"TENANT_REPLY_BYTES_PER_S", "1073741825"},
        std::pair{"MAX_UNSENT_BYTES", "100"}})
    EXPECT_NE(config_error({{{name, bad}}, {}}), "") << name;
}

TEST(ParseConfigErrors, UnknownFlag) {
  EXPECT_EQ(config_error({{}, {"--bogus"}}), "unknown flag '--bogus' (see --help)");
  EXPECT_EQ(config_error({{}, {"--bogus=1"}}), "unknown flag '--bogus' (see --help)");
  EXPECT_EQ(config_error({{}, {"--PORT", "1"}}), "unknown flag '--PORT' (see --help)");
  EXPECT_EQ(config_error({{}, {"-p", "1"}}), "unknown flag '-p' (see --help)");
  EXPECT_EQ(config_error({{}, {"8001"}}), "unknown flag '8001' (see --help)");
  // IO_TIMEOUT_S gave way to the idle, header, body and write timeouts.
  EXPECT_EQ(config_error({{}, {"--io-timeout-s", "30"}}),
            "unknown flag '--io-timeout-s' (see --help)");
}

TEST(ParseConfigErrors, FlagWithoutValue) {
  EXPECT_EQ(config_error({{}, {"--port"}}), "flag --port needs a value");
  EXPECT_EQ(config_error({{}, {"--host=x", "--tenants-file"}}),
            "flag --tenants-file needs a value");
}

TEST(ParseConfigErrors, InvalidFlagValues) {
  struct {
    const char* flag;
    const char* value;
  } cases[] = {
    {"--port", "65536"},        {"--port", "-1"},
    {"--port", "80x"},          {"--port", ""},
    {"--port", " 80"},          {"--port", "+80"},
    {"--port", "0x50"},         {"--host", ""},
    {"--tenants-file", ""},     {"--io-threads", "0"},
    {"--io-threads", "257"},    {"--actor-threads", "0"},
    {"--actor-threads", "1.5"}, {"--ask-timeout-ms", "0"},
    {"--ask-timeout-ms", "-5"}, {"--ask-timeout-ms", "3600001"},
    {"--body-limit", "0"},      {"--body-limit", "67108865"},
    {"--body-limit", "99999999999999999999999"},
    {"--header-limit", "0"},    {"--header-limit", "1023"},
    {"--header-limit", "1048577"}, {"--header-limit", "-1"},
    {"--header-limit", "16k"},
    {"--idle-timeout-s", "0"},  {"--idle-timeout-s", "-1"},
    {"--idle-timeout-s", "3601"}, {"--idle-timeout-s", "30s"},
    {"--header-timeout-s", "0"}, {"--header-timeout-s", "-10"},
    {"--header-timeout-s", "ten"},
    {"--body-timeout-s", "0"},  {"--body-timeout-s", "-1"},
    {"--body-timeout-s", "1.5"},
    {"--write-timeout-s", "0"}, {"--write-timeout-s", "-1"},
    {"--write-timeout-s", "x"},
    {"--max-connections", "0"}, {"--max-connections", "-1"},
    {"--max-connections", "1000001"}, {"--max-connections", "many"},
  };
  for (auto& c : cases) {
    auto expected = std::string{"invalid value for "} + c.flag + ": '" + c.value + "'";
    EXPECT_EQ(config_error({{}, {c.flag, c.value}}), expected);
    EXPECT_EQ(config_error({{}, {std::string{c.flag} + "=" + c.value}}), expected);
  }
}

TEST(ParseConfigErrors, InvalidEnvironmentValues) {
  struct {
    const char* var;
    const char* value;
  } cases[] = {
    {"PORT", "http"},       {"PORT", "70000"},        {"PORT", ""},
    {"HOST", ""},           {"TENANTS_FILE", ""},     {"IO_THREADS", "0"},
    {"ACTOR_THREADS", "x"}, {"ASK_TIMEOUT_MS", "2s"}, {"BODY_LIMIT", "-1"},
    {"HEADER_LIMIT", "0"},  {"HEADER_LIMIT", "big"},  {"IDLE_TIMEOUT_S", "0"},
    {"IDLE_TIMEOUT_S", "-5"}, {"HEADER_TIMEOUT_S", "0"},
    {"HEADER_TIMEOUT_S", "x"}, {"BODY_TIMEOUT_S", "-1"},
    {"BODY_TIMEOUT_S", "3601"}, {"WRITE_TIMEOUT_S", "0"},
    {"WRITE_TIMEOUT_S", ""}, {"MAX_CONNECTIONS", "0"},
    {"MAX_CONNECTIONS", "-3"}, {"MAX_CONNECTIONS", "lots"},
  };
  for (auto& c : cases)
    EXPECT_EQ(config_error({{{c.var, c.value}}, {}}),
              std::string{"invalid value for "} + c.var + ": '" + c.value + "'");
}

TEST(ParseConfig, AFlagWinsOverAnInvalidEnvironmentValue) {
  // The variable is read only for settings no flag gives.
  EXPECT_EQ(config_ok({{{"PORT", "nope"}}, {"--port", "9000"}}).port, 9000);
  EXPECT_EQ(config_ok({{{"PORT", "abc"}, {"LOG_FORMAT", "xml"}},
                       {"--port=8002", "--log-format", "json"}})
              .log_format,
            "json");
  // Without the flag the same variable is refused.
  EXPECT_EQ(config_error({{{"PORT", "nope"}}, {"--host", "127.0.0.1"}}),
            "invalid value for PORT: 'nope'");
}

TEST(ParseConfigErrors, UnknownFlagAfterValidOnes) {
  EXPECT_EQ(config_error({{}, {"--port", "1", "--tenants", "x"}}),
            "unknown flag '--tenants' (see --help)");
}

} // namespace
