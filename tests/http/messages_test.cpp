// GET and DELETE /sessions/{id}/messages: a session's conversation with
// its tenant's AI upstream, as the chats made it (turns, tokens, model),
// paged, cleared, readable by the session's principal and the tenant's
// admins only, and durable: after a restart the next chat still sends it.

#include <string>

#include "tests/support/credentials.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

std::string messages_of(std::string_view session, std::string_view query) {
  return "/sessions/" + std::string{session} + "/messages?"
         + std::string{query};
}

class HttpMessages : public http_test {
protected:
  HttpMessages() : fake{echo_completion} {
    json::object cfg{{"id", "hooli"}, {"name", "Hooli"}, {"welcome", "Hi"},
                     {"ai", {{"provider", "openai"},
                             {"base_url", fake.base_url()},
                             {"model", "gpt-test"}}}};
    auto res = admin_post("/tenants", json::serialize(cfg));
    EXPECT_EQ(res.result(), status::created) << res.body();
  }

  http_response get(std::string_view target,
                    const http_headers& who = anonymous) {
    return request_as(client, who, verb::get, target);
  }

  fake_upstream fake;
};

TEST_F(HttpMessages, AConversationIsReadInPagesAndCleared) {
  auto sid = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, " one ").result(), status::ok);
  ASSERT_EQ(chat("hooli", sid, "two").result(), status::ok);
  auto all = get(messages_of(sid, "tenant_id=hooli"));
  ASSERT_EQ(all.result(), status::ok) << all.body();
  EXPECT_EQ(header(all, "Cache-Control"), "no-store");
  auto body = json::parse(all.body()).as_object();
  EXPECT_EQ(body.at("session_id"), json::value(sid));
  EXPECT_TRUE(body.at("next").is_null());
  auto& turns = body.at("messages").as_array();
  ASSERT_EQ(turns.size(), 4u);
  EXPECT_EQ(turns[0].at("role"), "user");
  EXPECT_EQ(turns[0].at("content"), "one");
  EXPECT_EQ(turns[0].at("tokens"), 10);
  EXPECT_FALSE(turns[0].as_object().contains("model"));
  EXPECT_EQ(turns[1].at("role"), "assistant");
  EXPECT_EQ(turns[1].at("content"), "[1] one");
  EXPECT_EQ(turns[1].at("tokens"), 3);
  EXPECT_EQ(turns[1].at("estimated"), false);
  EXPECT_EQ(turns[1].at("model"), "served-model");
  EXPECT_EQ(turns[3].at("content"), "[3] two");
  // Pages: three, then the one left.
  auto first = json::parse(get(messages_of(sid, "tenant_id=hooli&limit=3")).body());
  ASSERT_EQ(first.at("messages").as_array().size(), 3u);
  auto next = std::to_string(first.at("next").as_int64());
  auto rest = json::parse(
    get(messages_of(sid, "tenant_id=hooli&limit=3&after=" + next)).body());
  ASSERT_EQ(rest.at("messages").as_array().size(), 1u);
  EXPECT_EQ(rest.at("messages").at(0).at("content"), "[3] two");
  // Cleared: nothing to read, and the next chat sends no history.
  auto cleared = request_as(client, anonymous, verb::delete_,
                            messages_of(sid, "tenant_id=hooli"));
  EXPECT_EQ(cleared.result(), status::no_content);
  EXPECT_TRUE(json::parse(get(messages_of(sid, "tenant_id=hooli")).body())
                .at("messages").as_array().empty());
  ASSERT_EQ(chat("hooli", sid, "three").result(), status::ok);
  auto sent = json::parse(fake.requests().back().body);
  EXPECT_EQ(sent.at("messages").as_array().size(), 1u);
}

TEST_F(HttpMessages, BadQueriesAndOtherTenantsSessionsAreRefused) {
  auto sid = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, "mine").result(), status::ok);
  auto missing = get(messages_of(sid, ""));
  EXPECT_EQ(missing.result(), status::unprocessable_entity);
  EXPECT_NE(missing.body().find(R"("loc":["query","tenant_id"])"),
            std::string::npos) << missing.body();
  EXPECT_EQ(get(messages_of(sid, "tenant_id=hooli&limit=0")).result(),
            status::unprocessable_entity);
  EXPECT_EQ(get(messages_of(sid, "tenant_id=hooli&colour=red")).result(),
            status::unprocessable_entity);
  // Asked of another tenant, the session is not its own.
  auto foreign = get(messages_of(sid, "tenant_id=acme"));
  EXPECT_EQ(foreign.result(), status::forbidden);
  EXPECT_EQ(foreign.body(), R"({"detail":"Session does not belong to tenant"})");
  EXPECT_EQ(get(messages_of("00000000-0000-4000-8000-000000000000",
                            "tenant_id=hooli")).result(),
            status::not_found);
  EXPECT_EQ(get(messages_of("nonsense", "tenant_id=hooli")).result(),
            status::not_found);
}

TEST_F(HttpMessages, OnlyTheSessionsPrincipalAndTheTenantsAdminsReadIt) {
  auto owner = add_key(client, "hooli", "owner");
  auto other = add_key(client, "hooli", "other");
  auto admin = add_key(client, "hooli", "boss", "admin");
  auto acme = add_key(client, "acme", "elsewhere", "admin");
  auto sid = open_session_as(client, bearer(owner.key), "hooli");
  ASSERT_EQ(chat_as(client, bearer(owner.key), "hooli", sid, "secret plans")
              .result(),
            status::ok);
  auto target = messages_of(sid, "tenant_id=hooli");
  EXPECT_EQ(get(target, bearer(owner.key)).result(), status::ok);
  EXPECT_EQ(get(target, bearer(admin.key)).result(), status::ok);
  EXPECT_EQ(get(target, admin_auth).result(), status::ok);
  for (auto& who : {anonymous, bearer(other.key)}) {
    auto refused = get(target, who);
    EXPECT_EQ(refused.result(), status::forbidden);
    EXPECT_EQ(refused.body(),
              R"({"detail":"Session does not belong to principal"})");
    EXPECT_EQ(refused.body().find("secret"), std::string::npos);
  }
  auto foreign = get(target, bearer(acme.key));
  EXPECT_EQ(foreign.result(), status::forbidden);
  EXPECT_EQ(foreign.body(), R"({"detail":"Credential does not belong to tenant"})");
  EXPECT_EQ(request_as(client, bearer(other.key), verb::delete_, target).result(),
            status::forbidden);
  EXPECT_EQ(json::parse(get(target, bearer(owner.key)).body())
              .at("messages").as_array().size(), 2u);
}

// Kept in the store: a restarted service sends the session's turns with
// its next chat, and still lists them.
TEST(HttpMessagesDurability, AConversationOutlivesARestart) {
  fake_upstream fake{echo_completion};
  temp_dir data;
  auto cfg = test_config();
  cfg.data_dir = data.path();
  auto hooli = bulk_tenant("hooli");
  hooli.ai.provider = ai_provider::openai;
  hooli.ai.upstream = {fake.base_url(), "m", ""};
  std::string sid;
  {
    running_service server{{hooli}, cfg};
    http_client c{server.port()};
    sid = test::open_session(c, "hooli");
    ASSERT_EQ(c.post("/chat", chat_json("hooli", sid, "remember me")).result(),
              status::ok);
  }
  running_service server{{hooli}, cfg};
  http_client c{server.port()};
  ASSERT_EQ(c.post("/chat", chat_json("hooli", sid, "who am I")).result(),
            status::ok);
  auto sent = json::parse(fake.requests().back().body).at("messages").as_array();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].at("content"), "remember me");
  EXPECT_EQ(sent[1].at("content"), "[1] remember me");
  auto listed = c.get(messages_of(sid, "tenant_id=hooli"));
  ASSERT_EQ(listed.result(), status::ok) << listed.body();
  EXPECT_EQ(json::parse(listed.body()).at("messages").as_array().size(), 4u);
}

} // namespace
