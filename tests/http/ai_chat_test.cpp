// POST /chat in a tenant whose AI route is an upstream (ai.provider
// "openai"), against fake upstreams on loopback: the seed's answer with the
// upstream's reply, what the upstream received (system prompt, history,
// parameters, key), fallbacks, and the statuses of upstream failures.

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/eventually.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

// The completion most tests answer with.
constexpr auto echo = echo_completion;

fake_upstream::reply status_only(unsigned code, std::string headers = {},
                                 const std::string& error_code = "x") {
  return {http_answer(code,
                      R"({"error":{"message":"no","type":"x","code":")"
                        + error_code + R"("}})",
                      std::move(headers))};
}

class HttpAiChat : public http_test {
protected:
  // Creates tenant "hooli" routed to `base_url` (and `fallbacks`).
  void create_ai_tenant(const std::string& base_url,
                        json::array fallbacks = {},
                        json::object extra = {}) {
    json::object ai{{"provider", "openai"}, {"base_url", base_url},
                    {"model", "gpt-test"}, {"api_key", "sk-hooli-upstream"},
                    {"system_prompt", "You are {name}'s assistant."},
                    {"temperature", 0.5}, {"max_tokens", 64},
                    {"timeout_ms", 2000 * time_scale()},
                    {"connect_timeout_ms", 1000 * time_scale()},
                    {"fallbacks", std::move(fallbacks)}};
    for (auto& member : extra)
      ai[member.key()] = member.value();
    json::object cfg{{"id", "hooli"}, {"name", "Hooli"},
                     {"welcome", "Hi"}, {"ai", std::move(ai)}};
    auto res = admin_post("/tenants", json::serialize(cfg));
    ASSERT_EQ(res.result(), status::created) << res.body();
  }
};

TEST_F(HttpAiChat, TheUpstreamAnswersInTheSeedsShape) {
  fake_upstream fake{echo};
  create_ai_tenant(fake.base_url());
  auto sid = open_session("hooli");
  auto res = chat("hooli", sid, "  hello there  ");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(), R"({"tenant_id":"hooli","session_id":")" + sid
                          + R"(","reply":"[2] hello there",)"
                            R"("model":"served-model","mock":false})");
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].authorization, "Bearer sk-hooli-upstream");
  EXPECT_EQ(json::parse(seen[0].body),
            json::parse(R"({"model":"gpt-test","messages":[)"
                        R"({"role":"system","content":"You are Hooli's assistant."},)"
                        R"({"role":"user","content":"hello there"}],)"
                        R"("max_tokens":64,"stream":false,"temperature":0.5})"));
  // The mock tenants are untouched.
  auto acme = open_session("acme");
  EXPECT_EQ(json::parse(chat("acme", acme, "x").body()).at("mock"), true);
}

TEST_F(HttpAiChat, ASessionKeepsItsConversationWithinTheHistoryBound) {
  fake_upstream fake{echo};
  create_ai_tenant(fake.base_url(), {}, {{"history", {{"turns", 2}}}});
  auto sid = open_session("hooli");
  auto other = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, "one").result(), status::ok);
  ASSERT_EQ(chat("hooli", sid, "two").result(), status::ok);
  ASSERT_EQ(chat("hooli", other, "elsewhere").result(), status::ok);
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 3u);
  auto second = json::parse(seen[1].body).at("messages");
  EXPECT_EQ(second, json::parse(R"([)"
                                R"({"role":"system","content":"You are Hooli's assistant."},)"
                                R"({"role":"user","content":"one"},)"
                                R"({"role":"assistant","content":"[2] one"},)"
                                R"({"role":"user","content":"two"}])"));
  // Another session of the tenant has a history of its own.
  EXPECT_EQ(json::parse(seen[2].body).at("messages").as_array().size(), 2u);
  // Two turns at most: the oldest go first.
  ASSERT_EQ(chat("hooli", sid, "three").result(), status::ok);
  auto third = json::parse(fake.requests()[3].body).at("messages").as_array();
  ASSERT_EQ(third.size(), 4u);
  EXPECT_EQ(third[1].at("content"), "two");
  EXPECT_EQ(third[2].at("content"), "[4] two");
}

TEST_F(HttpAiChat, AFailingRouteFallsBackToTheNext) {
  fake_upstream broken{[](const fake_upstream::seen&) {
    return status_only(500, "retry-after-ms: 1\r\n");
  }};
  fake_upstream spare{echo};
  create_ai_tenant(broken.base_url(),
                   json::array{{{"base_url", spare.base_url()},
                                {"model", "spare-model"},
                                {"api_key", "sk-spare"}}});
  auto sid = open_session("hooli");
  auto res = chat("hooli", sid, "hi");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("reply"), "[2] hi");
  ASSERT_EQ(spare.requests().size(), 1u);
  EXPECT_EQ(spare.requests()[0].authorization, "Bearer sk-spare");
  EXPECT_EQ(json::parse(spare.requests()[0].body).at("model"), "spare-model");
  // Tried three times (two retries) before the fallback.
  EXPECT_EQ(broken.requests().size(), 3u);
}

// As the OpenAI SDKs retry: a 429 or 5xx is tried again after what
// retry-after-ms asks, twice at most; an exhausted quota is not.
TEST_F(HttpAiChat, RetriesHonourRetryAfterButNeverAnExhaustedQuota) {
  std::atomic<int> calls{0};
  fake_upstream flaky{[&](const fake_upstream::seen& s) {
    auto n = json::parse(s.body).at("messages").as_array().back()
               .at("content").as_string();
    if (n == "quota")
      return status_only(429, "retry-after-ms: 1\r\n", "insufficient_quota");
    if (++calls <= 2)
      return status_only(calls == 1 ? 429 : 503, "retry-after-ms: 30\r\n");
    return echo(s);
  }};
  create_ai_tenant(flaky.base_url());
  auto sid = open_session("hooli");
  auto started = std::chrono::steady_clock::now();
  auto res = chat("hooli", sid, "hi");
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(flaky.requests().size(), 3u);
  EXPECT_GE(took, 60ms); // both waits
  auto quota = chat("hooli", sid, "quota");
  EXPECT_EQ(quota.result(), status::too_many_requests);
  EXPECT_EQ(flaky.requests().size(), 4u);
  // Retry-After in seconds is honoured too (0: at once).
  calls = 0;
  fake_upstream seconds{[&](const fake_upstream::seen& s) {
    if (++calls <= 2)
      return status_only(500, "Retry-After: 0\r\n");
    return echo(s);
  }};
  ASSERT_EQ(admin_patch("/tenants/hooli",
                        R"({"ai":{"base_url":")" + seconds.base_url() + R"("}})")
              .result(),
            status::ok);
  started = std::chrono::steady_clock::now();
  ASSERT_EQ(chat("hooli", sid, "again").result(), status::ok);
  EXPECT_EQ(seconds.requests().size(), 3u);
  // Backing off instead would wait at least 0.375 + 0.75 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms * time_scale());
}

TEST_F(HttpAiChat, UpstreamFailuresHaveTheirOwnStatuses) {
  fake_upstream errors{[](const fake_upstream::seen& s) {
    auto n = json::parse(s.body).at("messages").as_array().back()
               .at("content").as_string();
    if (n == "429") // retried twice 5 ms apart, then passed on
      return status_only(429, "Retry-After: 9\r\nretry-after-ms: 5\r\n");
    if (n == "401")
      return status_only(401);
    if (n == "slow")
      return fake_upstream::reply{http_answer(200, "{}"),
                                  2500ms * time_scale()};
    if (n == "huge") // over MAX_REPLY_BYTES (128 KiB)
      return fake_upstream::reply{http_answer(
        200, R"({"choices":[{"message":{"content":")"
               + std::string(140000, 'x') + R"("}}]})")};
    return fake_upstream::reply{http_answer(200, R"({"choices":[]})")};
  }};
  create_ai_tenant(errors.base_url());
  auto sid = open_session("hooli");
  auto limited = chat("hooli", sid, "429");
  EXPECT_EQ(limited.result(), status::too_many_requests);
  EXPECT_EQ(header(limited, "Retry-After"), "9");
  EXPECT_EQ(limited.body(), R"({"detail":"Upstream rate limit exceeded"})");
  auto refused = chat("hooli", sid, "401");
  EXPECT_EQ(refused.result(), status::bad_gateway);
  EXPECT_EQ(refused.body(), R"j({"detail":"Upstream error (status 401)"})j");
  auto empty = chat("hooli", sid, "nothing");
  EXPECT_EQ(empty.result(), status::bad_gateway);
  EXPECT_EQ(empty.body(), R"({"detail":"Upstream answered without a reply"})");
  auto huge = chat("hooli", sid, "huge");
  EXPECT_EQ(huge.result(), status::bad_gateway);
  EXPECT_EQ(huge.body(),
            R"({"detail":"Upstream reply exceeds MAX_REPLY_BYTES"})");
  auto slow = chat("hooli", sid, "slow");
  EXPECT_EQ(slow.result(), status::gateway_timeout);
  EXPECT_EQ(slow.body(), R"({"detail":"Upstream timed out"})");
  for (auto* res : {&limited, &refused, &empty, &slow})
    EXPECT_EQ(res->body().find("sk-hooli"), std::string::npos);
}

TEST_F(HttpAiChat, AnUpstreamNobodyListensOnIs502) {
  std::string url;
  {
    fake_upstream gone{echo};
    url = gone.base_url();
  }
  create_ai_tenant(url);
  auto res = chat("hooli", open_session("hooli"), "hi");
  EXPECT_EQ(res.result(), status::bad_gateway);
  EXPECT_EQ(res.body(), R"({"detail":"Upstream unreachable"})");
}

// /metrics counts each tenant's upstream chats by the configured model of
// the route: answers, tokens, errors by kind, retries, durations and the
// breakers' states.
TEST_F(HttpAiChat, UpstreamChatsAreMeasuredPerTenantAndModel) {
  fake_upstream fake{[](const fake_upstream::seen& s) {
    auto n = json::parse(s.body).at("messages").as_array().back()
               .at("content").as_string();
    if (n == "fail")
      return status_only(500, "retry-after-ms: 1\r\n");
    return echo(s);
  }};
  create_ai_tenant(fake.base_url());
  auto sid = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, "hi").result(), status::ok);
  ASSERT_EQ(chat("hooli", sid, "fail").result(), status::bad_gateway);
  // The report of a call reaches the tenant's actor as its answer goes:
  // the scrape may come first.
  std::string scrape;
  eventually([&] {
    scrape = client.get("/metrics").body();
    return scrape.find(R"(tenantd_upstream_duration_seconds_count{model="gpt-test",tenant="hooli"} 2)")
           != std::string::npos;
  });
  for (auto line :
       {R"(tenantd_upstream_calls_total{model="gpt-test",tenant="hooli"} 1)",
        R"(tenantd_upstream_tokens_total{model="gpt-test",tenant="hooli",kind="prompt"} 10)",
        R"(tenantd_upstream_tokens_total{model="gpt-test",tenant="hooli",kind="completion"} 3)",
        R"(tenantd_upstream_errors_total{model="gpt-test",tenant="hooli",kind="status"} 1)",
        R"(tenantd_upstream_retries_total{model="gpt-test",tenant="hooli"} 2)",
        R"(tenantd_upstream_duration_seconds_count{model="gpt-test",tenant="hooli"} 2)",
        R"(tenantd_upstream_duration_seconds_bucket{model="gpt-test",tenant="hooli",le="+Inf"} 2)",
        R"(tenantd_upstream_first_token_seconds_count{model="gpt-test",tenant="hooli"} 1)",
        R"(tenantd_upstream_breaker_state{model="gpt-test",tenant="hooli",route="0"} 0)",
        "# TYPE tenantd_upstream_duration_seconds histogram"})
    EXPECT_NE(scrape.find(line), std::string::npos) << line;
  // A mock tenant has none.
  EXPECT_EQ(scrape.find(R"(tenantd_upstream_calls_total{model="gpt-test",tenant="acme")"),
            std::string::npos);
}

// limits.tokens_per_minute holds under concurrency: each chat reserves
// its prompt's bound and max_tokens before the call, so of many chats sent
// at once only as many as fit are admitted, and the tokens the upstream
// reports used never exceed the limit.
TEST_F(HttpAiChat, ParallelChatsNeverExceedTheTokenBudget) {
  std::atomic<int> answered{0};
  fake_upstream metered{[&](const fake_upstream::seen&) {
    ++answered;
    // 114 tokens used, of the 116 each chat reserves (52 for its prompt
    // "You are Hooli's assistant." and "hi", 64 of max_tokens).
    return fake_upstream::reply{
      http_answer(200, R"({"model":"m","choices":[{"message":{"content":"ok"}}],)"
                       R"("usage":{"prompt_tokens":50,"completion_tokens":64}})"),
      200ms * time_scale()};
  }};
  create_ai_tenant(metered.base_url());
  ASSERT_EQ(admin_patch("/tenants/hooli",
                        R"({"limits":{"tokens_per_minute":600}})").result(),
            status::ok);
  auto sid = open_session("hooli");
  std::atomic<int> ok{0};
  std::atomic<int> limited{0};
  std::vector<std::thread> callers;
  std::vector<std::string> policies(16);
  for (int i = 0; i < 16; ++i)
    callers.emplace_back([&, i] {
      http_client c{server.port()};
      auto res = c.post("/chat", chat_json("hooli", sid, "hi"));
      if (res.result() == status::ok)
        ++ok;
      if (res.result() == status::too_many_requests) {
        ++limited;
        policies[i] = header(res, "RateLimit-Policy") + " | "
                      + header(res, "Retry-After") + " | " + res.body();
      }
    });
  for (auto& t : callers)
    t.join();
  // 600 / 116: five at once; once they settle at 114 each, 30 are left.
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(limited.load(), 11);
  EXPECT_EQ(answered.load(), 5);
  for (auto& p : policies)
    if (!p.empty()) {
      EXPECT_EQ(p.substr(0, p.find(" | ")), "\"tokens\";q=600;w=60");
      EXPECT_NE(p.find(R"({"detail":"Rate limit exceeded: 600 tokens per 60 s"})"),
                std::string::npos) << p;
    }
  auto after = chat("hooli", sid, "hi");
  EXPECT_EQ(after.result(), status::too_many_requests);
  EXPECT_EQ(header(after, "RateLimit"), "\"tokens\";r=30;t="
                                          + header(after, "Retry-After"));
  // A chat that could never fit is told so, not to wait.
  ASSERT_EQ(admin_patch("/tenants/hooli",
                        R"({"limits":{"tokens_per_minute":100}})").result(),
            status::ok);
  auto never = chat("hooli", sid, "hi");
  EXPECT_EQ(never.result(), status::payload_too_large);
  EXPECT_EQ(never.body(), R"({"detail":"Chat needs more tokens than limits.tokens_per_minute allows"})");
}

// ai.breaker: a route that keeps failing is skipped for the cooldown
// (the fallback answers without waiting on it); with every route open the
// chat is refused 503 at once; after the cooldown one trial goes, and its
// success closes the breaker.
TEST_F(HttpAiChat, TheBreakerSkipsAFailingRouteAndOpensAt503) {
  std::atomic<bool> primary_up{false};
  std::atomic<bool> spare_up{true};
  auto flaky = [](std::atomic<bool>& up) {
    return [&up](const fake_upstream::seen& s) {
      return up ? echo(s) : status_only(500, "retry-after-ms: 1\r\n");
    };
  };
  fake_upstream primary{flaky(primary_up)};
  fake_upstream spare{flaky(spare_up)};
  auto cooldown = 600 * time_scale();
  create_ai_tenant(primary.base_url(),
                   json::array{{{"base_url", spare.base_url()},
                                {"model", "spare-model"}}},
                   {{"breaker", {{"failures", 1}, {"cooldown_ms", cooldown}}}});
  auto sid = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, "one").result(), status::ok);
  EXPECT_EQ(primary.requests().size(), 3u); // tried, retried twice, failed
  // Open: the spare answers at once, the primary is not called.
  ASSERT_EQ(chat("hooli", sid, "two").result(), status::ok);
  EXPECT_EQ(primary.requests().size(), 3u);
  EXPECT_EQ(spare.requests().size(), 2u);
  // The spare fails too (502) and opens: nothing is left to call.
  spare_up = false;
  EXPECT_EQ(chat("hooli", sid, "three").result(), status::bad_gateway);
  auto open = chat("hooli", sid, "four");
  EXPECT_EQ(open.result(), status::service_unavailable);
  EXPECT_EQ(open.body(), R"({"detail":"Upstream circuit open"})");
  // Whole seconds until the cooldown ends, rounded up.
  auto wait = std::stoi(header(open, "Retry-After"));
  EXPECT_GE(wait, 1);
  EXPECT_LE(wait, (cooldown + 999) / 1000);
  EXPECT_EQ(primary.requests().size(), 3u);
  EXPECT_EQ(spare.requests().size(), 5u);
  // After the cooldown: the primary's trial answers and closes it.
  primary_up = true;
  std::this_thread::sleep_for(std::chrono::milliseconds{cooldown} + 50ms);
  ASSERT_EQ(chat("hooli", sid, "five").result(), status::ok);
  ASSERT_EQ(chat("hooli", sid, "six").result(), status::ok);
  EXPECT_EQ(primary.requests().size(), 5u);
  EXPECT_EQ(spare.requests().size(), 5u);
}

// UPSTREAM_CA_FILE: an https:// upstream whose certificate a private CA
// signed is trusted when that CA is configured, and refused otherwise.
TEST(HttpAiTls, APrivateCaIsTrustedOnlyWhenConfigured) {
  test_certificate cert{"IP:127.0.0.1"};
  fake_upstream fake{echo, &cert};
  auto tenant = bulk_tenant("secure");
  tenant.ai.provider = ai_provider::openai;
  tenant.ai.upstream = {fake.base_url(), "m", ""};
  ASSERT_EQ(tenant.ai.upstream.base_url.rfind("https://", 0), 0u);
  auto chat_once = [&](const std::string& ca_file) {
    auto cfg = test_config();
    cfg.upstream_ca_file = ca_file;
    running_service server{{tenant}, cfg};
    http_client c{server.port()};
    return c.post("/chat", chat_json("secure", test::open_session(c, "secure"),
                                     "hi"));
  };
  auto trusted = chat_once(cert.cert());
  EXPECT_EQ(trusted.result(), status::ok) << trusted.body();
  auto untrusted = chat_once("");
  EXPECT_EQ(untrusted.result(), status::bad_gateway);
  EXPECT_EQ(untrusted.body(), R"({"detail":"Upstream unreachable"})");
}

// A hanging upstream holds at most its own tenant's in-flight cap: past it
// that tenant gets 503, while another tenant's chats are answered at once.
TEST(HttpAiIsolation, AHangingUpstreamHarmsOnlyItsTenant) {
  fake_upstream hanging{[](const fake_upstream::seen& s) {
    auto r = echo(s);
    r.delay = 1500ms * time_scale();
    return r;
  }};
  fake_upstream quick{echo};
  auto routed = [](std::string id, const fake_upstream& to) {
    auto t = bulk_tenant(std::move(id));
    t.ai.provider = ai_provider::openai;
    t.ai.upstream = {to.base_url(), "m", ""};
    t.ai.timeout_ms = 5000 * time_scale();
    return t;
  };
  auto cfg = test_config();
  cfg.tenant_max_in_flight = 2;
  running_service server{{routed("slow", hanging), routed("calm", quick)}, cfg};
  http_client setup{server.port()};
  auto slow_sid = test::open_session(setup, "slow");
  auto calm_sid = test::open_session(setup, "calm");
  std::atomic<int> ok{0};
  std::atomic<int> busy{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i)
    callers.emplace_back([&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds{100 * i}
                                  * time_scale());
      http_client c{server.port()};
      auto res = c.post("/chat", chat_json("slow", slow_sid, "wait"));
      if (res.result() == status::ok)
        ++ok;
      else if (res.result() == status::service_unavailable)
        ++busy;
    });
  // All three are in flight or refused by now.
  std::this_thread::sleep_for(500ms * time_scale());
  auto started = std::chrono::steady_clock::now();
  auto calm = setup.post("/chat", chat_json("calm", calm_sid, "now"));
  auto took = std::chrono::steady_clock::now() - started;
  for (auto& t : callers)
    t.join();
  ASSERT_EQ(calm.result(), status::ok) << calm.body();
  // Well before the hanging upstream answers anybody.
  EXPECT_LT(took, 1000ms * time_scale());
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(busy.load(), 1);
  EXPECT_EQ(hanging.requests().size(), 2u);
}

// -- streaming ----------------------------------------------------------------

// A streamed chat's events: the deltas, then a done event or an error.
struct streamed_chat {
  http_response res;
  std::vector<std::string> deltas;
  std::optional<json::value> done;
  std::optional<json::value> error;
};

streamed_chat stream_chat(http_client& c, std::string_view tenant,
                          std::string_view session, std::string_view message) {
  streamed_chat out;
  out.res = c.post("/chat", stream_chat_json(tenant, session, message));
  for (auto& e : parse_events(out.res.body())) {
    auto data = json::parse(e.data);
    if (e.name == "delta")
      out.deltas.emplace_back(data.at("delta").as_string());
    else if (e.name == "done")
      out.done = data;
    else if (e.name == "error")
      out.error = data;
  }
  return out;
}

completion_stream_script pieces(std::vector<std::string> parts) {
  completion_stream_script s;
  s.pieces = std::move(parts);
  return s;
}

TEST_F(HttpAiChat, AStreamedChatSendsDeltasThenTheReplyWithItsUsage) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    auto script = pieces({"Hel", "lo", " there"});
    script.gap = 20ms;
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url());
  auto sid = open_session("hooli");
  auto chat = stream_chat(client, "hooli", sid, "hi");
  ASSERT_EQ(chat.res.result(), status::ok) << chat.res.body();
  EXPECT_EQ(header(chat.res, "Content-Type"), "text/event-stream");
  EXPECT_EQ(header(chat.res, "Cache-Control"), "no-cache");
  EXPECT_TRUE(chat.res.chunked());
  EXPECT_EQ(chat.deltas, (std::vector<std::string>{"Hel", "lo", " there"}));
  ASSERT_TRUE(chat.done) << chat.res.body();
  EXPECT_EQ(*chat.done,
            json::parse(R"({"tenant_id":"hooli","session_id":")" + sid
                        + R"(","reply":"Hello there","model":"served-model",)"
                          R"("mock":false,"usage":{"prompt_tokens":10,)"
                          R"("completion_tokens":3,"estimated":false}})"));
  EXPECT_FALSE(chat.error);
  // Asked of the upstream as a stream, with its usage at the end.
  auto asked = json::parse(fake.requests().at(0).body);
  EXPECT_EQ(asked.at("stream"), true);
  EXPECT_EQ(asked.at("stream_options"), json::parse(R"({"include_usage":true})"));
  // The exchange is in the session's history like any other.
  auto history = json::parse(
    client.get("/sessions/" + sid + "/messages?tenant_id=hooli").body());
  auto& turns = history.at("messages").as_array();
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[1].at("content"), "Hello there");
  EXPECT_EQ(turns[1].at("tokens"), 3);
  // Accept: text/event-stream asks for the same, without "stream".
  auto accepting = client.request(verb::post, "/chat", chat_json("hooli", sid, "again"),
                                  "application/json",
                                  {{"Accept", "text/event-stream"}});
  EXPECT_EQ(header(accepting, "Content-Type"), "text/event-stream");
  EXPECT_EQ(parse_events(accepting.body()).size(), 4u);
  // (The second call's report may reach the tenant after its answer.)
  EXPECT_TRUE(eventually([&] {
    return client.get("/metrics").body().find(
             R"(tenantd_upstream_first_token_seconds_count{model="gpt-test",tenant="hooli"} 2)")
           != std::string::npos;
  }));
}

// A slow first token is waited for (within ai.timeout_ms), and the wait
// is what the first-token histogram measures.
TEST_F(HttpAiChat, ASlowFirstTokenIsWaitedForAndMeasured) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    auto script = pieces({"late", " but here"});
    script.first = 400ms;
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url());
  auto chat = stream_chat(client, "hooli", open_session("hooli"), "hi");
  ASSERT_TRUE(chat.done) << chat.res.body();
  EXPECT_EQ(chat.done->at("reply"), "late but here");
  double first = 0;
  EXPECT_TRUE(eventually([&] {
    auto scrape = client.get("/metrics").body();
    std::string name = R"(tenantd_upstream_first_token_seconds_sum{model="gpt-test",tenant="hooli"} )";
    auto at = scrape.find(name);
    if (at == std::string::npos)
      return false;
    first = std::stod(scrape.substr(at + name.size()));
    return true;
  }));
  EXPECT_GE(first, 0.35);
}

TEST_F(HttpAiChat, AStreamWithoutUsageIsEstimatedAndSaysSo) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    auto script = pieces({"abcd", "efgh", "ij"});
    script.usage = false;
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url());
  auto sid = open_session("hooli");
  auto chat = stream_chat(client, "hooli", sid, "hi");
  ASSERT_TRUE(chat.done) << chat.res.body();
  // Four bytes a token: "abcdefghij" is 3; the prompt ("You are Hooli's
  // assistant." and "hi", 28 bytes) 7.
  EXPECT_EQ(chat.done->at("usage"),
            json::parse(R"({"prompt_tokens":7,"completion_tokens":3,"estimated":true})"));
  auto history = json::parse(
    client.get("/sessions/" + sid + "/messages?tenant_id=hooli").body());
  EXPECT_EQ(history.at("messages").at(1).at("estimated"), true);
}

TEST_F(HttpAiChat, AStreamThatBreaksOffEndsWithAnErrorEvent) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    auto script = pieces({"Once", " upon"});
    script.truncated = true;
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url());
  auto sid = open_session("hooli");
  auto chat = stream_chat(client, "hooli", sid, "tell me");
  ASSERT_EQ(chat.res.result(), status::ok);
  EXPECT_EQ(chat.deltas, (std::vector<std::string>{"Once", " upon"}));
  EXPECT_FALSE(chat.done);
  ASSERT_TRUE(chat.error) << chat.res.body();
  EXPECT_EQ(*chat.error, json::parse(R"({"detail":"Upstream stream ended early","kind":"truncated"})"));
  // Not retried: its pieces had reached the client.
  EXPECT_EQ(fake.requests().size(), 1u);
  // A broken exchange is not history.
  auto history = json::parse(
    client.get("/sessions/" + sid + "/messages?tenant_id=hooli").body());
  EXPECT_TRUE(history.at("messages").as_array().empty());
  // The connection goes on.
  EXPECT_EQ(client.get("/").result(), status::ok);
}

// Before its first piece reaches the client a streamed chat is retried and
// falls back as a plain one is; if nothing answers, its answer is the plain
// JSON refusal with its status.
TEST_F(HttpAiChat, AStreamFailingBeforeItsFirstPieceFallsBackOrIsAPlainError) {
  std::atomic<bool> spare_up{true};
  fake_upstream broken{[](const fake_upstream::seen&) {
    return status_only(500, "retry-after-ms: 1\r\n");
  }};
  fake_upstream spare{[&](const fake_upstream::seen&) {
    return spare_up ? completion_stream(pieces({"from", " spare"}))
                    : status_only(500, "retry-after-ms: 1\r\n");
  }};
  create_ai_tenant(broken.base_url(),
                   json::array{{{"base_url", spare.base_url()},
                                {"model", "spare-model"}}});
  auto sid = open_session("hooli");
  auto chat = stream_chat(client, "hooli", sid, "hi");
  ASSERT_TRUE(chat.done) << chat.res.body();
  EXPECT_EQ(chat.done->at("reply"), "from spare");
  EXPECT_EQ(broken.requests().size(), 3u);
  spare_up = false;
  auto failed = stream_chat(client, "hooli", sid, "hi");
  EXPECT_EQ(failed.res.result(), status::bad_gateway);
  EXPECT_EQ(header(failed.res, "Content-Type"), "application/json");
  EXPECT_EQ(failed.res.body(), R"j({"detail":"Upstream error (status 500)"})j");
}

// A client that goes in the middle of a stream cancels the upstream call:
// the upstream's connection is closed before it has written everything,
// and the tenant's in-flight place is given back.
TEST_F(HttpAiChat, AClientThatGoesCancelsTheUpstreamCall) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    completion_stream_script script;
    script.pieces.assign(60, "word ");
    script.gap = 25ms;
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url(), {}, {{"max_tokens", 1000}});
  auto sid = open_session("hooli");
  {
    http_client leaving{server.port()};
    leaving.write(wire_bytes(make_request(verb::post, "/chat",
                                          stream_chat_json("hooli", sid, "go"))));
    auto head = leaving.read_header_only();
    ASSERT_EQ(head.result(), status::ok);
    ASSERT_TRUE(eventually([&] { return fake.parts_written() >= 3; }));
  } // closed here
  EXPECT_TRUE(eventually([&] { return fake.cut_off() == 1; }));
  EXPECT_LT(fake.parts_written(), 30u);
  auto scrape = [&] { return client.get("/metrics").body(); };
  EXPECT_TRUE(eventually([&] {
    return scrape().find(R"(tenantd_upstream_errors_total{model="gpt-test",tenant="hooli",kind="cancelled"} 1)")
           != std::string::npos;
  }));
}

// A stream whose reply outgrows MAX_REPLY_BYTES (128 KiB) is ended there.
TEST_F(HttpAiChat, AStreamOverMaxReplyBytesIsEnded) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    return completion_stream(pieces({std::string(70000, 'x'), std::string(70000, 'y')}));
  }};
  create_ai_tenant(fake.base_url(), {}, {{"max_tokens", 100000}});
  auto chat = stream_chat(client, "hooli", open_session("hooli"), "hi");
  ASSERT_EQ(chat.deltas.size(), 1u) << chat.res.body().substr(0, 200);
  ASSERT_TRUE(chat.error);
  EXPECT_EQ(*chat.error, json::parse(R"({"detail":"Upstream reply exceeds MAX_REPLY_BYTES","kind":"bad_answer"})"));
}

// A stream that outgrows its reservation (an upstream that ignores
// max_tokens) is ended with an event that says so.
TEST_F(HttpAiChat, AStreamOutgrowingItsReservationIsEnded) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    completion_stream_script script;
    script.pieces.assign(100, "t");
    return completion_stream(script);
  }};
  create_ai_tenant(fake.base_url()); // max_tokens 64
  auto chat = stream_chat(client, "hooli", open_session("hooli"), "hi");
  EXPECT_EQ(chat.deltas.size(), 64u);
  EXPECT_FALSE(chat.done);
  ASSERT_TRUE(chat.error) << chat.res.body();
  EXPECT_EQ(*chat.error, json::parse(R"({"detail":"Reply exceeds its token reservation","kind":"token_limit"})"));
}

} // namespace
