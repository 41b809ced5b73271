// The seed's routes against the running service, as its FastAPI app answers
// them: GET /, POST /session, POST /chat (the demo's replies byte for byte,
// Unicode included), the tenants' rate limits, and tenants kept apart under
// concurrent clients and floods.

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using HttpChat = http_test;
using HttpRateLimit = http_test;
using HttpRoot = http_test;
using HttpSession = http_test;

// -- GET / --------------------------------------------------------------------

TEST_F(HttpRoot, ListsTheSeedTenantsInFileOrder) {
  auto res = client.get("/");
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res.body(), R"({"ok":true,"tenants":["acme","globex","initech"]})");
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
}

TEST_F(HttpRoot, IgnoresTheQueryString) {
  for (auto target : {"/?x=1", "/?", "/?a=b&c=%20d#frag"}) {
    auto res = client.get(target);
    EXPECT_EQ(res.result(), status::ok) << target;
    EXPECT_EQ(res.body(),
              R"({"ok":true,"tenants":["acme","globex","initech"]})")
      << target;
  }
}

// -- POST /session ------------------------------------------------------------

TEST_F(HttpSession, GrantsAUuidV4AndTheTenantFaceInSeedKeyOrder) {
  struct face {
    const char* id;
    const char* name;
    const char* welcome;
  };
  for (auto t : {face{"acme", "Acme Corp", "Howdy from Acme!"},
                 face{"globex", "Globex Inc.", "Welcome from Globex."},
                 face{"initech", "Initech", "Initech says hi."}}) {
    auto res = client.post("/session", session_json(t.id));
    ASSERT_EQ(res.result(), status::ok) << res.body();
    EXPECT_EQ(header(res, "Content-Type"), "application/json");
    auto sid = std::string{
      json::parse(res.body()).at("session_id").as_string()};
    EXPECT_TRUE(is_canonical_uuid_v4(sid)) << sid;
    EXPECT_EQ(res.body(), R"({"session_id":")" + sid + R"(","tenant":{"id":)"
                            + json_quote(t.id) + R"(,"name":)"
                            + json_quote(t.name) + R"(,"welcome":)"
                            + json_quote(t.welcome) + "}}");
  }
}

TEST_F(HttpSession, IdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 60; ++i)
    ids.insert(open_session(i % 2 ? "acme" : "initech"));
  EXPECT_EQ(ids.size(), 60u);
}

TEST_F(HttpSession, UnknownTenantIs404) {
  // Ids are compared exactly, as the seed's dict lookup does.
  for (auto id : {"nope", "", "ACME", " acme", "acme "}) {
    auto res = client.post("/session", session_json(id));
    expect_detail(res, status::not_found, "Unknown tenant_id");
  }
}

// The attack run opened 35k durable sessions a second for one tenant.
TEST(HttpSessionCap, PastItsMaxSessionsATenantGets429AndOthersAreServed) {
  auto capped = acme();
  capped.limits.max_sessions = 3;
  running_service server{{capped, globex()}};
  http_client client{server.port()};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(client.post("/session", session_json("acme")).result(),
              status::ok);
  expect_detail(client.post("/session", session_json("acme")),
                status::too_many_requests, "Too many sessions for this tenant");
  EXPECT_EQ(client.post("/session", session_json("globex")).result(),
            status::ok);
}

TEST(HttpSessionCap, MaxSessionsPerTenantIsTheDefault) {
  auto config = test_config();
  config.max_sessions_per_tenant = 2;
  auto own = globex();
  own.limits.max_sessions = 4; // a tenant's own cap wins
  running_service server{{acme(), own}, config};
  http_client client{server.port()};
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(client.post("/session", session_json("acme")).result(),
              status::ok);
  EXPECT_EQ(client.post("/session", session_json("acme")).result(),
            status::too_many_requests);
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(client.post("/session", session_json("globex")).result(),
              status::ok);
  EXPECT_EQ(client.post("/session", session_json("globex")).result(),
            status::too_many_requests);
}

TEST(HttpClientRateLimit, PastItsLimitAnAddressGets429WithRetryAfter) {
  auto config = test_config();
  config.client_rate_limit = 3;
  running_service server{seed_tenants(), config};
  http_client client{server.port()};
  std::string sid;
  for (int i = 0; i < 3; ++i)
    sid = test::open_session(client, "acme");
  ASSERT_FALSE(sid.empty());
  // /session and /chat share the address's window, whatever the tenant.
  for (auto res : {client.post("/session", session_json("globex")),
                   client.post("/chat", chat_json("acme", sid, "hi"))}) {
    expect_detail(res, status::too_many_requests,
                  "Too many requests from this address");
    auto wait = std::stoi(header(res, "Retry-After"));
    EXPECT_GE(wait, 1);
    EXPECT_LE(wait, 10);
  }
  // Another address has its own window; other routes are not limited.
  http_client other{server.port(), 10s, "127.0.0.2"};
  EXPECT_EQ(other.post("/session", session_json("acme")).result(), status::ok);
  EXPECT_EQ(client.get("/").result(), status::ok);
}

TEST(HttpClientRateLimit, OffByDefault) {
  running_service server{seed_tenants()};
  http_client client{server.port()};
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(client.post("/session", session_json("acme")).result(), status::ok);
}

TEST_F(HttpSession, ParsesEveryJsonContentType) {
  // FastAPI parses the body as JSON without a content type, and for
  // application/json and application/*+json in any case, with parameters.
  for (std::optional<std::string> ct :
       {std::optional<std::string>{},
        std::optional<std::string>{"application/json; charset=utf-8"},
        std::optional<std::string>{"Application/JSON"},
        std::optional<std::string>{"application/vnd.api+json"}}) {
    auto res = client.request(verb::post, "/session", session_json("acme"),
                              ct);
    EXPECT_EQ(res.result(), status::ok)
      << ct.value_or("(none)") << ": " << res.body();
  }
}

TEST_F(HttpSession, IgnoresExtraFieldsAndTheQueryString) {
  auto res = client.post("/session?x=1",
                         R"({"extra":[1,2],"tenant_id":"globex","z":null})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("tenant").at("id"), "globex");
}

// -- POST /chat: replies ------------------------------------------------------

TEST_F(HttpChat, TheSeedDemoRepliesExactly) {
  struct demo {
    const char* tenant;
    const char* message;
    const char* reply;
    const char* model;
  };
  for (auto d :
       {demo{"acme", "hello from acme",
             "Howdy from Acme! [ACME MOCK] You said: 'hello from acme'. "
             "Here's it reversed: 'emca morf olleh'",
             "mock-1"},
        demo{"globex", "hello from globex",
             "Welcome from Globex. [GLOBEX MOCK] Echo: HELLO FROM GLOBEX",
             "mock-2"},
        demo{"initech", "hello from initech",
             "Initech says hi. [INITECH MOCK] Got it. 'hello from initech'. "
             "(pretend-smart summary).",
             "mock-3"}}) {
    auto sid = open_session(d.tenant);
    auto res = chat(d.tenant, sid, d.message);
    ASSERT_EQ(res.result(), status::ok) << res.body();
    EXPECT_EQ(header(res, "Content-Type"), "application/json");
    EXPECT_EQ(res.body(),
              chat_response(d.tenant, sid, json_quote(d.reply), d.model));
  }
}

// A mock tenant asked for a stream answers as an upstream's stream does:
// its reply as one delta, then the done event (no tokens used).
TEST_F(HttpChat, AMockReplyStreamsAsOneDeltaAndTheDoneEvent) {
  auto sid = open_session("acme");
  auto res = client.post("/chat", stream_chat_json("acme", sid, "hi"));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "text/event-stream");
  auto events = parse_events(res.body());
  ASSERT_EQ(events.size(), 2u) << res.body();
  auto reply = seed_reply("acme", "hi");
  EXPECT_EQ(events[0].name, "delta");
  EXPECT_EQ(events[0].data, R"({"delta":)" + json_quote(reply) + "}");
  EXPECT_EQ(events[1].name, "done");
  auto done = chat_response("acme", sid, json_quote(reply), "mock-1");
  done.pop_back();
  EXPECT_EQ(events[1].data,
            done + R"(,"usage":{"prompt_tokens":0,"completion_tokens":0,"estimated":false}})");
  // Refusals stay plain JSON with their status.
  auto foreign = client.post("/chat", stream_chat_json("globex", sid, "hi"));
  EXPECT_EQ(foreign.result(), status::forbidden);
  EXPECT_EQ(header(foreign, "Content-Type"), "application/json");
}

TEST(HttpChatReplyLimit, AReplyOverMaxReplyBytesIsNotSent) {
  // The tenants file is not checked against MAX_REPLY_BYTES (a config
  // stored under other settings is not either): the bound holds at render.
  auto config = test_config();
  config.max_reply_bytes = 1024;
  running_service server{seed_tenants(), config};
  http_client client{server.port()};
  auto sid = test::open_session(client, "acme");
  // acme's reply holds the message twice: 600 characters make 1,200+.
  auto res = client.post("/chat", chat_json("acme", sid, std::string(600, 'm')));
  expect_detail(res, status::internal_server_error,
                "Reply exceeds MAX_REPLY_BYTES");
  // Bounded as sent: 100 control characters render to 200-odd bytes, but
  // are 6 bytes each in JSON (acme's reply holds the message twice).
  res = client.post("/chat", chat_json("acme", sid, std::string(100, '\x01')));
  expect_detail(res, status::internal_server_error,
                "Reply exceeds MAX_REPLY_BYTES");
  // A shorter message is answered as ever.
  res = client.post("/chat", chat_json("acme", sid, "hi"));
  EXPECT_EQ(res.body(), chat_response("acme", sid,
                                      json_quote(seed_reply("acme", "hi")),
                                      "mock-1"));
}

// The attack run's amplifying tenant took 490 MB/s of answers from the
// threads every tenant shares.
TEST(HttpChatReplyBandwidth, PastItsBytesPerSecondATenantGets429) {
  auto config = test_config();
  config.max_reply_bytes = 1024;
  config.tenant_reply_bytes_per_s = 1024; // a burst of 1,024 B, then 1 KiB/s
  auto own = globex(100);
  own.limits.reply_bytes_per_s = 1 << 20; // a tenant's own limit wins
  running_service server{{acme(), own}, config};
  http_client client{server.port()};
  auto acme_sid = test::open_session(client, "acme");
  auto globex_sid = test::open_session(client, "globex");
  // acme's reply holds the message twice: 400 characters make 865 bytes.
  // Of four chats pipelined at once, the first is answered at once, the
  // second held back for 0.67 s, and the others would wait over a second.
  auto message = std::string(400, 'm');
  auto chat = wire_bytes(make_request(boost::beast::http::verb::post, "/chat",
                                      chat_json("acme", acme_sid, message)));
  auto sent = std::chrono::steady_clock::now();
  client.write(chat + chat + chat + chat);
  auto want = chat_response("acme", acme_sid,
                            json_quote(seed_reply("acme", message)), "mock-1");
  for (int i = 0; i < 2; ++i) {
    auto res = client.read_response();
    ASSERT_EQ(res.result(), status::ok) << "chat " << i + 1;
    EXPECT_EQ(res.body(), want);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - sent,
            std::chrono::milliseconds{600});
  for (int i = 2; i < 4; ++i) {
    auto res = client.read_response();
    expect_detail(res, status::too_many_requests,
                  "Reply bandwidth exceeded for this tenant");
    EXPECT_EQ(header(res, "Retry-After"), "1");
  }
  // Another tenant is answered as ever.
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(client.post("/chat", chat_json("globex", globex_sid, message))
                .result(),
              status::ok);
}

TEST(HttpChatReplyBandwidth, AnAnswerIsHeldBackAtMostHalfTheAskTimeout) {
  // ASK_TIMEOUT_MS 1000: held back at most 0.5 s (not a second), so that a
  // held answer never times out. The second of two chats at once, due
  // 0.67 s later, is refused.
  auto config = test_config();
  config.max_reply_bytes = 1024;
  config.tenant_reply_bytes_per_s = 1024;
  config.ask_timeout = std::chrono::milliseconds{1000};
  running_service server{{acme()}, config};
  http_client client{server.port()};
  auto sid = test::open_session(client, "acme");
  auto chat = wire_bytes(make_request(boost::beast::http::verb::post, "/chat",
                                      chat_json("acme", sid,
                                                std::string(400, 'm'))));
  client.write(chat + chat);
  EXPECT_EQ(client.read_response().result(), status::ok);
  expect_detail(client.read_response(), status::too_many_requests,
                "Reply bandwidth exceeded for this tenant");
}

TEST_F(HttpChat, StripsTheMessageLikePython) {
  auto sid = open_session("acme");
  auto res = chat("acme", sid, " \t\n padded\tmiddle \r\n");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(),
            chat_response("acme", sid,
                          json_quote(seed_reply("acme", "padded\tmiddle")),
                          "mock-1"));
}

TEST_F(HttpChat, UnknownTenantIs404EvenWithAnotherTenantsValidSession) {
  auto sid = open_session("acme");
  expect_detail(chat("nope", sid, "hi"), status::not_found,
                "Unknown tenant_id");
  expect_detail(chat("nope", "garbage", "hi"), status::not_found,
                "Unknown tenant_id");
  expect_detail(chat("", "", ""), status::not_found, "Unknown tenant_id");
}

TEST_F(HttpChat, UnknownSessionIs404) {
  auto sid = open_session("acme");
  auto upper = sid;
  std::transform(
    upper.begin(), upper.end(), upper.begin(),
    [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  // A well-formed v4 id never issued, malformed ids, and spellings of a
  // real id that the seed's exact string comparison would not match.
  for (std::string bad : {std::string{"0b5c1a1e-9d4f-4c3b-8a2e-5f6d7c8b9a0f"},
                          std::string{"not-a-uuid"}, std::string{}, upper,
                          " " + sid, sid + " ", "{" + sid + "}"}) {
    expect_detail(chat("acme", bad, "hi"), status::not_found,
                  "Unknown session_id");
  }
}

TEST_F(HttpChat, ASessionOfAnotherTenantIs403) {
  std::map<std::string, std::string> sids;
  for (auto t : {"acme", "globex", "initech"})
    sids[t] = open_session(t);
  for (auto& [owner, sid] : sids)
    for (auto t : {"acme", "globex", "initech"})
      if (t != owner)
        expect_detail(chat(t, sid, "should fail"), status::forbidden,
                      "Session does not belong to tenant");
  // The owner may still use it.
  EXPECT_EQ(chat("acme", sids["acme"], "mine").result(), status::ok);
}

TEST_F(HttpChat, SessionsSurviveAcrossConnections) {
  auto sid = open_session("initech");
  http_client other{server.port()};
  auto res = chat(other, "initech", sid, "from elsewhere");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(),
            chat_response("initech", sid,
                          json_quote(seed_reply("initech", "from elsewhere")),
                          "mock-3"));
}

// Unicode replies, byte for byte as the seed's f-strings produce them
// (computed with Python 3.11; reply_json is json.dumps(reply,
// ensure_ascii=False), which is how FastAPI's JSONResponse renders it).
struct reply_case {
  const char* name;
  const char* tenant;
  const char* message;
  const char* reply;
  const char* reply_json;
};

// clang-format off
const reply_case unicode_cases[] = {
  {"ligatures_and_nbsp", "acme",
   "  Straße ﬁ 😀 ĳ\u00A0",
   "Howdy from Acme! [ACME MOCK] You said: 'Straße ﬁ 😀 ĳ'. Here's it reversed: 'ĳ 😀 ﬁ eßartS'",
   "\"Howdy from Acme! [ACME MOCK] You said: 'Straße ﬁ 😀 ĳ'. Here's it reversed: 'ĳ 😀 ﬁ eßartS'\""},
  {"ligatures_and_nbsp", "globex",
   "  Straße ﬁ 😀 ĳ\u00A0",
   "Welcome from Globex. [GLOBEX MOCK] Echo: STRASSE FI 😀 Ĳ",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: STRASSE FI 😀 Ĳ\""},
  {"ligatures_and_nbsp", "initech",
   "  Straße ﬁ 😀 ĳ\u00A0",
   "Initech says hi. [INITECH MOCK] Got it. 'Straße ﬁ 😀 ĳ'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. 'Straße ﬁ 😀 ĳ'. (pretend-smart summary).\""},
  {"combining_marks", "acme",
   "e\u0301te\u0301 n\u0303o a\u0308\u0304!",
   "Howdy from Acme! [ACME MOCK] You said: 'e\u0301te\u0301 n\u0303o a\u0308\u0304!'. Here's it reversed: '!\u0304\u0308a o\u0303n \u0301et\u0301e'",
   "\"Howdy from Acme! [ACME MOCK] You said: 'e\u0301te\u0301 n\u0303o a\u0308\u0304!'. Here's it reversed: '!\u0304\u0308a o\u0303n \u0301et\u0301e'\""},
  {"combining_marks", "globex",
   "e\u0301te\u0301 n\u0303o a\u0308\u0304!",
   "Welcome from Globex. [GLOBEX MOCK] Echo: E\u0301TE\u0301 N\u0303O A\u0308\u0304!",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: E\u0301TE\u0301 N\u0303O A\u0308\u0304!\""},
  {"combining_marks", "initech",
   "e\u0301te\u0301 n\u0303o a\u0308\u0304!",
   "Initech says hi. [INITECH MOCK] Got it. 'e\u0301te\u0301 n\u0303o a\u0308\u0304!'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. 'e\u0301te\u0301 n\u0303o a\u0308\u0304!'. (pretend-smart summary).\""},
  {"cjk", "acme",
   "你好，世界！東京タワー 한국어",
   "Howdy from Acme! [ACME MOCK] You said: '你好，世界！東京タワー 한국어'. Here's it reversed: '어국한 ーワタ京東！界世，好你'",
   "\"Howdy from Acme! [ACME MOCK] You said: '你好，世界！東京タワー 한국어'. Here's it reversed: '어국한 ーワタ京東！界世，好你'\""},
  {"cjk", "globex",
   "你好，世界！東京タワー 한국어",
   "Welcome from Globex. [GLOBEX MOCK] Echo: 你好，世界！東京タワー 한국어",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: 你好，世界！東京タワー 한국어\""},
  {"cjk", "initech",
   "你好，世界！東京タワー 한국어",
   "Initech says hi. [INITECH MOCK] Got it. '你好，世界！東京タワー 한국어'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. '你好，世界！東京タワー 한국어'. (pretend-smart summary).\""},
  {"rtl", "acme",
   "\u200Fשלום עולם — مرحبا بالعالم\u200F",
   "Howdy from Acme! [ACME MOCK] You said: '\u200Fשלום עולם — مرحبا بالعالم\u200F'. Here's it reversed: '\u200Fملاعلاب ابحرم — םלוע םולש\u200F'",
   "\"Howdy from Acme! [ACME MOCK] You said: '\u200Fשלום עולם — مرحبا بالعالم\u200F'. Here's it reversed: '\u200Fملاعلاب ابحرم — םלוע םולש\u200F'\""},
  {"rtl", "globex",
   "\u200Fשלום עולם — مرحبا بالعالم\u200F",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \u200Fשלום עולם — مرحبا بالعالم\u200F",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: \u200Fשלום עולם — مرحبا بالعالم\u200F\""},
  {"rtl", "initech",
   "\u200Fשלום עולם — مرحبا بالعالم\u200F",
   "Initech says hi. [INITECH MOCK] Got it. '\u200Fשלום עולם — مرحبا بالعالم\u200F'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. '\u200Fשלום עולם — مرحبا بالعالم\u200F'. (pretend-smart summary).\""},
  {"special_casing", "acme",
   "ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ",
   "Howdy from Acme! [ACME MOCK] You said: 'ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ'. Here's it reversed: 'ǅ ΣΑΣ ß ᾳ ﬃ ﬀ ΐ ǰ ŉ'",
   "\"Howdy from Acme! [ACME MOCK] You said: 'ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ'. Here's it reversed: 'ǅ ΣΑΣ ß ᾳ ﬃ ﬀ ΐ ǰ ŉ'\""},
  {"special_casing", "globex",
   "ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ",
   "Welcome from Globex. [GLOBEX MOCK] Echo: ʼN J\u030C Ι\u0308\u0301 FF FFI ΑΙ SS ΣΑΣ Ǆ",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: ʼN J\u030C Ι\u0308\u0301 FF FFI ΑΙ SS ΣΑΣ Ǆ\""},
  {"special_casing", "initech",
   "ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ",
   "Initech says hi. [INITECH MOCK] Got it. 'ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. 'ŉ ǰ ΐ ﬀ ﬃ ᾳ ß ΣΑΣ ǅ'. (pretend-smart summary).\""},
  {"emoji_sequences", "acme",
   "👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3",
   "Howdy from Acme! [ACME MOCK] You said: '👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3'. Here's it reversed: '\u20E3\uFE0F1 🏽👍 🇪🇩 👧\u200D👩\u200D👩'",
   "\"Howdy from Acme! [ACME MOCK] You said: '👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3'. Here's it reversed: '\u20E3\uFE0F1 🏽👍 🇪🇩 👧\u200D👩\u200D👩'\""},
  {"emoji_sequences", "globex",
   "👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3",
   "Welcome from Globex. [GLOBEX MOCK] Echo: 👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: 👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3\""},
  {"emoji_sequences", "initech",
   "👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3",
   "Initech says hi. [INITECH MOCK] Got it. '👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. '👩\u200D👩\u200D👧 🇩🇪 👍🏽 1\uFE0F\u20E3'. (pretend-smart summary).\""},
  {"unicode_whitespace_stripped", "acme",
   "\u3000\u2003\t\n\r\013\014\034\035\036\037\u0085\u2028\u2029 core \u00A0\u1680\u202F\u205F",
   "Howdy from Acme! [ACME MOCK] You said: 'core'. Here's it reversed: 'eroc'",
   "\"Howdy from Acme! [ACME MOCK] You said: 'core'. Here's it reversed: 'eroc'\""},
  {"unicode_whitespace_stripped", "globex",
   "\u3000\u2003\t\n\r\013\014\034\035\036\037\u0085\u2028\u2029 core \u00A0\u1680\u202F\u205F",
   "Welcome from Globex. [GLOBEX MOCK] Echo: CORE",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: CORE\""},
  {"unicode_whitespace_stripped", "initech",
   "\u3000\u2003\t\n\r\013\014\034\035\036\037\u0085\u2028\u2029 core \u00A0\u1680\u202F\u205F",
   "Initech says hi. [INITECH MOCK] Got it. 'core'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. 'core'. (pretend-smart summary).\""},
  {"zero_width_not_stripped", "acme",
   "\u200Bzero width\u200B\uFEFF",
   "Howdy from Acme! [ACME MOCK] You said: '\u200Bzero width\u200B\uFEFF'. Here's it reversed: '\uFEFF\u200Bhtdiw orez\u200B'",
   "\"Howdy from Acme! [ACME MOCK] You said: '\u200Bzero width\u200B\uFEFF'. Here's it reversed: '\uFEFF\u200Bhtdiw orez\u200B'\""},
  {"zero_width_not_stripped", "globex",
   "\u200Bzero width\u200B\uFEFF",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \u200BZERO WIDTH\u200B\uFEFF",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: \u200BZERO WIDTH\u200B\uFEFF\""},
  {"zero_width_not_stripped", "initech",
   "\u200Bzero width\u200B\uFEFF",
   "Initech says hi. [INITECH MOCK] Got it. '\u200Bzero width\u200B\uFEFF'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. '\u200Bzero width\u200B\uFEFF'. (pretend-smart summary).\""},
  {"json_escapes", "acme",
   "quote \" backslash \\ slash / tab\tnl\nctl\001\033\037 del\177 </script> \u2028 end",
   "Howdy from Acme! [ACME MOCK] You said: 'quote \" backslash \\ slash / tab\tnl\nctl\001\033\037 del\177 </script> \u2028 end'. Here's it reversed: 'dne \u2028 >tpircs/< \177led \037\033\001ltc\nln\tbat / hsals \\ hsalskcab \" etouq'",
   "\"Howdy from Acme! [ACME MOCK] You said: 'quote \\\" backslash \\\\ slash / tab\\tnl\\nctl\\u0001\\u001b\\u001f del\177 </script> \u2028 end'. Here's it reversed: 'dne \u2028 >tpircs/< \177led \\u001f\\u001b\\u0001ltc\\nln\\tbat / hsals \\\\ hsalskcab \\\" etouq'\""},
  {"json_escapes", "globex",
   "quote \" backslash \\ slash / tab\tnl\nctl\001\033\037 del\177 </script> \u2028 end",
   "Welcome from Globex. [GLOBEX MOCK] Echo: QUOTE \" BACKSLASH \\ SLASH / TAB\tNL\nCTL\001\033\037 DEL\177 </SCRIPT> \u2028 END",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: QUOTE \\\" BACKSLASH \\\\ SLASH / TAB\\tNL\\nCTL\\u0001\\u001b\\u001f DEL\177 </SCRIPT> \u2028 END\""},
  {"json_escapes", "initech",
   "quote \" backslash \\ slash / tab\tnl\nctl\001\033\037 del\177 </script> \u2028 end",
   "Initech says hi. [INITECH MOCK] Got it. 'quote \" backslash \\ slash / tab\tnl\nctl\001\033\037 del\177 </script> \u2028 end'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. 'quote \\\" backslash \\\\ slash / tab\\tnl\\nctl\\u0001\\u001b\\u001f del\177 </script> \u2028 end'. (pretend-smart summary).\""},
  {"empty_after_strip", "acme",
   "   \t  ",
   "Howdy from Acme! [ACME MOCK] You said: ''. Here's it reversed: ''",
   "\"Howdy from Acme! [ACME MOCK] You said: ''. Here's it reversed: ''\""},
  {"empty_after_strip", "globex",
   "   \t  ",
   "Welcome from Globex. [GLOBEX MOCK] Echo: ",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: \""},
  {"empty_after_strip", "initech",
   "   \t  ",
   "Initech says hi. [INITECH MOCK] Got it. ''. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. ''. (pretend-smart summary).\""},
  {"astral_plane", "acme",
   "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀",
   "Howdy from Acme! [ACME MOCK] You said: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀'. Here's it reversed: '𞤀 𞤢 𐐩𐐨 𝔢𝔡𝔬𝔠𝔦𝔫𝔘'",
   "\"Howdy from Acme! [ACME MOCK] You said: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀'. Here's it reversed: '𞤀 𞤢 𐐩𐐨 𝔢𝔡𝔬𝔠𝔦𝔫𝔘'\""},
  {"astral_plane", "globex",
   "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀",
   "Welcome from Globex. [GLOBEX MOCK] Echo: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐀𐐁 𞤀 𞤀",
   "\"Welcome from Globex. [GLOBEX MOCK] Echo: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐀𐐁 𞤀 𞤀\""},
  {"astral_plane", "initech",
   "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀",
   "Initech says hi. [INITECH MOCK] Got it. '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀'. (pretend-smart summary).",
   "\"Initech says hi. [INITECH MOCK] Got it. '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐨𐐩 𞤢 𞤀'. (pretend-smart summary).\""},
};
// clang-format on

class HttpChatUnicode : public ::testing::TestWithParam<reply_case> {
protected:
  running_service server{seed_tenants()};
  http_client client{server.port()};
};

TEST_P(HttpChatUnicode, ReplyMatchesTheSeedByteForByte) {
  auto& c = GetParam();
  auto grant = client.post("/session", session_json(c.tenant));
  ASSERT_EQ(grant.result(), status::ok) << grant.body();
  auto sid = std::string{
    json::parse(grant.body()).at("session_id").as_string()};
  auto res = client.post("/chat", chat_json(c.tenant, sid, c.message));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body.at("reply").as_string(), c.reply);
  // Raw UTF-8 out, escaped exactly as Python's json.dumps does.
  EXPECT_EQ(res.body(), chat_response(c.tenant, sid, c.reply_json,
                                      seed_models.at(c.tenant)));
}

INSTANTIATE_TEST_SUITE_P(Seed, HttpChatUnicode,
                         ::testing::ValuesIn(unicode_cases),
                         [](const ::testing::TestParamInfo<reply_case>& info) {
                           return std::string{info.param.tenant} + "_"
                                  + info.param.name;
                         });


// -- rate limits
// ---------------------------------------------------------------

struct rate_header {
  unsigned remaining = 0;
  unsigned reset = 0;
};

/// Parses RateLimit: "chat";r=<remaining>;t=<reset>.
std::optional<rate_header> parse_rate_limit(const std::string& value) {
  static const std::regex form{R"re("chat";r=(\d+);t=(\d+))re"};
  std::smatch m;
  if (!std::regex_match(value, m, form))
    return std::nullopt;
  return rate_header{static_cast<unsigned>(std::stoul(m[1])),
                     static_cast<unsigned>(std::stoul(m[2]))};
}

TEST_F(HttpRateLimit, GlobexAdmitsFourChatsPerTenSecondsThen429) {
  // Two sessions: the window is the tenant's, not the session's.
  std::string sids[] = {open_session("globex"), open_session("globex")};
  for (unsigned i = 0; i < 4; ++i) {
    auto res = chat("globex", sids[i % 2], "msg " + std::to_string(i));
    ASSERT_EQ(res.result(), status::ok) << i << ": " << res.body();
    EXPECT_EQ(header(res, "RateLimit-Policy"), R"("chat";q=4;w=10)");
    auto rl = parse_rate_limit(header(res, "RateLimit"));
    ASSERT_TRUE(rl) << header(res, "RateLimit");
    EXPECT_EQ(rl->remaining, 3 - i);
    EXPECT_GE(rl->reset, 1u);
    EXPECT_LE(rl->reset, 10u);
    EXPECT_EQ(header(res, "Retry-After"), "");
  }
  auto refused = chat("globex", sids[1], "one too many");
  EXPECT_EQ(refused.result(), status::too_many_requests) << refused.body();
  EXPECT_EQ(header(refused, "Content-Type"), "application/json");
  auto body = json::parse(refused.body());
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body.as_object().size(), 1u) << refused.body();
  EXPECT_TRUE(body.at("detail").is_string()) << refused.body();
  auto retry = header(refused, "Retry-After");
  ASSERT_TRUE(std::regex_match(retry, std::regex{"[0-9]+"})) << retry;
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 10);
  EXPECT_EQ(header(refused, "RateLimit-Policy"), R"("chat";q=4;w=10)");
  auto rl = parse_rate_limit(header(refused, "RateLimit"));
  ASSERT_TRUE(rl) << header(refused, "RateLimit");
  EXPECT_EQ(rl->remaining, 0u);
  EXPECT_EQ(std::to_string(rl->reset), retry);
  // Still refused on the other session.
  EXPECT_EQ(chat("globex", sids[0], "again").result(),
            status::too_many_requests);
}

TEST_F(HttpRateLimit, OtherTenantsAreUnaffected) {
  auto globex = open_session("globex");
  for (int i = 0; i < 5; ++i)
    chat("globex", globex, "fill");
  ASSERT_EQ(chat("globex", globex, "full").result(), status::too_many_requests);
  auto acme = open_session("acme");
  for (unsigned i = 0; i < 8; ++i) {
    auto res = chat("acme", acme, "fine");
    ASSERT_EQ(res.result(), status::ok) << i << ": " << res.body();
    EXPECT_EQ(header(res, "RateLimit-Policy"), R"("chat";q=8;w=10)");
    auto rl = parse_rate_limit(header(res, "RateLimit"));
    ASSERT_TRUE(rl);
    EXPECT_EQ(rl->remaining, 7 - i);
  }
  EXPECT_EQ(chat("acme", acme, "ninth").result(), status::too_many_requests);
  auto initech = open_session("initech");
  auto res = chat("initech", initech, "fine");
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(header(res, "RateLimit-Policy"), R"("chat";q=6;w=10)");
}

TEST_F(HttpRateLimit, TenantAndSessionChecksComeFirst) {
  auto globex = open_session("globex");
  auto acme = open_session("acme");
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(chat("globex", globex, "fill").result(), status::ok);
  ASSERT_EQ(chat("globex", globex, "full").result(), status::too_many_requests);
  expect_detail(chat("globex", "0b5c1a1e-9d4f-4c3b-8a2e-5f6d7c8b9a0f", "x"),
                status::not_found, "Unknown session_id");
  expect_detail(chat("globex", "garbage", "x"), status::not_found,
                "Unknown session_id");
  expect_detail(chat("globex", acme, "x"), status::forbidden,
                "Session does not belong to tenant");
  expect_detail(chat("nope", globex, "x"), status::not_found,
                "Unknown tenant_id");
  EXPECT_EQ(client.post("/chat", R"({"tenant_id":"globex"})").result(),
            status::unprocessable_entity);
  // Opening sessions is not limited.
  EXPECT_FALSE(open_session("globex").empty());
}

// -- many clients at once
// ------------------------------------------------------------

TEST(HttpConcurrency, SixteenClientsKeepTenantsApart) {
  // The seed's tenants with their seed replies but unlimited windows, plus
  // two test tenants whose replies name them.
  auto tenants = seed_tenants();
  for (auto& t : tenants)
    t.limits.chat_per_10s = 1'000'000;
  tenants.push_back(bulk_tenant("load-a"));
  tenants.push_back(bulk_tenant("load-b"));
  auto config = test_config();
  config.io_threads = 2;
  running_service server{tenants, config};

  constexpr int threads = 16;
  constexpr int iterations = 50;
  std::mutex mtx;
  std::set<std::string> sids;
  std::vector<std::string> failures;
  std::atomic<int> answered{0};
  auto fail = [&](std::string what) {
    std::lock_guard<std::mutex> guard{mtx};
    failures.push_back(std::move(what));
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        http_client c{server.port()};
        for (int i = 0; i < iterations; ++i) {
          auto& tenant
            = tenants[static_cast<std::size_t>(t + i) % tenants.size()];
          auto grant = c.post("/session", session_json(tenant.id));
          if (grant.result() != status::ok)
            return fail("session " + tenant.id + ": " + grant.body());
          auto g = json::parse(grant.body());
          std::string sid{g.at("session_id").as_string()};
          if (g.at("tenant").at("id") != tenant.id.c_str()
              || g.at("tenant").at("name") != tenant.name.c_str()
              || g.at("tenant").at("welcome") != tenant.welcome.c_str())
            return fail("grant for " + tenant.id + ": " + grant.body());
          auto message = "thread " + std::to_string(t) + " turn "
                         + std::to_string(i);
          auto res = c.post("/chat", chat_json(tenant.id, sid, message));
          if (res.result() != status::ok)
            return fail("chat " + tenant.id + ": " + res.body());
          auto reply = seed_models.count(tenant.id)
                         ? seed_reply(tenant.id, message)
                         : tenant.welcome + " [" + tenant.id + "|" + tenant.name
                             + "|" + tenant.model + "] " + message;
          if (res.body()
              != chat_response(tenant.id, sid, json_quote(reply), tenant.model))
            return fail("reply for " + tenant.id + ": " + res.body());
          {
            std::lock_guard<std::mutex> guard{mtx};
            if (!sids.insert(sid).second)
              failures.push_back("duplicate session id " + sid);
          }
          answered += 2;
        }
      } catch (const std::exception& e) {
        fail(std::string{"client error: "} + e.what());
      }
    });
  for (auto& th : pool)
    th.join();
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    ADD_FAILURE() << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures";
  EXPECT_EQ(answered.load(), threads * iterations * 2);
  EXPECT_EQ(sids.size(), static_cast<std::size_t>(threads * iterations));
}

// One tenant flooded past its in-flight cap gets 503 for its own requests;
// another tenant, asked at the same time, is answered as usual.
TEST(HttpTenantIsolation, AFloodedTenantGets503WhileAnotherIsServed) {
  auto cfg = test_config();
  cfg.tenant_max_in_flight = 2;
  running_service server{{bulk_tenant("flood"), bulk_tenant("calm")}, cfg};
  std::string flood_sid;
  std::string calm_sid;
  {
    http_client c{server.port()};
    flood_sid = json::parse(c.post("/session", session_json("flood")).body())
                  .at("session_id")
                  .as_string()
                  .c_str();
    calm_sid = json::parse(c.post("/session", session_json("calm")).body())
                 .at("session_id")
                 .as_string()
                 .c_str();
  }
  // Floods: 4 connections, each writing 16 pipelined chats at once, 10 times.
  std::atomic<int> flood_ok{0};
  std::atomic<int> flood_busy{0};
  std::atomic<int> flood_other{0};
  std::atomic<bool> busy_headers_ok{true};
  std::vector<std::thread> flooders;
  for (int t = 0; t < 4; ++t)
    flooders.emplace_back([&] {
      http_client c{server.port()};
      for (int round = 0; round < 10; ++round) {
        std::string wire;
        for (int i = 0; i < 16; ++i)
          wire += wire_bytes(make_request(
            verb::post, "/chat", chat_json("flood", flood_sid, "x")));
        c.write(wire);
        for (int i = 0; i < 16; ++i) {
          auto res = c.read_response();
          if (res.result() == status::ok) {
            ++flood_ok;
          } else if (res.result() == status::service_unavailable) {
            ++flood_busy;
            if (res.body() != detail("Too many requests in flight for this tenant")
                || header(res, "Retry-After") != "1")
              busy_headers_ok = false;
          } else {
            ++flood_other;
          }
        }
      }
    });
  // Meanwhile the calm tenant, one request at a time.
  http_client calm{server.port()};
  std::vector<double> calm_ms;
  int calm_failures = 0;
  for (int i = 0; i < 200; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto res = calm.post("/chat", chat_json("calm", calm_sid, "y"));
    calm_ms.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
    if (res.result() != status::ok)
      ++calm_failures;
  }
  for (auto& f : flooders)
    f.join();
  EXPECT_EQ(calm_failures, 0);
  EXPECT_GT(flood_busy.load(), 0);
  EXPECT_GT(flood_ok.load(), 0);
  EXPECT_EQ(flood_other.load(), 0);
  EXPECT_TRUE(busy_headers_ok.load());
  std::sort(calm_ms.begin(), calm_ms.end());
  // Latency is measured in bench/ (no timing assertion here): recorded.
  testing::Test::RecordProperty("calm_p50_ms", std::to_string(calm_ms[100]));
  testing::Test::RecordProperty("calm_p99_ms", std::to_string(calm_ms[197]));
  auto text = "\n" + calm.get("/metrics").body();
  EXPECT_EQ(sample(text, requests_series("flood", "/chat", "POST", 503)),
            flood_busy.load());
  EXPECT_EQ(sample(text, requests_series("calm", "/chat", "POST", 503)), -1);
}

} // namespace
