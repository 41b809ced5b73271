// Unit tests of actors/tenant_config: validating one tenant config object,
// reading a tenants file, and the tenant id rule.

#include "core/tenant_config.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using tenantd::config_error;
using tenantd::is_valid_tenant_id;
using tenantd::load_tenants_file;
using tenantd::parse_tenant_config;
using tenantd::tenant_config;

const char* const acme_line
  = R"({"id":"acme","name":"Acme Corp","welcome":"Howdy from Acme!","model":"mock-1","limits":{"chat_per_10s":8}})";
const char* const globex_line
  = R"({"id":"globex","name":"Globex Inc.","welcome":"Welcome from Globex.","model":"mock-2","limits":{"chat_per_10s":4}})";
const char* const initech_line
  = R"({"id":"initech","name":"Initech","welcome":"Initech says hi.","model":"mock-3","limits":{"chat_per_10s":6}})";

// A minimal valid config as a JSON object, to be modified per test.
json::object minimal() {
  return json::object{{"id", "acme"}, {"name", "Acme Corp"},
                      {"welcome", "Howdy"}};
}

tenant_config parse_ok(const json::value& v) {
  auto result = parse_tenant_config(v);
  if (auto* errors = std::get_if<std::vector<config_error>>(&result)) {
    std::string all;
    for (auto& e : *errors)
      all += "[" + e.field + ": " + e.problem + "] ";
    ADD_FAILURE() << "config " << json::serialize(v) << " refused: " << all;
    return {};
  }
  return std::get<tenant_config>(result);
}

std::vector<config_error> parse_errors(const json::value& v) {
  auto result = parse_tenant_config(v);
  if (auto* errors = std::get_if<std::vector<config_error>>(&result))
    return *errors;
  ADD_FAILURE() << "config " << json::serialize(v) << " was accepted";
  return {};
}

std::vector<std::string> fields_of(const std::vector<config_error>& errors) {
  std::vector<std::string> fields;
  for (auto& e : errors)
    fields.push_back(e.field);
  return fields;
}

// Expects exactly one error, on `field`, whose problem contains `problem`.
void expect_single_error(const json::value& v, const std::string& field,
                         const std::string& problem) {
  auto errors = parse_errors(v);
  ASSERT_EQ(errors.size(), 1u) << json::serialize(v);
  EXPECT_EQ(errors[0].field, field) << json::serialize(v);
  EXPECT_NE(errors[0].problem.find(problem), std::string::npos)
    << "problem: '" << errors[0].problem << "', wanted '" << problem << "'";
}

// -- parse_tenant_config: accepted configs -----------------------------------

TEST(ParseTenantConfig, SeedLineIsParsedCompletely) {
  auto cfg = parse_ok(json::parse(acme_line));
  EXPECT_EQ(cfg.id, "acme");
  EXPECT_EQ(cfg.name, "Acme Corp");
  EXPECT_EQ(cfg.welcome, "Howdy from Acme!");
  EXPECT_EQ(cfg.model, "mock-1");
  EXPECT_EQ(cfg.limits.chat_per_10s, 8u);
  EXPECT_EQ(cfg.reply, tenant_config::default_reply);
}

TEST(ParseTenantConfig, OptionalFieldsTakeTheirDefaults) {
  auto cfg = parse_ok(minimal());
  EXPECT_EQ(cfg.model, "mock"); // the seed's tenant.get("model", "mock")
  EXPECT_EQ(cfg.limits.chat_per_10s, 0u);
  EXPECT_EQ(cfg.reply, "{welcome} You said: '{message}'.");
}

TEST(ParseTenantConfig, ReplyTemplateIsKeptAsSource) {
  auto obj = minimal();
  obj["reply"] = "{welcome} [GLOBEX MOCK] Echo: {message|upper}";
  EXPECT_EQ(parse_ok(obj).reply, "{welcome} [GLOBEX MOCK] Echo: {message|upper}");
}

TEST(ParseTenantConfig, EmptyWelcomeIsAllowed) {
  auto obj = minimal();
  obj["welcome"] = "";
  EXPECT_EQ(parse_ok(obj).welcome, "");
}

TEST(ParseTenantConfig, EmptyLimitsObjectMeansUnlimited) {
  auto obj = minimal();
  obj["limits"] = json::object{};
  EXPECT_EQ(parse_ok(obj).limits.chat_per_10s, 0u);
}

TEST(ParseTenantConfig, UnicodeTextFieldsAreKeptVerbatim) {
  auto obj = minimal();
  obj["name"] = "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac";
  obj["welcome"] = "\xf0\x9f\x98\x80 Hi";
  auto cfg = parse_ok(obj);
  EXPECT_EQ(cfg.name, "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(cfg.welcome, "\xf0\x9f\x98\x80 Hi");
}

TEST(ParseTenantConfig, LengthLimitsAreInclusive) {
  auto obj = minimal();
  obj["id"] = std::string(63, 'a');
  obj["name"] = std::string(200, 'n');
  obj["welcome"] = std::string(1000, 'w');
  obj["model"] = std::string(100, 'm');
  obj["reply"] = std::string(4000, 'r');
  auto cfg = parse_ok(obj);
  EXPECT_EQ(cfg.id.size(), 63u);
  EXPECT_EQ(cfg.reply.size(), 4000u);
}

TEST(ParseTenantConfig, ChatLimitBoundsAreInclusive) {
  auto obj = minimal();
  obj["limits"] = json::object{{"chat_per_10s", 1}};
  EXPECT_EQ(parse_ok(obj).limits.chat_per_10s, 1u);
  obj["limits"] = json::object{{"chat_per_10s", 1000000000}};
  EXPECT_EQ(parse_ok(obj).limits.chat_per_10s, 1000000000u);
}

TEST(ParseTenantConfig, MaxSessionsIsALimitOf1To100Million) {
  auto obj = minimal();
  obj["limits"] = json::object{{"max_sessions", 1}};
  EXPECT_EQ(parse_ok(obj).limits.max_sessions, 1u);
  obj["limits"] = json::object{{"max_sessions", 100000000}};
  auto cfg = parse_ok(obj);
  EXPECT_EQ(cfg.limits.max_sessions, 100000000u);
  EXPECT_EQ(to_json(cfg).at("limits").at("max_sessions"), 100000000);
  EXPECT_EQ(to_json(parse_ok(minimal())).count("limits"), 0u);
  for (auto bad : {0, 100000001}) {
    obj["limits"] = json::object{{"max_sessions", bad}};
    ASSERT_EQ(parse_errors(obj).size(), 1u) << bad;
    EXPECT_EQ(parse_errors(obj)[0].field, "limits.max_sessions");
  }
}

TEST(ParseTenantConfig, ReplyBytesPerSIsALimitOf1To1GiB) {
  auto obj = minimal();
  obj["limits"] = json::object{{"reply_bytes_per_s", 1}};
  EXPECT_EQ(parse_ok(obj).limits.reply_bytes_per_s, 1u);
  obj["limits"] = json::object{{"reply_bytes_per_s", 1 << 30}};
  auto cfg = parse_ok(obj);
  EXPECT_EQ(cfg.limits.reply_bytes_per_s, 1u << 30);
  EXPECT_EQ(to_json(cfg).at("limits").at("reply_bytes_per_s"), 1 << 30);
  for (auto bad : {int64_t{0}, (int64_t{1} << 30) + 1}) {
    obj["limits"] = json::object{{"reply_bytes_per_s", bad}};
    ASSERT_EQ(parse_errors(obj).size(), 1u) << bad;
    EXPECT_EQ(parse_errors(obj)[0].field, "limits.reply_bytes_per_s");
  }
}

TEST(ParseTenantConfig, TokensPerMinuteIsALimitOf1To1e9) {
  auto obj = minimal();
  obj["limits"] = json::object{{"tokens_per_minute", 600}};
  auto cfg = parse_ok(obj);
  EXPECT_EQ(cfg.limits.tokens_per_minute, 600u);
  EXPECT_EQ(to_json(cfg).at("limits").at("tokens_per_minute"), 600);
  for (auto bad : {int64_t{0}, int64_t{1'000'000'001}}) {
    obj["limits"] = json::object{{"tokens_per_minute", bad}};
    ASSERT_EQ(parse_errors(obj).size(), 1u) << bad;
    EXPECT_EQ(parse_errors(obj)[0].field, "limits.tokens_per_minute");
  }
}

// -- parse_tenant_config: refused configs ------------------------------------

TEST(ParseTenantConfigErrors, NotAnObject) {
  for (auto text : {"[]", "\"acme\"", "null", "42", "true"}) {
    auto errors = parse_errors(json::parse(text));
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors[0].field, "");
    EXPECT_EQ(errors[0].problem, "must be a JSON object");
  }
}

TEST(ParseTenantConfigErrors, MissingId) {
  auto obj = minimal();
  obj.erase("id");
  expect_single_error(obj, "id", "is required");
}

TEST(ParseTenantConfigErrors, MissingName) {
  auto obj = minimal();
  obj.erase("name");
  expect_single_error(obj, "name", "is required");
}

TEST(ParseTenantConfigErrors, MissingWelcome) {
  auto obj = minimal();
  obj.erase("welcome");
  expect_single_error(obj, "welcome", "is required");
}

TEST(ParseTenantConfigErrors, EmptyObjectReportsEveryRequiredField) {
  auto errors = parse_errors(json::object{});
  EXPECT_EQ(fields_of(errors),
            (std::vector<std::string>{"id", "name", "welcome"}));
}

TEST(ParseTenantConfigErrors, NonStringTextFields) {
  for (auto key : {"id", "name", "welcome", "model", "reply"}) {
    for (auto bad : {"42", "null", "true", "[\"x\"]", "{}", "1.5"}) {
      auto obj = minimal();
      obj[key] = json::parse(bad);
      SCOPED_TRACE(std::string{key} + " = " + bad);
      expect_single_error(obj, key, "must be a string");
    }
  }
}

TEST(ParseTenantConfigErrors, EmptyName) {
  auto obj = minimal();
  obj["name"] = "";
  expect_single_error(obj, "name", "must not be empty");
}

TEST(ParseTenantConfigErrors, TooLongTextFields) {
  struct {
    const char* key;
    std::size_t max;
  } limits[] = {{"welcome", 1000}, {"model", 100}, {"reply", 4000}};
  for (auto& l : limits) {
    auto obj = minimal();
    obj[l.key] = std::string(l.max + 1, 'x');
    SCOPED_TRACE(l.key);
    expect_single_error(obj, l.key,
                        "must be at most " + std::to_string(l.max) + " bytes");
  }
}

// A too long name is one problem: it must not also be reported as empty.
TEST(ParseTenantConfigErrors, TooLongNameIsReportedOnce) {
  auto obj = minimal();
  obj["name"] = std::string(201, 'x');
  expect_single_error(obj, "name", "must be at most 200 bytes");
}

TEST(ParseTenantConfigErrors, TooLongIdIsRefused) {
  auto obj = minimal();
  obj["id"] = std::string(64, 'a');
  expect_single_error(obj, "id", "at most 63");
}

TEST(ParseTenantConfigErrors, BadIds) {
  for (auto id : {"Acme", "ACME", "-acme", "acme_corp", "acme corp", "acme.io",
                  "acm\xc3\xa9", "\xe6\x97\xa5", "acme/1", " acme"}) {
    auto obj = minimal();
    obj["id"] = id;
    SCOPED_TRACE(std::string{"id = "} + id);
    expect_single_error(obj, "id", "lowercase letters, digits or '-'");
  }
}

// The spec: ids are 1 to 63 characters. An empty id must not load as a
// tenant (the seed itself skips rows whose id is falsy).
TEST(ParseTenantConfigErrors, EmptyIdIsRefused) {
  auto obj = minimal();
  obj["id"] = "";
  auto errors = parse_errors(obj);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"id"}));
}

TEST(ParseTenantConfigErrors, UnknownFieldsAreRefused) {
  auto obj = minimal();
  obj["Reply"] = "{message}";
  obj["limit"] = json::object{{"chat_per_10s", 1}};
  auto errors = parse_errors(obj);
  ASSERT_EQ(errors.size(), 2u);
  for (auto& e : errors)
    EXPECT_EQ(e.problem, "is not a known field") << e.field;
  auto fields = fields_of(errors);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"Reply", "limit"}));
}

TEST(ParseTenantConfigErrors, LimitsMustBeAnObject) {
  for (auto bad : {"8", "[8]", "null", "\"8\""}) {
    auto obj = minimal();
    obj["limits"] = json::parse(bad);
    SCOPED_TRACE(bad);
    expect_single_error(obj, "limits", "must be an object");
  }
}

TEST(ParseTenantConfigErrors, UnknownLimit) {
  auto obj = minimal();
  obj["limits"] = json::object{{"chat_per_minute", 5}};
  expect_single_error(obj, "limits.chat_per_minute", "is not a known limit");
}

TEST(ParseTenantConfigErrors, ChatLimitMustBeAnInteger) {
  for (auto bad : {"\"8\"", "8.0", "8.5", "true", "null", "[8]", "{}"}) {
    auto obj = minimal();
    obj["limits"] = json::parse(std::string{R"({"chat_per_10s":)"} + bad + "}");
    SCOPED_TRACE(bad);
    expect_single_error(obj, "limits.chat_per_10s", "must be an integer");
  }
}

TEST(ParseTenantConfigErrors, ChatLimitMustBePositiveAndBounded) {
  for (auto bad : {"0", "-1", "-9223372036854775808", "1000000001",
                   "4294967296", "18446744073709551615"}) {
    auto obj = minimal();
    obj["limits"] = json::parse(std::string{R"({"chat_per_10s":)"} + bad + "}");
    SCOPED_TRACE(bad);
    expect_single_error(obj, "limits.chat_per_10s",
                        "must be between 1 and 1000000000");
  }
}

TEST(ParseTenantConfigErrors, BadReplyTemplateIsReportedUnderReply) {
  auto obj = minimal();
  obj["reply"] = "{welcome} {msg}";
  expect_single_error(obj, "reply", "unknown placeholder '{msg}'");
  obj["reply"] = "{message|shout}";
  expect_single_error(obj, "reply", "unknown filter 'shout'");
  obj["reply"] = "{message";
  expect_single_error(obj, "reply", "unclosed '{'");
  obj["reply"] = "oops }";
  expect_single_error(obj, "reply", "unmatched '}'");
}

TEST(ParseTenantConfigErrors, AllProblemsAreReportedTogether) {
  json::object obj{{"id", "Bad"},
                   {"name", 1},
                   {"model", false},
                   {"reply", "{nope}"},
                   {"limits", json::object{{"chat_per_10s", 0}}},
                   {"extra", 1}};
  auto fields = fields_of(parse_errors(obj));
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"extra", "id",
                                              "limits.chat_per_10s", "model",
                                              "name", "reply", "welcome"}));
}

// -- is_valid_tenant_id ------------------------------------------------------

TEST(IsValidTenantId, AcceptsLowercaseDigitsAndInnerOrTrailingDashes) {
  for (auto id : {"a", "0", "acme", "globex", "initech", "a-b", "a--b", "a-",
                  "0abc", "tenant-42"})
    EXPECT_TRUE(is_valid_tenant_id(id)) << id;
  EXPECT_TRUE(is_valid_tenant_id(std::string(63, 'z')));
}

TEST(IsValidTenantId, RefusesEverythingElse) {
  for (auto id : {"", "-", "-a", "A", "aB", "a_b", "a b", "a.b", "a/b",
                  "\xc3\xa9", "a\n"})
    EXPECT_FALSE(is_valid_tenant_id(id)) << ::testing::PrintToString(id);
  EXPECT_FALSE(is_valid_tenant_id(std::string(64, 'z')));
  EXPECT_FALSE(is_valid_tenant_id(std::string_view{"a\0b", 3}));
}

// -- load_tenants_file -------------------------------------------------------

class LoadTenantsFile : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path()
           / ("tenantd-unit-" + std::to_string(::getpid()) + "-"
              + std::to_string(counter++));
    fs::create_directories(dir_);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes `content` verbatim to a file in the temp dir; returns its path.
  std::string write(const std::string& content,
                    const std::string& name = "tenants.jsonl") {
    auto path = (dir_ / name).string();
    std::ofstream out{path, std::ios::binary};
    out << content;
    return path;
  }

  // The message of the runtime_error that loading `path` throws.
  std::string load_error(const std::string& path) {
    try {
      load_tenants_file(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    ADD_FAILURE() << path << " loaded without error";
    return {};
  }

  fs::path dir_;
};

TEST_F(LoadTenantsFile, LoadsTheSeedTenantsInFileOrder) {
  auto path = write(std::string{acme_line} + "\n" + globex_line + "\n"
                    + initech_line + "\n");
  auto tenants = load_tenants_file(path);
  ASSERT_EQ(tenants.size(), 3u);
  EXPECT_EQ(tenants[0].id, "acme");
  EXPECT_EQ(tenants[1].id, "globex");
  EXPECT_EQ(tenants[2].id, "initech");
  EXPECT_EQ(tenants[1].name, "Globex Inc.");
  EXPECT_EQ(tenants[1].welcome, "Welcome from Globex.");
  EXPECT_EQ(tenants[1].model, "mock-2");
  EXPECT_EQ(tenants[1].limits.chat_per_10s, 4u);
  EXPECT_EQ(tenants[2].limits.chat_per_10s, 6u);
}

TEST_F(LoadTenantsFile, BlankLinesAndCrlfAreAccepted) {
  auto path = write(std::string{"\n  \t\n"} + acme_line + "\r\n\r\n\n"
                    + globex_line + "\r\n   \n");
  auto tenants = load_tenants_file(path);
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0].id, "acme");
  EXPECT_EQ(tenants[1].id, "globex");
}

TEST_F(LoadTenantsFile, LastLineWithoutNewlineIsRead) {
  auto path = write(std::string{acme_line} + "\n" + globex_line);
  EXPECT_EQ(load_tenants_file(path).size(), 2u);
}

TEST_F(LoadTenantsFile, SurroundingWhitespaceOnALineIsAccepted) {
  auto path = write(std::string{"   "} + acme_line + " \t\n");
  ASSERT_EQ(load_tenants_file(path).size(), 1u);
}

TEST_F(LoadTenantsFile, BadConfigNamesFileAndLine) {
  auto path = write(std::string{acme_line} + "\n" + globex_line + "\n"
                    + R"({"id":"Bad","name":"X","welcome":"w"})" + "\n"
                    + initech_line + "\n");
  auto what = load_error(path);
  EXPECT_EQ(what.rfind(path + ":3: ", 0), 0u) << what;
  EXPECT_NE(what.find("id must be 1-63 lowercase letters"), std::string::npos)
    << what;
}

TEST_F(LoadTenantsFile, LineNumbersCountBlankLines) {
  auto path = write(std::string{"\n\n"} + acme_line + "\n\n"
                    + R"({"id":"x","welcome":"w"})" + "\n");
  EXPECT_EQ(load_error(path), path + ":5: name is required");
}

TEST_F(LoadTenantsFile, SeveralProblemsOnALineAreJoined) {
  auto path = write(R"({"id":"ok","name":"","welcome":1,"colour":"red"})"
                    "\n");
  EXPECT_EQ(load_error(path),
            path + ":1: name must not be empty; welcome must be a string; "
                   "colour is not a known field");
}

TEST_F(LoadTenantsFile, NonObjectLineIsReportedWithoutFieldName) {
  auto path = write(std::string{acme_line} + "\n[1,2]\n");
  EXPECT_EQ(load_error(path), path + ":2: must be a JSON object");
}

TEST_F(LoadTenantsFile, InvalidJsonNamesTheLine) {
  auto path = write(std::string{acme_line} + "\n"
                    + R"({"id":"globex","name":"G",)" + "\n");
  auto what = load_error(path);
  EXPECT_EQ(what.rfind(path + ":2: invalid JSON", 0), 0u) << what;
}

TEST_F(LoadTenantsFile, TrailingGarbageAfterTheObjectIsInvalidJson) {
  auto path = write(std::string{acme_line} + " x\n");
  auto what = load_error(path);
  EXPECT_EQ(what.rfind(path + ":1: invalid JSON", 0), 0u) << what;
}

TEST_F(LoadTenantsFile, TwoObjectsOnOneLineAreInvalidJson) {
  auto path = write(std::string{acme_line} + globex_line + "\n");
  auto what = load_error(path);
  EXPECT_EQ(what.rfind(path + ":1: invalid JSON", 0), 0u) << what;
}

TEST_F(LoadTenantsFile, InvalidUtf8IsInvalidJson) {
  auto path = write(std::string{acme_line} + "\n"
                    + "{\"id\":\"x\",\"name\":\"\xff\",\"welcome\":\"w\"}\n");
  auto what = load_error(path);
  EXPECT_EQ(what.rfind(path + ":2: invalid JSON", 0), 0u) << what;
}

TEST_F(LoadTenantsFile, DuplicateIdNamesBothLines) {
  auto path = write(std::string{acme_line} + "\n" + globex_line + "\n\n"
                    + R"({"id":"acme","name":"Other","welcome":"w"})" + "\n");
  EXPECT_EQ(load_error(path),
            path + ":4: duplicate id 'acme' (first on line 1)");
}

TEST_F(LoadTenantsFile, EmptyFileIsRefused) {
  auto path = write("");
  EXPECT_EQ(load_error(path), path + ": no tenants loaded");
}

TEST_F(LoadTenantsFile, WhitespaceOnlyFileIsRefused) {
  auto path = write("\n   \n\t\r\n\n");
  EXPECT_EQ(load_error(path), path + ": no tenants loaded");
}

TEST_F(LoadTenantsFile, NonexistentFileIsRefused) {
  auto path = (dir_ / "does-not-exist.jsonl").string();
  EXPECT_EQ(load_error(path), path + ": cannot open tenants file");
}

TEST_F(LoadTenantsFile, ErrorsAreRuntimeErrors) {
  auto path = write("");
  EXPECT_THROW(load_tenants_file(path), std::runtime_error);
}

} // namespace
