// Unit tests of http/json_codec: request decoding with FastAPI 0.115 +
// pydantic v2's 422 shapes, and the compact UTF-8 response encoders.
//
// Expected 422 bodies were produced with CPython 3.11 by following FastAPI's
// request handling (json.loads of the body when the content type is absent,
// application/json or application/*+json; a None body -> "missing"; pydantic's
// model_attributes_type / missing / string_type errors) and serialising like
// Starlette's JSONResponse:
//   json.dumps(content, ensure_ascii=False, allow_nan=False,
//              separators=(",", ":"))

#include "http/json_codec.hpp"

#include <string>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using namespace std::string_literals;
using namespace tenantd::http;

constexpr const char* app_json = "application/json";
constexpr const char* mat_msg
  = "Input should be a valid dictionary or object to extract fields from";

// The full 422 body for a /session request, or "OK <tenant_id>".
std::string session_outcome(std::string_view body,
                            std::string_view content_type = app_json) {
  auto r = decode_session_request(body, content_type);
  if (auto* f = std::get_if<validation_failure>(&r))
    return validation_body(*f);
  return "OK " + std::get<session_request>(r).tenant_id;
}

// The full 422 body for a /chat request, or "OK <tenant>|<session>|<message>".
std::string chat_outcome(std::string_view body,
                         std::string_view content_type = app_json) {
  auto r = decode_chat_request(body, content_type);
  if (auto* f = std::get_if<validation_failure>(&r))
    return validation_body(*f);
  auto& c = std::get<chat_request>(r);
  return "OK " + c.tenant_id + "|" + c.session_id + "|" + c.message;
}

// The single error item of a 422 answer to a /session request.
json::object session_error_item(std::string_view body,
                                std::string_view content_type = app_json) {
  auto r = decode_session_request(body, content_type);
  auto* f = std::get_if<validation_failure>(&r);
  if (f == nullptr) {
    ADD_FAILURE() << "body accepted: " << body;
    return {};
  }
  if (f->detail.size() != 1) {
    ADD_FAILURE() << "expected one error: " << validation_body(*f);
    return {};
  }
  return f->detail[0].as_object();
}

std::string missing_body_422() {
  return R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})";
}

std::string string_type_422(const std::string& field, const std::string& input) {
  return R"({"detail":[{"type":"string_type","loc":["body",")" + field
         + R"("],"msg":"Input should be a valid string","input":)" + input
         + "}]}";
}

std::string model_attributes_422(const std::string& input) {
  return R"({"detail":[{"type":"model_attributes_type","loc":["body"],"msg":")"s
         + mat_msg + R"(","input":)" + input + "}]}";
}

std::string json_invalid_422(std::size_t pos, const std::string& error) {
  return R"({"detail":[{"type":"json_invalid","loc":["body",)"
         + std::to_string(pos)
         + R"(],"msg":"JSON decode error","input":{},"ctx":{"error":")" + error
         + R"("}}]})";
}

// -- decoding valid bodies ---------------------------------------------------

TEST(DecodeRequest, SessionRequest) {
  EXPECT_EQ(session_outcome(R"({"tenant_id":"acme"})"), "OK acme");
}

TEST(DecodeRequest, ChatRequest) {
  EXPECT_EQ(chat_outcome(R"({"tenant_id":"acme","session_id":"s-1","message":"hello"})"),
            "OK acme|s-1|hello");
}

TEST(DecodeRequest, FieldOrderInTheBodyDoesNotMatter) {
  EXPECT_EQ(chat_outcome(R"({"message":"m","session_id":"s","tenant_id":"t"})"),
            "OK t|s|m");
}

TEST(DecodeRequest, ExtraFieldsAreIgnored) {
  // pydantic's default (extra="ignore").
  EXPECT_EQ(session_outcome(R"({"tenant_id":"acme","tenant":"x","n":[1,{}]})"),
            "OK acme");
}

TEST(DecodeRequest, EmptyStringsAreValidStrings) {
  EXPECT_EQ(chat_outcome(R"({"tenant_id":"","session_id":"","message":""})"),
            "OK ||");
}

TEST(DecodeRequest, WhitespaceAroundTheDocumentIsAllowed) {
  EXPECT_EQ(session_outcome(" \r\n\t{ \"tenant_id\" : \"acme\" } \n"),
            "OK acme");
}

TEST(DecodeRequest, JsonEscapesAreDecoded) {
  // json.loads('"\\u00e9\\ud83d\\ude00\\n\\"\\/"') == 'é😀\n"/'
  EXPECT_EQ(chat_outcome(R"({"tenant_id":"t","session_id":"s","message":"\u00e9\ud83d\ude00\n\"\/"})"),
            "OK t|s|\xc3\xa9\xf0\x9f\x98\x80\n\"/");
}

TEST(DecodeRequest, RawUtf8IsKept) {
  EXPECT_EQ(chat_outcome("{\"tenant_id\":\"t\",\"session_id\":\"s\","
                         "\"message\":\"\xe6\x97\xa5\xe2\x80\xa8\"}"),
            "OK t|s|\xe6\x97\xa5\xe2\x80\xa8");
}

TEST(DecodeRequest, DuplicateKeysKeepTheLastValueLikeJsonLoads) {
  EXPECT_EQ(session_outcome(R"({"tenant_id":5,"tenant_id":"acme"})"), "OK acme");
  EXPECT_EQ(session_outcome(R"({"tenant_id":"acme","tenant_id":5})"),
            string_type_422("tenant_id", "5"));
}

// -- content types -------------------------------------------------------------

TEST(DecodeContentType, JsonMediaTypesAreParsed) {
  const char* types[] = {"application/json",
                         "application/json; charset=utf-8",
                         "application/json;charset=UTF-8",
                         "APPLICATION/JSON",
                         "Application/Json",
                         "application/vnd.api+json",
                         "application/merge-patch+json; charset=utf-8",
                         " application/json ",
                         ""};
  for (auto ct : types)
    EXPECT_EQ(session_outcome(R"({"tenant_id":"acme"})", ct), "OK acme")
      << "content type '" << ct << "'";
}

TEST(DecodeContentType, OtherMediaTypesAreNotParsed) {
  const char* types[] = {"text/plain", "text/json", "application/jsonx",
                         "application/x-json", "application/json/x",
                         "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "json",
                         "application"};
  for (auto ct : types)
    EXPECT_EQ(session_outcome(R"({"tenant_id":"acme"})", ct),
              model_attributes_422(R"("{\"tenant_id\":\"acme\"}")"))
      << "content type '" << ct << "'";
}

TEST(DecodeContentType, NonJsonBodyIsEchoedAsAStringWithRawUtf8) {
  // FastAPI passes the raw bytes on; jsonable_encoder decodes them as UTF-8.
  EXPECT_EQ(session_outcome("h\xc3\xa9llo \"x\"\n", "text/plain"),
            model_attributes_422("\"h\xc3\xa9llo \\\"x\\\"\\n\""));
}

// -- 422: the body as a whole ------------------------------------------------

TEST(DecodeErrors, MissingBody) {
  EXPECT_EQ(session_outcome(""), missing_body_422());
  EXPECT_EQ(chat_outcome(""), missing_body_422());
}

TEST(DecodeErrors, EmptyBodyIsMissingWhateverTheContentType) {
  EXPECT_EQ(session_outcome("", "text/plain"), missing_body_422());
  EXPECT_EQ(session_outcome("", ""), missing_body_422());
}

TEST(DecodeErrors, NonObjectJsonIsModelAttributesType) {
  EXPECT_EQ(session_outcome("[1,2]"), model_attributes_422("[1,2]"));
  EXPECT_EQ(session_outcome("\"acme\""), model_attributes_422("\"acme\""));
  EXPECT_EQ(session_outcome("42"), model_attributes_422("42"));
  EXPECT_EQ(session_outcome("true"), model_attributes_422("true"));
  EXPECT_EQ(chat_outcome("[]"), model_attributes_422("[]"));
}

// FastAPI 0.115 (fastapi/dependencies/utils.py, _validate_value_with_model_field)
// treats a body that decodes to None as absent: a JSON `null` body answers
// the same "missing" error as an empty body, not model_attributes_type.
TEST(DecodeErrors, JsonNullBodyIsMissingLikeFastApi) {
  EXPECT_EQ(session_outcome("null"), missing_body_422());
  EXPECT_EQ(chat_outcome(" null "), missing_body_422());
}

// -- 422: json_invalid -------------------------------------------------------

TEST(DecodeErrors, InvalidJsonShape) {
  auto item = session_error_item(R"({"tenant_id": })");
  EXPECT_EQ(item["type"], "json_invalid");
  EXPECT_EQ(item["loc"], (json::array{"body", 14}));
  EXPECT_EQ(item["msg"], "JSON decode error");
  EXPECT_EQ(item["input"], json::object{});
  ASSERT_TRUE(item["ctx"].is_object());
  ASSERT_TRUE(item["ctx"].as_object().contains("error"));
  EXPECT_TRUE(item["ctx"].as_object()["error"].is_string());
  // Key order as FastAPI builds the item.
  std::vector<std::string> keys;
  for (auto& kv : item)
    keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"type", "loc", "msg", "input", "ctx"}));
}

TEST(DecodeErrors, InvalidJsonOffsetsMatchPythonForAsciiBodies) {
  // (body, json.JSONDecodeError.pos)
  struct {
    const char* body;
    std::int64_t pos;
  } cases[] = {
    {R"({"tenant_id": })", 14},      {R"({"a":1} x)", 8},
    {R"({"tenant_id":"acme")", 19},  {"  ", 2},
    {R"({"tenant_id":"a",})", 17},   {"{'a':1}", 1},
    {R"({"a":tru})", 5},             {"[1,]", 3},
    {R"({"a" 1})", 5},               {"{\"a\":\"x\ny\"}", 7},
    {R"({"tenant_id":"a" "b"})", 17},
  };
  for (auto& c : cases) {
    auto item = session_error_item(c.body);
    EXPECT_EQ(item["type"], "json_invalid") << c.body;
    EXPECT_EQ(item["loc"], (json::array{"body", c.pos})) << c.body;
  }
}

// Python's JSONDecodeError.pos counts code points of the decoded text, not
// bytes.
TEST(DecodeErrors, InvalidJsonOffsetCountsCharactersLikePython) {
  // json.loads('{"tenant_id":"é" x}') -> pos 17 (18 in bytes)
  EXPECT_EQ(session_outcome("{\"tenant_id\":\"\xc3\xa9\" x}"),
            json_invalid_422(17, "Expecting ',' delimiter"));
  // json.loads('{"tenant_id":"a","x":"日本語" , }') -> pos 29 (35 in bytes)
  EXPECT_EQ(session_outcome("{\"tenant_id\":\"a\",\"x\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\" , }"),
            json_invalid_422(29, "Expecting property name enclosed in double quotes"));
}

// FastAPI puts json.JSONDecodeError.msg under ctx.error.
TEST(DecodeErrors, InvalidJsonCtxErrorIsPythonsMessage) {
  EXPECT_EQ(session_outcome(R"({"tenant_id": })"),
            json_invalid_422(14, "Expecting value"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":"acme")"),
            json_invalid_422(19, "Expecting ',' delimiter"));
  EXPECT_EQ(session_outcome(R"({"a":1} x)"), json_invalid_422(8, "Extra data"));
  EXPECT_EQ(session_outcome("{'a':1}"),
            json_invalid_422(1, "Expecting property name enclosed in double quotes"));
  EXPECT_EQ(session_outcome(R"({"a" 1})"),
            json_invalid_422(5, "Expecting ':' delimiter"));
  EXPECT_EQ(session_outcome("{\"a\":\"x\ny\"}"),
            json_invalid_422(7, "Invalid control character at"));
}

TEST(DecodeErrors, InvalidJsonStringErrorsPointWherePythonDoes) {
  // json.loads('{"a":"abc') -> pos 5, the string's opening quote.
  EXPECT_EQ(session_outcome(R"({"a":"abc)"),
            json_invalid_422(5, "Unterminated string starting at"));
  // json.loads('{"a":"\\q"}') -> pos 6, the backslash.
  EXPECT_EQ(session_outcome(R"({"a":"\q"})"),
            json_invalid_422(6, "Invalid \\\\escape"));
}

TEST(DecodeErrors, InvalidJsonWithoutContentTypeIsStillParsed) {
  auto item = session_error_item("{", "");
  EXPECT_EQ(item["type"], "json_invalid");
  EXPECT_EQ(item["loc"], (json::array{"body", 1}));
}

// The service's choice (FastAPI itself answers 400 here, see the report):
// invalid UTF-8 is a json_invalid error at the first bad byte.
TEST(DecodeErrors, InvalidUtf8IsJsonInvalid) {
  auto item = session_error_item("{\"tenant_id\":\"ab\xff\"}");
  EXPECT_EQ(item["type"], "json_invalid");
  EXPECT_EQ(item["loc"], (json::array{"body", 16}));
  EXPECT_EQ(item["msg"], "JSON decode error");
  EXPECT_EQ(item["input"], json::object{});
  // Overlong and surrogate encodings inside strings are invalid too.
  EXPECT_EQ(session_error_item("{\"tenant_id\":\"\xc0\xaf\"}")["type"],
            "json_invalid");
  EXPECT_EQ(session_error_item("{\"tenant_id\":\"\xed\xa0\x80\"}")["type"],
            "json_invalid");
}

// json.loads(bytes) detects a UTF-8 BOM and decodes with 'utf-8-sig', so
// FastAPI accepts a JSON body that starts with EF BB BF.
TEST(DecodeErrors, Utf8ByteOrderMarkIsAcceptedLikeJsonLoads) {
  EXPECT_EQ(session_outcome("\xef\xbb\xbf{\"tenant_id\":\"acme\"}"), "OK acme");
}

// json.loads has no small nesting limit (Boost.JSON's default is 32).
TEST(DecodeErrors, DeeplyNestedValueIsAStringTypeErrorLikePython) {
  std::string nested = std::string(40, '[') + "1" + std::string(40, ']');
  EXPECT_EQ(session_outcome("{\"tenant_id\":" + nested + "}"),
            string_type_422("tenant_id", nested));
}

// -- 422: fields ---------------------------------------------------------------

TEST(DecodeErrors, MissingFieldEchoesTheWholeObject) {
  EXPECT_EQ(session_outcome("{}"),
            R"({"detail":[{"type":"missing","loc":["body","tenant_id"],"msg":"Field required","input":{}}]})");
  EXPECT_EQ(chat_outcome(R"({"tenant_id":"acme","extra":[1,{"b":null}]})"),
            R"({"detail":[{"type":"missing","loc":["body","session_id"],"msg":"Field required","input":{"tenant_id":"acme","extra":[1,{"b":null}]}},)"
            R"({"type":"missing","loc":["body","message"],"msg":"Field required","input":{"tenant_id":"acme","extra":[1,{"b":null}]}}]})");
}

TEST(DecodeErrors, AllMissingFieldsAreReportedInFieldOrder) {
  EXPECT_EQ(chat_outcome("{}"),
            R"({"detail":[{"type":"missing","loc":["body","tenant_id"],"msg":"Field required","input":{}},)"
            R"({"type":"missing","loc":["body","session_id"],"msg":"Field required","input":{}},)"
            R"({"type":"missing","loc":["body","message"],"msg":"Field required","input":{}}]})");
}

TEST(DecodeErrors, NonStringValuesAreStringTypeWithTheValueAsInput) {
  EXPECT_EQ(session_outcome(R"({"tenant_id":null})"), string_type_422("tenant_id", "null"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":42})"), string_type_422("tenant_id", "42"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":-7})"), string_type_422("tenant_id", "-7"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":true})"), string_type_422("tenant_id", "true"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":false})"), string_type_422("tenant_id", "false"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":{"id":"acme"}})"),
            string_type_422("tenant_id", R"({"id":"acme"})"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":["acme"]})"),
            string_type_422("tenant_id", R"(["acme"])"));
}

// Python echoes a JSON float as repr(float) (json.dumps(1.5) == '1.5',
// json.dumps(1e5) == '100000.0') and a big integer exactly.
TEST(DecodeErrors, NumberInputsAreEchoedLikePython) {
  EXPECT_EQ(session_outcome(R"({"tenant_id":1.5})"), string_type_422("tenant_id", "1.5"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":1e5})"), string_type_422("tenant_id", "100000.0"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":-0.0})"), string_type_422("tenant_id", "-0.0"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":1e16})"), string_type_422("tenant_id", "1e+16"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":1e15})"), string_type_422("tenant_id", "1000000000000000.0"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":0.0001})"), string_type_422("tenant_id", "0.0001"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":0.00001})"), string_type_422("tenant_id", "1e-05"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":-2.5e-7})"), string_type_422("tenant_id", "-2.5e-07"));
  EXPECT_EQ(session_outcome(R"({"tenant_id":123.456})"), string_type_422("tenant_id", "123.456"));
  // Integers beyond 64 bits become doubles in Boost.JSON 1.81 (Python keeps
  // them exact): a documented divergence, not tested here.
}

TEST(DecodeErrors, ErrorsForSeveralFieldsComeTogetherInFieldOrder) {
  // Body keys in another order than the model's fields.
  EXPECT_EQ(chat_outcome(R"({"message":1,"tenant_id":null})"),
            R"({"detail":[{"type":"string_type","loc":["body","tenant_id"],"msg":"Input should be a valid string","input":null},)"
            R"({"type":"missing","loc":["body","session_id"],"msg":"Field required","input":{"message":1,"tenant_id":null}},)"
            R"({"type":"string_type","loc":["body","message"],"msg":"Input should be a valid string","input":1}]})");
}

TEST(DecodeErrors, UnicodeInputsAreEchoedAsRawUtf8) {
  EXPECT_EQ(chat_outcome("{\"tenant_id\":\"t\xc3\xa9\"}"),
            "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\",\"session_id\"],\"msg\":\"Field required\",\"input\":{\"tenant_id\":\"t\xc3\xa9\"}},"
            "{\"type\":\"missing\",\"loc\":[\"body\",\"message\"],\"msg\":\"Field required\",\"input\":{\"tenant_id\":\"t\xc3\xa9\"}}]}");
}

// -- encoders ----------------------------------------------------------------

TEST(Encoders, DetailBody) {
  EXPECT_EQ(detail_body("Unknown tenant_id"), R"({"detail":"Unknown tenant_id"})");
  EXPECT_EQ(detail_body("Session does not belong to tenant"),
            R"({"detail":"Session does not belong to tenant"})");
}

TEST(Encoders, EscapingMatchesPythonJsonDumps) {
  // s = 'a\n\t\x01\x7f"\\/\u2028\u2029é😀\x1f\b\f\r\x00'
  // json.dumps({"detail": s}, ensure_ascii=False, separators=(',', ':'))
  std::string s = "a\n\t\x01\x7f\"\\/\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xf0\x9f\x98\x80\x1f\x08\x0c\x0d"s
                  + '\0';
  EXPECT_EQ(detail_body(s),
            "{\"detail\":\"a\\n\\t\\u0001\x7f\\\"\\\\/\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xf0\x9f\x98\x80\\u001f\\b\\f\\r\\u0000\"}");
}

TEST(Encoders, ValidationBodyOfAnEmptyFailure) {
  EXPECT_EQ(validation_body(validation_failure{}), R"({"detail":[]})");
}

TEST(Encoders, RootBody) {
  EXPECT_EQ(root_body({"acme", "globex", "initech"}),
            R"({"ok":true,"tenants":["acme","globex","initech"]})");
  EXPECT_EQ(root_body({}), R"({"ok":true,"tenants":[]})");
}

TEST(Encoders, SessionBody) {
  tenantd::session_grant grant{"0123abcd-4567-489a-bcde-f0123456789a", "acme",
                               "Acme Corp", "Howdy from Acme!"};
  EXPECT_EQ(session_body(grant),
            R"({"session_id":"0123abcd-4567-489a-bcde-f0123456789a",)"
            R"("tenant":{"id":"acme","name":"Acme Corp","welcome":"Howdy from Acme!"}})");
}

TEST(Encoders, SessionBodyWithUnicodeTenant) {
  tenantd::session_grant grant{"s", "cafe", "Caf\xc3\xa9 \"Le Bon\"",
                               "Bienvenue \xf0\x9f\x98\x80"};
  EXPECT_EQ(session_body(grant),
            "{\"session_id\":\"s\",\"tenant\":{\"id\":\"cafe\",\"name\":\"Caf\xc3\xa9 "
            "\\\"Le Bon\\\"\",\"welcome\":\"Bienvenue \xf0\x9f\x98\x80\"}}");
}

TEST(Encoders, ChatBodyKeyOrderAndRawUtf8) {
  chat_request req{"acme", "0123abcd-4567-489a-bcde-f0123456789a", "ignored"};
  tenantd::chat_result result;
  result.reply = "Howdy from Acme! [ACME MOCK] You said: 'h\xc3\xa9 \"q\"'. "
                 "Here's it reversed: '\"q\" \xc3\xa9h'";
  result.model = "mock-1";
  // json.dumps(dict(tenant_id=..., session_id=..., reply=..., model=...,
  //                 mock=True), ensure_ascii=False, separators=(',', ':'))
  EXPECT_EQ(chat_body(req, result),
            "{\"tenant_id\":\"acme\",\"session_id\":\"0123abcd-4567-489a-bcde-f0123456789a\","
            "\"reply\":\"Howdy from Acme! [ACME MOCK] You said: 'h\xc3\xa9 \\\"q\\\"'. "
            "Here's it reversed: '\\\"q\\\" \xc3\xa9h'\",\"model\":\"mock-1\",\"mock\":true}");
}

TEST(Encoders, ChatBodyEchoesTheRequestIdsNotTheMessage) {
  chat_request req{"t", "s", "the message"};
  tenantd::chat_result result;
  result.reply = "r";
  result.model = "m";
  EXPECT_EQ(chat_body(req, result),
            R"({"tenant_id":"t","session_id":"s","reply":"r","model":"m","mock":true})");
}

TEST(Encoders, OutputIsValidJsonThatRoundTrips) {
  std::string nasty = "\x01\x1f\"\\\xe2\x80\xa8\xf0\x9f\x98\x80";
  auto v = json::parse(detail_body(nasty));
  EXPECT_EQ(v.at("detail").as_string(), nasty);
}

} // namespace
