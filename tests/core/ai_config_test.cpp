// Unit tests of core/ai_config: the "ai" member of a tenant config (its
// validation, its JSON with and without secrets) and base_url parsing.

#include "core/ai_config.hpp"

#include <string>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "core/tenant_config.hpp"

namespace {

namespace json = boost::json;
using namespace tenantd;

const char* const openai_config = R"({
  "id": "acme", "name": "Acme", "welcome": "Hi",
  "ai": {"provider": "openai", "base_url": "https://api.example.com/v1/",
         "model": "gpt-4o-mini", "api_key": "sk-test-123",
         "temperature": 0.5, "max_tokens": 256, "timeout_ms": 20000,
         "connect_timeout_ms": 2000,
         "system_prompt": "You are {name}'s assistant. {welcome}",
         "history": {"turns": 6, "tokens": 900},
         "breaker": {"failures": 3, "cooldown_ms": 5000},
         "fallbacks": [{"base_url": "http://127.0.0.1:8080", "model": "llama",
                        "api_key": "fallback-key"}]}})";

json::object with_ai(json::object ai) {
  return json::object{{"id", "acme"}, {"name", "Acme"}, {"welcome", "Hi"},
                      {"ai", std::move(ai)}};
}

std::vector<config_error> errors_of(const json::value& v) {
  auto parsed = parse_tenant_config(v);
  if (auto* errors = std::get_if<std::vector<config_error>>(&parsed))
    return *errors;
  ADD_FAILURE() << json::serialize(v) << " was accepted";
  return {};
}

// The one problem of `v`, as "field problem".
std::string single_error(const json::value& v) {
  auto errors = errors_of(v);
  if (errors.size() != 1) {
    ADD_FAILURE() << errors.size() << " errors for " << json::serialize(v);
    return {};
  }
  return errors[0].field + " " + errors[0].problem;
}

tenant_config parse_ok(const json::value& v) {
  auto parsed = parse_tenant_config(v);
  if (auto* errors = std::get_if<std::vector<config_error>>(&parsed)) {
    ADD_FAILURE() << errors->front().field << " " << errors->front().problem;
    return {};
  }
  return std::get<tenant_config>(parsed);
}

TEST(AiConfig, AWholeRouteIsRead) {
  auto cfg = parse_ok(json::parse(openai_config));
  auto& ai = cfg.ai;
  EXPECT_EQ(ai.provider, ai_provider::openai);
  EXPECT_EQ(ai.upstream.base_url, "https://api.example.com/v1/");
  EXPECT_EQ(ai.upstream.model, "gpt-4o-mini");
  EXPECT_EQ(ai.upstream.api_key, "sk-test-123");
  EXPECT_EQ(ai.temperature, 0.5);
  EXPECT_EQ(ai.max_tokens, 256u);
  EXPECT_EQ(ai.timeout_ms, 20000u);
  EXPECT_EQ(ai.connect_timeout_ms, 2000u);
  EXPECT_EQ(ai.system_prompt, "You are {name}'s assistant. {welcome}");
  EXPECT_EQ(ai.history.turns, 6u);
  EXPECT_EQ(ai.history.tokens, 900u);
  EXPECT_EQ(ai.breaker.failures, 3u);
  EXPECT_EQ(ai.breaker.cooldown_ms, 5000u);
  ASSERT_EQ(ai.fallbacks.size(), 1u);
  EXPECT_EQ(ai.fallbacks[0].base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(ai.fallbacks[0].model, "llama");
  EXPECT_EQ(ai.fallbacks[0].api_key, "fallback-key");
}

TEST(AiConfig, TheDefaultIsTheMockAndIsNotWrittenOut) {
  auto cfg = parse_ok(json::object{{"id", "acme"}, {"name", "Acme"},
                                   {"welcome", "Hi"}});
  EXPECT_EQ(cfg.ai.provider, ai_provider::mock);
  EXPECT_TRUE(cfg.ai == ai_config{});
  EXPECT_FALSE(to_json(cfg).contains("ai"));
  EXPECT_FALSE(to_json(cfg, secret_fields::included).contains("ai"));
}

TEST(AiConfig, HiddenJsonHasNoKeyButSaysThereIsOne) {
  auto cfg = parse_ok(json::parse(openai_config));
  auto text = json::serialize(to_json(cfg));
  EXPECT_EQ(text.find("sk-test-123"), std::string::npos) << text;
  EXPECT_EQ(text.find("fallback-key"), std::string::npos) << text;
  auto ai = to_json(cfg).at("ai").as_object();
  EXPECT_FALSE(ai.contains("api_key"));
  EXPECT_EQ(ai.at("api_key_set"), json::value(true));
  EXPECT_EQ(ai.at("fallbacks").at(0).at("api_key_set"), json::value(true));
  cfg.ai.upstream.api_key.clear();
  EXPECT_EQ(to_json(cfg).at("ai").at("api_key_set"), json::value(false));
}

TEST(AiConfig, IncludedJsonGivesTheConfigBack) {
  auto cfg = parse_ok(json::parse(openai_config));
  auto back = parse_ok(to_json(cfg, secret_fields::included));
  EXPECT_TRUE(back.ai == cfg.ai);
  EXPECT_EQ(back.ai.upstream.api_key, "sk-test-123");
}

TEST(AiConfig, AnOpenAiRouteNeedsABaseUrlAndAModel) {
  auto errors = errors_of(with_ai({{"provider", "openai"}}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field + " " + errors[0].problem, "ai.base_url is required");
  EXPECT_EQ(errors[1].field + " " + errors[1].problem, "ai.model is required");
  // The mock may keep a route it does not use yet, and it is written out
  // so that it reads back.
  auto partial = parse_ok(with_ai({{"base_url", "http://localhost:11434/v1"}}));
  auto back = parse_ok(to_json(partial, secret_fields::included));
  EXPECT_TRUE(back.ai == partial.ai);
  EXPECT_FALSE(to_json(partial).at("ai").as_object().contains("model"));
}

TEST(AiConfig, EachFieldIsChecked) {
  auto route = [](json::object extra) {
    json::object ai{{"provider", "openai"},
                    {"base_url", "http://localhost:8000/v1"},
                    {"model", "m"}};
    for (auto& member : extra)
      ai[member.key()] = member.value();
    return with_ai(std::move(ai));
  };
  EXPECT_EQ(single_error(route({{"provider", "claude"}})),
            "ai.provider must be \"mock\" or \"openai\"");
  EXPECT_EQ(single_error(route({{"temperature", 2.5}})),
            "ai.temperature must be a number from 0 to 2");
  EXPECT_EQ(single_error(route({{"temperature", "hot"}})),
            "ai.temperature must be a number from 0 to 2");
  EXPECT_EQ(single_error(route({{"max_tokens", 0}})),
            "ai.max_tokens must be between 1 and 1000000");
  EXPECT_EQ(single_error(route({{"timeout_ms", 10}})),
            "ai.timeout_ms must be between 100 and 600000");
  EXPECT_EQ(single_error(route({{"timeout_ms", 1000},
                                {"connect_timeout_ms", 2000}})),
            "ai.connect_timeout_ms must not be longer than ai.timeout_ms");
  EXPECT_EQ(single_error(route({{"model", ""}})),
            "ai.model must be 1-200 visible ASCII characters");
  EXPECT_EQ(single_error(route({{"system_prompt", "Echo {message}"}})),
            "ai.system_prompt cannot use {message}: the message is the "
            "user's turn");
  EXPECT_EQ(single_error(route({{"system_prompt", "{nope}"}})),
            "ai.system_prompt unknown placeholder '{nope}' (known: message, "
            "welcome, name, id, model)");
  EXPECT_EQ(single_error(route({{"history", {{"turns", -1}}}})),
            "ai.history.turns must be between 0 and 1000");
  EXPECT_EQ(single_error(route({{"history", {{"rounds", 1}}}})),
            "ai.history.rounds is not a known field");
  EXPECT_EQ(single_error(route({{"breaker", {{"failures", 1001}}}})),
            "ai.breaker.failures must be between 0 and 1000");
  EXPECT_EQ(single_error(route({{"breaker", {{"cooldown_ms", 99}}}})),
            "ai.breaker.cooldown_ms must be between 100 and 3600000");
  EXPECT_EQ(single_error(route({{"breaker", {{"open", true}}}})),
            "ai.breaker.open is not a known field");
  EXPECT_EQ(single_error(route({{"breaker", 5}})), "ai.breaker must be an object");
  EXPECT_EQ(single_error(route({{"stream", true}})),
            "ai.stream is not a known field");
  EXPECT_EQ(single_error(route({{"api_key_set", true}})),
            "ai.api_key_set is read-only (send api_key to set the key, null "
            "to remove it)");
  EXPECT_EQ(single_error(json::object{{"id", "acme"}, {"name", "A"},
                                      {"welcome", "W"}, {"ai", 3}}),
            "ai must be an object");
}

TEST(AiConfig, AKeyWithSpacesOrLineBreaksIsRefusedWithoutBeingEchoed) {
  for (const char* key : {"sk-abc def", "sk-abc\r\nX-Injected: 1", "sk-é"}) {
    auto errors = errors_of(with_ai({{"api_key", key}}));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "ai.api_key");
    EXPECT_EQ(errors[0].problem.find("sk-abc"), std::string::npos);
  }
}

TEST(AiConfig, FallbacksAreBoundedRoutes) {
  json::array five;
  for (int i = 0; i < 5; ++i)
    five.push_back({{"base_url", "http://h"}, {"model", "m"}});
  EXPECT_EQ(single_error(with_ai({{"fallbacks", five}})),
            "ai.fallbacks must be an array of at most 4 routes");
  EXPECT_EQ(single_error(with_ai(
              {{"fallbacks", json::array{{{"base_url", "http://h"}}}}})),
            "ai.fallbacks.0.model is required");
  EXPECT_EQ(single_error(with_ai({{"fallbacks", json::array{"http://h"}}})),
            "ai.fallbacks.0 must be an object with base_url, model and api_key");
  EXPECT_EQ(single_error(with_ai({{"fallbacks",
                                   json::array{{{"base_url", "http://h"},
                                                {"model", "m"},
                                                {"weight", 2}}}}})),
            "ai.fallbacks.0.weight is not a known field");
}

TEST(HideSecrets, EveryKeyAndAPasswordBecomeHidden) {
  json::value body = json::parse(openai_config);
  body.as_object()["password"] = "hunter2";
  hide_secrets(body);
  auto text = json::serialize(body);
  EXPECT_EQ(text.find("sk-test-123"), std::string::npos);
  EXPECT_EQ(text.find("fallback-key"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(body.at("ai").at("api_key"), json::value("(hidden)"));
  EXPECT_EQ(body.at("ai").at("fallbacks").at(0).at("api_key"),
            json::value("(hidden)"));
}

// A key in a misspelt field, or in a fallback list of the wrong shape,
// would be echoed by its 422 ("is not a known field", "must be an array"):
// hidden too, while what holds no secret stays readable.
TEST(HideSecrets, KeysInUnknownFieldsOrMisshapenFallbacksAreHiddenToo) {
  json::value body = json::parse(R"({"id":"a","name":"n","welcome":"w",
    "ai":{"provider":"openai","model":"m","apiKey":"sk-typo-1",
          "fallbacks":{"api_key":"sk-typo-2"}}})");
  hide_secrets(body);
  auto text = json::serialize(body);
  EXPECT_EQ(text.find("sk-typo"), std::string::npos) << text;
  EXPECT_EQ(body.at("ai").at("model"), json::value("m"));
  EXPECT_EQ(body.at("ai").at("fallbacks"), json::value("(hidden)"));
  body = json::parse(R"({"ai":{"fallbacks":["sk-typo-3",
    {"base_url":"http://h","model":"m","key":"sk-typo-4"}]}})");
  hide_secrets(body);
  text = json::serialize(body);
  EXPECT_EQ(text.find("sk-typo"), std::string::npos) << text;
  EXPECT_EQ(body.at("ai").at("fallbacks").at(1).at("base_url"),
            json::value("http://h"));
}

TEST(ForEachSecret, NamesEachSecretByItsPath) {
  json::value body = json::parse(openai_config);
  std::vector<std::string> paths;
  for_each_secret(body, [&](std::string_view path, json::value&) {
    paths.emplace_back(path);
  });
  EXPECT_EQ(paths, (std::vector<std::string>{"ai.api_key",
                                             "ai.fallbacks.0.api_key"}));
}

TEST(UpstreamUrl, PartsAreRead) {
  auto u = parse_upstream_url("https://api.openai.com/v1/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "api.openai.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/v1");
  u = parse_upstream_url("http://127.0.0.1:11434");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 11434);
  EXPECT_EQ(u->path, "");
  u = parse_upstream_url("http://[::1]:8000/openai/v1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->path, "/openai/v1");
}

TEST(UpstreamUrl, BadOnesSayWhy) {
  auto problem = [](std::string_view url) {
    std::string why;
    EXPECT_FALSE(parse_upstream_url(url, &why)) << url;
    return why;
  };
  EXPECT_EQ(problem("ftp://h/v1"), "must start with http:// or https://");
  EXPECT_EQ(problem("http:///v1"), "must name a host");
  EXPECT_EQ(problem("http://user:pw@h/v1"),
            "must not carry user info (set api_key instead)");
  EXPECT_EQ(problem("http://h/v1?x=1"), "must not have a query or a fragment");
  EXPECT_EQ(problem("http://h:0"), "has a port that is not 1-65535");
  EXPECT_EQ(problem("http://h:70000"), "has a port that is not 1-65535");
  EXPECT_EQ(problem("http://h:"), "has an empty port");
  EXPECT_EQ(problem("http://[::1"), "has an unclosed '[' in its host");
  EXPECT_EQ(problem("http://[::1]8000"), "has a malformed host");
  EXPECT_EQ(problem("http://[::1]:"), "has an empty port");
  EXPECT_EQ(problem("http://h /v1"), "must be visible ASCII characters");
}

} // namespace
