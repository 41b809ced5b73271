// The OpenAI-compatible face, POST /v1/chat/completions and GET /v1/models,
// against fake upstreams on loopback: a tenant's API key picks the tenant,
// the model picks the route, and answers, chunks and errors are in
// OpenAI's shapes.

#include <string>
#include <thread>
#include <vector>

#include "tests/support/credentials.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fake_upstream.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

class HttpOpenAi : public http_test {
protected:
  HttpOpenAi() : primary{echo_completion}, spare{echo_completion} {
    json::object ai{{"provider", "openai"}, {"base_url", primary.base_url()},
                    {"model", "gpt-test"}, {"api_key", "sk-hooli-upstream"},
                    {"system_prompt", "You are {name}'s assistant."},
                    {"max_tokens", 64},
                    {"fallbacks", json::array{{{"base_url", spare.base_url()},
                                               {"model", "spare-model"}}}}};
    json::object cfg{{"id", "hooli"}, {"name", "Hooli"}, {"welcome", "Hi"},
                     {"ai", std::move(ai)}};
    auto res = admin_post("/tenants", json::serialize(cfg));
    EXPECT_EQ(res.result(), status::created) << res.body();
    key = add_key(client, "hooli", "sdk").key;
  }

  http_response complete(const std::string& body,
                         const http_headers& who) {
    return request_as(client, who, verb::post, "/v1/chat/completions", body);
  }
  http_response complete(const std::string& body) {
    return complete(body, bearer(key));
  }

  static std::string ask(std::string_view model, std::string_view message,
                         json::object extra = {}) {
    json::object body{{"model", model},
                      {"messages", json::array{{{"role", "user"},
                                                {"content", message}}}}};
    for (auto& member : extra)
      body[member.key()] = member.value();
    return json::serialize(body);
  }

  // The error of an answer in OpenAI's shape.
  static json::value error_of(const http_response& res) {
    return json::parse(res.body()).at("error");
  }

  fake_upstream primary;
  fake_upstream spare;
  std::string key;
};

TEST_F(HttpOpenAi, AKeyAnswersACompletionInOpenAisShape) {
  auto res = complete(json::serialize(json::object{
    {"model", "gpt-test"},
    {"messages", json::array{{{"role", "developer"}, {"content", "Be brief."}},
                             {{"role", "user"},
                              {"content", json::array{{{"type", "text"},
                                                       {"text", "hi"}}}}}}},
    {"max_tokens", 20}, {"temperature", 0}}));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  auto body = json::parse(res.body()).as_object();
  EXPECT_EQ(body.at("object"), "chat.completion");
  EXPECT_EQ(std::string{body.at("id").as_string()}.rfind("chatcmpl-", 0), 0u);
  EXPECT_TRUE(body.at("created").is_int64());
  EXPECT_EQ(body.at("model"), "gpt-test");
  EXPECT_EQ(body.at("choices"),
            json::parse(R"([{"index":0,"message":{"role":"assistant",)"
                        R"("content":"[3] hi","refusal":null},"logprobs":null,)"
                        R"("finish_reason":"stop"}])"));
  EXPECT_EQ(body.at("usage"),
            json::parse(R"({"prompt_tokens":10,"completion_tokens":3,"total_tokens":13})"));
  // The tenant's system prompt comes first, then the client's turns; the
  // client's max_tokens (under the tenant's) and temperature go on.
  auto seen = primary.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "Bearer sk-hooli-upstream");
  EXPECT_EQ(json::parse(seen[0].body),
            json::parse(R"({"model":"gpt-test","messages":[)"
                        R"({"role":"system","content":"You are Hooli's assistant."},)"
                        R"({"role":"system","content":"Be brief."},)"
                        R"({"role":"user","content":"hi"}],)"
                        R"("max_tokens":20,"stream":false,"temperature":0.0})"));
  // Nothing of it is kept: a completion has no session.
  ASSERT_EQ(complete(ask("gpt-test", "again")).result(), status::ok);
  EXPECT_EQ(json::parse(primary.requests()[1].body).at("messages").as_array().size(),
            2u);
}

TEST_F(HttpOpenAi, TheModelPicksAmongTheTenantsRoutes) {
  auto models = request_as(client, bearer(key), verb::get, "/v1/models");
  ASSERT_EQ(models.result(), status::ok) << models.body();
  EXPECT_EQ(json::parse(models.body()),
            json::parse(R"({"object":"list","data":[)"
                        R"({"id":"gpt-test","object":"model","created":0,"owned_by":"hooli"},)"
                        R"({"id":"spare-model","object":"model","created":0,"owned_by":"hooli"}]})"));
  auto spared = complete(ask("spare-model", "hi"));
  ASSERT_EQ(spared.result(), status::ok) << spared.body();
  EXPECT_EQ(json::parse(spared.body()).at("model"), "spare-model");
  EXPECT_EQ(spare.requests().size(), 1u);
  EXPECT_EQ(primary.requests().size(), 0u);
  auto unknown = complete(ask("gpt-5", "hi"));
  EXPECT_EQ(unknown.result(), status::not_found);
  EXPECT_EQ(error_of(unknown),
            json::parse(R"({"message":"Unknown model","type":"invalid_request_error",)"
                        R"("param":null,"code":"model_not_found"})"));
  // A mock tenant serves its own model, with its reply.
  auto acme_key = add_key(client, "acme", "sdk").key;
  auto mock = complete(ask("mock-1", " hello "), bearer(acme_key));
  ASSERT_EQ(mock.result(), status::ok) << mock.body();
  auto choice = json::parse(mock.body()).at("choices").at(0);
  EXPECT_EQ(choice.at("message").at("content"), json::value(seed_reply("acme", "hello")));
  EXPECT_EQ(json::parse(mock.body()).at("model"), "mock-1");
}

TEST_F(HttpOpenAi, RefusalsAreInOpenAisErrorShape) {
  auto expect_error = [](const http_response& res, status code,
                         std::string_view type, json::value param,
                         json::value err) {
    EXPECT_EQ(res.result(), code) << res.body();
    auto e = json::parse(res.body()).at("error").as_object();
    EXPECT_TRUE(e.at("message").is_string()) << res.body();
    EXPECT_EQ(e.at("type"), json::value(type)) << res.body();
    EXPECT_EQ(e.at("param"), param) << res.body();
    EXPECT_EQ(e.at("code"), err) << res.body();
  };
  auto body = ask("gpt-test", "hi");
  expect_error(complete(body, anonymous), status::unauthorized,
               "invalid_request_error", nullptr, "invalid_api_key");
  expect_error(complete(body, bearer(made_up_key("hooli"))),
               status::unauthorized, "invalid_request_error", nullptr,
               "invalid_api_key");
  // The platform admin's token names no tenant.
  expect_error(complete(body, admin_auth), status::unauthorized,
               "invalid_request_error", nullptr, "invalid_api_key");
  // Another tenant's key opens nothing here: the tenant is the key's, and
  // the route's model is not that tenant's.
  auto acme_key = add_key(client, "acme", "sdk").key;
  expect_error(complete(body, bearer(acme_key)), status::not_found,
               "invalid_request_error", nullptr, "model_not_found");
  EXPECT_EQ(primary.requests().size(), 0u);
  expect_error(complete(R"({"model":"gpt-test"})"), status::bad_request,
               "invalid_request_error", "messages", nullptr);
  expect_error(complete("[1]"), status::bad_request, "invalid_request_error",
               nullptr, nullptr);
  expect_error(complete(ask("gpt-test", "hi", {{"max_tokens", 0}})),
               status::bad_request, "invalid_request_error", "max_tokens",
               nullptr);
  expect_error(complete(ask("gpt-test", "hi", {{"temperature", 3}})),
               status::bad_request, "invalid_request_error", "temperature",
               nullptr);
  expect_error(complete(R"({"model":"gpt-test","messages":[{"role":"tool","content":"x"}]})"),
               status::bad_request, "invalid_request_error",
               "messages.[0].role", nullptr);
  expect_error(complete(R"({"model":"gpt-test","messages":[{"role":"system","content":"x"}]})"),
               status::bad_request, "invalid_request_error", "messages",
               nullptr);
  auto wrong_method = request_as(client, bearer(key), verb::get,
                                 "/v1/chat/completions");
  expect_error(wrong_method, status::method_not_allowed,
               "invalid_request_error", nullptr, nullptr);
  EXPECT_EQ(primary.requests().size(), 0u);
}

TEST_F(HttpOpenAi, ARateLimitedKeyGetsOpenAis429) {
  ASSERT_EQ(admin_patch("/tenants/hooli", R"({"limits":{"chat_per_10s":1}})").result(),
            status::ok);
  ASSERT_EQ(complete(ask("gpt-test", "one")).result(), status::ok);
  auto limited = complete(ask("gpt-test", "two"));
  EXPECT_EQ(limited.result(), status::too_many_requests);
  EXPECT_FALSE(header(limited, "Retry-After").empty());
  EXPECT_EQ(error_of(limited).at("code"), "rate_limit_exceeded");
  EXPECT_EQ(error_of(limited).at("type"), "requests");
}

// data: {chunk} events as OpenAI streams them: the role, the pieces, the
// finish_reason, the usage if asked for, then data: [DONE].
TEST_F(HttpOpenAi, AStreamedCompletionIsOpenAisChunks) {
  fake_upstream streaming{[](const fake_upstream::seen&) {
    completion_stream_script script;
    script.pieces = {"Hel", "lo"};
    return completion_stream(script);
  }};
  ASSERT_EQ(admin_patch("/tenants/hooli",
                        R"({"ai":{"base_url":")" + streaming.base_url() + R"("}})")
              .result(),
            status::ok);
  auto res = complete(ask("gpt-test", "hi",
                          {{"stream", true},
                           {"stream_options", {{"include_usage", true}}}}));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "text/event-stream");
  auto events = parse_events(res.body());
  ASSERT_EQ(events.size(), 6u) << res.body();
  std::vector<json::value> chunks;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].name, "message");
    chunks.push_back(json::parse(events[i].data));
    EXPECT_EQ(chunks.back().at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunks.back().at("id"), chunks.front().at("id"));
    EXPECT_EQ(chunks.back().at("model"), "gpt-test");
  }
  EXPECT_EQ(events.back().data, "[DONE]");
  EXPECT_EQ(chunks[0].at("choices").at(0).at("delta"),
            json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(chunks[1].at("choices").at(0).at("delta").at("content"), "Hel");
  EXPECT_EQ(chunks[2].at("choices").at(0).at("delta").at("content"), "lo");
  EXPECT_EQ(chunks[3].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(chunks[4].at("choices").as_array().empty());
  EXPECT_EQ(chunks[4].at("usage"),
            json::parse(R"({"prompt_tokens":10,"completion_tokens":2,"total_tokens":12})"));
  // Without include_usage, no usage chunk.
  auto plain = complete(ask("gpt-test", "hi", {{"stream", true}}));
  EXPECT_EQ(parse_events(plain.body()).size(), 5u) << plain.body();
}

// A tenant at its in-flight cap is refused as the other refusals are, in
// OpenAI's shape (with Retry-After), while its held call goes on.
TEST(HttpOpenAiIsolation, PastItsInFlightCapATenantGetsOpenAis503) {
  fake_upstream hanging{[](const fake_upstream::seen& s) {
    auto r = echo_completion(s);
    r.delay = 1000ms * time_scale();
    return r;
  }};
  auto tenant = bulk_tenant("slow");
  tenant.ai.provider = ai_provider::openai;
  tenant.ai.upstream = {hanging.base_url(), "m", ""};
  auto cfg = test_config();
  cfg.tenant_max_in_flight = 1;
  running_service server{{tenant}, cfg};
  http_client setup{server.port()};
  auto key = add_key(setup, "slow", "sdk").key;
  auto body = R"({"model":"m","messages":[{"role":"user","content":"wait"}]})";
  status held = status::unknown;
  std::thread first{[&] {
    http_client c{server.port()};
    held = request_as(c, bearer(key), verb::post, "/v1/chat/completions", body)
             .result();
  }};
  ASSERT_TRUE(eventually([&] { return hanging.requests().size() == 1; }));
  auto busy = request_as(setup, bearer(key), verb::post, "/v1/chat/completions",
                         body);
  first.join();
  EXPECT_EQ(held, status::ok);
  EXPECT_EQ(busy.result(), status::service_unavailable);
  EXPECT_EQ(header(busy, "Retry-After"), "1");
  EXPECT_EQ(json::parse(busy.body()),
            json::parse(R"({"error":{"message":"Too many requests in flight for this tenant",)"
                        R"("type":"server_error","param":null,"code":null}})"));
}

} // namespace
