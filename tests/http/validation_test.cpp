// Request bodies refused as FastAPI + pydantic 2 refuse them (422 with the
// same items, locations and inputs), and the bounds on bodies' content.

#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using HttpValidation = http_test;

TEST_F(HttpValidation, AMissingFieldEchoesTheObject) {
  auto body = R"({"tenant_id":"acme","message":"hi"})";
  expect_422(client.post("/chat", body),
             errors({missing_item("session_id", body)}));
  expect_422(client.post("/session", R"({"tenant":"acme"})"),
             errors({missing_item("tenant_id", R"({"tenant":"acme"})")}));
}

TEST_F(HttpValidation, AllMissingFieldsAreReportedInDeclarationOrder) {
  expect_422(
    client.post("/chat", "{}"),
    errors({missing_item("tenant_id", "{}"), missing_item("session_id", "{}"),
            missing_item("message", "{}")}));
  // Mixed problems come in field order too, whatever the body's key order.
  auto body = R"({"message":5,"tenant_id":null})";
  expect_422(client.post("/chat", body),
             errors({string_type_item("tenant_id", "null"),
                     missing_item("session_id", body),
                     string_type_item("message", "5")}));
}

TEST_F(HttpValidation, NullAndNonStringValuesAreStringTypeErrors) {
  // pydantic 2 does not coerce numbers or booleans to str.
  for (auto input : {"null", "1", "-7", "true", "false",
                     R"({"a":[1,{"b":null}]})", R"([1,"x"])"}) {
    auto body = std::string{R"({"tenant_id":)"} + input + "}";
    expect_422(client.post("/session", body),
               errors({string_type_item("tenant_id", input)}));
  }
  auto sid = open_session("acme");
  expect_422(client.post("/chat", R"({"tenant_id":"acme","session_id":")" + sid
                                    + R"(","message":["hi"]})"),
             errors({string_type_item("message", R"(["hi"])")}));
}

TEST_F(HttpValidation, InvalidJsonIsJsonInvalidAtThePythonOffset) {
  // Offsets as json.JSONDecodeError.pos reports them for these bodies.
  struct bad {
    const char* body;
    int64_t offset;
  };
  for (auto b :
       {bad{R"({"tenant_id": })", 14}, bad{R"({"tenant_id":"acme")", 19},
        bad{R"({"tenant_id":"acme",})", 20}, bad{"not json", 0},
        bad{R"({"a":1} x)", 8}, bad{R"({"t":tru})", 5},
        bad{R"({"tenant_id":"acme"}})", 20}}) {
    for (auto target : {"/session", "/chat"}) {
      auto res = client.post(target, b.body);
      ASSERT_EQ(res.result(), status::unprocessable_entity) << b.body;
      auto v = json::parse(res.body());
      auto& items = v.at("detail").as_array();
      ASSERT_EQ(items.size(), 1u) << res.body();
      auto& item = items[0].as_object();
      EXPECT_EQ(item.at("type"), "json_invalid") << b.body;
      EXPECT_EQ(item.at("loc"), json::value(json::array{"body", b.offset}))
        << b.body;
      EXPECT_EQ(item.at("msg"), "JSON decode error");
      EXPECT_EQ(item.at("input"), json::value(json::object{}));
      EXPECT_TRUE(item.at("ctx").at("error").is_string()) << res.body();
      // Key order as FastAPI writes it.
      EXPECT_EQ(res.body().rfind(
                  R"({"detail":[{"type":"json_invalid","loc":["body",)", 0),
                0u)
        << res.body();
    }
  }
}

// json.JSONDecodeError.pos counts code points (json.loads decodes the bytes
// first), not bytes.
TEST_F(HttpValidation, InvalidJsonOffsetCountsCodePointsNotBytes) {
  auto res = client.post(
    "/session", "{\"message\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\", x}");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("detail").at(0).at("loc"),
            json::value(json::array{"body", 18}))
    << res.body();
}

TEST_F(HttpValidation, ABodyThatIsNotAnObjectIsModelAttributesType) {
  for (auto input : {R"([1,"x"])", R"("acme")", "42", "true", "[]"}) {
    expect_422(client.post("/session", input), not_an_object(input));
    expect_422(client.post("/chat", input), not_an_object(input));
  }
}

// FastAPI treats a JSON null body like no body at all.
TEST_F(HttpValidation, AJsonNullBodyIsMissing) {
  expect_422(client.post("/session", "null"), missing_body);
  expect_422(client.post("/chat", " null "), missing_body);
}

TEST_F(HttpValidation, AnEmptyBodyIsMissing) {
  for (auto target : {"/session", "/chat"}) {
    expect_422(client.post(target, ""), missing_body);
    expect_422(client.request(verb::post, target, "", std::nullopt),
               missing_body);
    expect_422(client.request(verb::post, target, "", "text/plain"),
               missing_body);
  }
}

TEST_F(HttpValidation, InvalidUtf8IsJsonInvalid) {
  for (auto body :
       {std::string{"{\"tenant_id\":\"ac\xFFme\"}"},
        std::string{"{\"tenant_id\":\"\xC0\xAF\"}"},         // overlong
        std::string{"{\"tenant_id\":\"\xED\xA0\x80\"}"},     // surrogate
        std::string{"{\"tenant_id\":\"\xF4\x90\x80\x80\"}"}, // > U+10FFFF
        std::string{"{\"tenant_id\":\"acme\xE2\x82\"}"}}) {  // truncated
    auto res = client.post("/session", body);
    ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
    auto item = json::parse(res.body()).at("detail").at(0);
    EXPECT_EQ(item.at("type"), "json_invalid") << res.body();
    EXPECT_EQ(item.at("loc").at(0), "body");
    EXPECT_TRUE(item.at("loc").at(1).is_number()) << res.body();
  }
}

TEST_F(HttpValidation, ANonJsonContentTypeIsModelAttributesType) {
  auto body = R"({"tenant_id":"acme"})";
  expect_422(client.request(verb::post, "/session", body, "text/plain"),
             not_an_object(json_quote(body)));
  // curl -d without -H sends a form content type.
  expect_422(client.request(verb::post, "/session", body,
                            "application/x-www-form-urlencoded"),
             not_an_object(json_quote(body)));
  expect_422(client.request(verb::post, "/chat", "hello", "application/jsonx"),
             not_an_object(R"("hello")"));
}

TEST_F(HttpValidation, ComesBeforeTheTenantCheck) {
  // Unknown tenant and a missing message: the body is checked first.
  auto body = R"({"tenant_id":"nope","session_id":"x"})";
  expect_422(client.post("/chat", body),
             errors({missing_item("message", body)}));
  expect_422(client.post(
               "/chat", R"({"tenant_id":"nope","session_id":"x","message":1})"),
             errors({string_type_item("message", "1")}));
}

// pydantic echoes a float input as Python's repr writes it.
TEST_F(HttpValidation, FloatInputsAreEchoedAsPythonWritesThem) {
  expect_422(client.post("/session", R"({"tenant_id":1.5})"),
             errors({string_type_item("tenant_id", "1.5")}));
  expect_422(client.post("/session", R"({"tenant_id":2.0})"),
             errors({string_type_item("tenant_id", "2.0")}));
  expect_422(client.post("/session", R"({"tenant_id":1e5})"),
             errors({string_type_item("tenant_id", "100000.0")}));
}

// json.loads accepts (and skips) a UTF-8 byte order mark on bytes.
TEST_F(HttpValidation, AUtf8ByteOrderMarkIsSkipped) {
  auto res = client.post("/session", "\xEF\xBB\xBF" + session_json("acme"));
  EXPECT_EQ(res.result(), status::ok) << res.body();
}

// json.loads on bytes reads UTF-16 and UTF-32 too (json.detect_encoding).
TEST_F(HttpValidation, Utf16AndUtf32BodiesAreDecoded) {
  auto widen = [](const std::string& ascii, std::size_t unit, bool big) {
    std::string out;
    for (char c : ascii)
      for (std::size_t k = 0; k < unit; ++k)
        out += (big ? k == unit - 1 : k == 0) ? c : '\0';
    return out;
  };
  for (std::size_t unit : {2u, 4u})
    for (bool big : {false, true}) {
      auto res = client.post("/session", widen(session_json("acme"), unit, big));
      EXPECT_EQ(res.result(), status::ok) << unit << big << res.body();
    }
}

// What Python's json accepts beyond JSON (NaN, Infinity, a lone surrogate
// escape) is accepted in members the request does not read; in one it
// reads (a surrogate would reach the reply) it stays json_invalid.
TEST_F(HttpValidation, PythonOnlyConstructsAreAcceptedWhereNothingReadsThem) {
  auto sid = open_session("acme");
  auto chat = [&](const std::string& extra, const std::string& message) {
    return client.post("/chat", R"({"tenant_id":"acme","session_id":")" + sid
                                  + R"(","message":")" + message + R"(")"
                                  + extra + "}");
  };
  auto ok = chat(R"(,"a":NaN,"b":[Infinity,-Infinity],"c":"\ud800")", "hello");
  EXPECT_EQ(ok.result(), status::ok) << ok.body();
  EXPECT_NE(ok.body().find("You said: 'hello'"), std::string::npos)
    << ok.body();
  auto lone = chat(R"(,"a":NaN)", R"(\udc00)");
  EXPECT_EQ(lone.result(), status::unprocessable_entity) << lone.body();
  EXPECT_EQ(json::parse(lone.body()).at("detail").at(0).at("ctx").at("error"),
            "Unpaired surrogate in \\uXXXX escape");
}


TEST(HttpBodyLimits, ChatMessageLongerThanTheLimitIs422NamingIt) {
  auto cfg = test_config();
  cfg.max_message_chars = 5;
  running_service server{seed_tenants(), cfg};
  http_client client{server.port()};
  auto sid = json::parse(client.post("/session", session_json("acme")).body())
               .at("session_id")
               .as_string();
  // Code points, as Python's len(): "héllo" is 5 (6 bytes).
  EXPECT_EQ(client.post("/chat", chat_json("acme", sid, "h\xc3\xa9llo")).result(),
            status::ok);
  auto res = client.post("/chat", chat_json("acme", sid, "h\xc3\xa9llo!"));
  EXPECT_EQ(res.result(), status::unprocessable_entity);
  EXPECT_EQ(res.body(),
            R"({"detail":[{"type":"string_too_long","loc":["body","message"],)"
            R"("msg":"String should have at most 5 characters",)"
            "\"input\":\"h\xc3\xa9llo!\",\"ctx\":{\"max_length\":5}}]}");
}

TEST(HttpBodyLimits, JsonNestingAndFieldCountAreBounded) {
  auto cfg = test_config();
  cfg.json_max_depth = 3;
  cfg.json_max_fields = 4;
  running_service server{seed_tenants(), cfg};
  http_client client{server.port()};
  auto ok = client.post("/session", R"({"tenant_id":"acme","x":[[1]]})");
  EXPECT_EQ(ok.result(), status::ok) << ok.body(); // depth 3, 4 fields
  auto deep = client.post("/session", R"({"tenant_id":"acme","x":[[[1]]]})");
  EXPECT_EQ(deep.result(), status::unprocessable_entity);
  EXPECT_NE(deep.body().find("Nesting too deep"), std::string::npos)
    << deep.body();
  auto wide = client.post("/session", R"({"tenant_id":"acme","x":[1,2,3]})");
  EXPECT_EQ(wide.result(), status::unprocessable_entity);
  EXPECT_EQ(wide.body(),
            R"x({"detail":[{"type":"too_many_fields","loc":["body"],)x"
            R"x("msg":"Body should have at most 4 fields (object members and )x"
            R"x(array elements)","input":{},"ctx":{"max_fields":4}}]})x");
  // The admin API has the same bounds.
  auto config = admin_request(client, verb::post, "/tenants",
                              R"({"id":"t","name":"T","welcome":"w",)"
                              R"("model":"m","reply":"r"})");
  EXPECT_EQ(config.result(), status::unprocessable_entity) << config.body();
}

} // namespace
