// The tenants admin API against the running service: the admin token,
// routing, create, read and list, patch, suspend, resume and archive, and a
// thousand tenants created at once.

#include <atomic>
#include <thread>

#include "tests/support/eventually.hpp"
#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

/// A request to each admin route; some would be refused (bad body, unknown
/// tenant, bad query), which a client without the token must not learn.
struct admin_call {
  verb method;
  const char* target;
  const char* body;
};

const admin_call admin_calls[] = {
  {verb::get, "/tenants", ""},
  {verb::get, "/tenants?limit=0", ""},
  {verb::post, "/tenants", R"({"id":"hooli","name":"H","welcome":"W"})"},
  {verb::post, "/tenants", "{oops"},
  {verb::get, "/tenants/acme", ""},
  {verb::get, "/tenants/nope", ""},
  {verb::patch, "/tenants/acme", R"({"name":"Evil"})"},
  {verb::patch, "/tenants/nope", "[1]"},
  {verb::delete_, "/tenants/acme", ""},
  {verb::post, "/tenants/acme/suspend", ""},
  {verb::post, "/tenants/acme/resume", ""},
};

http_response send_admin_call(http_client& c, const admin_call& a,
                              const http_headers& headers) {
  std::optional<std::string> content_type;
  if (*a.body != '\0')
    content_type = "application/json";
  return c.request(a.method, a.target, a.body, content_type, headers);
}

using HttpAdminAuth = http_test;
using HttpAdminRouting = http_test;
using HttpAdminCreate = http_test;
using HttpAdminRead = http_test;
using HttpAdminPatch = http_test;
using HttpAdminLifecycle = http_test;

TEST_F(HttpAdminAuth, WithoutAnAuthorizationHeaderEveryAdminRouteIs401) {
  for (auto& a : admin_calls) {
    SCOPED_TRACE(a.target);
    expect_401(send_admin_call(client, a, {}), "Not authenticated", "Bearer");
  }
  // Nothing was created, changed or archived.
  EXPECT_EQ(client.get("/").body(), seed_root);
  auto acme = admin_get("/tenants/acme");
  ASSERT_EQ(acme.result(), status::ok) << acme.body();
  EXPECT_EQ(json::parse(acme.body()).at("name"), "Acme Corp");
}

TEST_F(HttpAdminAuth, AMalformedAuthorizationHeaderIs401NotAuthenticated) {
  for (auto& value : std::vector<std::string>{
         "Basic YWRtaW46c2VjcmV0", "Bearer", "Bearer ", "Bearer    ",
         "Token " + test_admin_token, test_admin_token,
         "Bearer" + test_admin_token}) {
    SCOPED_TRACE(value);
    for (auto& a : admin_calls)
      expect_401(send_admin_call(client, a, {{"Authorization", value}}),
                 "Not authenticated", "Bearer");
  }
}

TEST_F(HttpAdminAuth, AWrongTokenIs401InvalidAdminToken) {
  auto last_changed = test_admin_token;
  last_changed.back() = last_changed.back() == 'x' ? 'y' : 'x';
  auto upper = test_admin_token;
  std::transform(
    upper.begin(), upper.end(), upper.begin(),
    [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (std::string wrong :
       {last_changed, upper, test_admin_token.substr(0, 31),
        test_admin_token + "0", std::string{"x"},
        std::string(1000, 'a'), test_admin_token + " " + test_admin_token}) {
    SCOPED_TRACE(wrong);
    for (auto& a : admin_calls) {
      // GET and PATCH /tenants/{id} take a tenant's credentials too (its
      // admins'): a wrong one there is no admin token in particular.
      std::string_view target{a.target};
      bool also_tenants = target.rfind("/tenants/", 0) == 0
                          && target.find('/', 9) == std::string_view::npos
                          && (a.method == verb::get || a.method == verb::patch);
      expect_401(send_admin_call(client, a,
                                 {{"Authorization", "Bearer " + wrong}}),
                 also_tenants ? "Invalid credential" : "Invalid admin token",
                 R"(Bearer error="invalid_token")");
    }
  }
}

TEST_F(HttpAdminAuth, TheSchemeIsCaseInsensitive) {
  for (auto scheme : {"Bearer ", "bearer ", "BEARER  "}) {
    auto res = client.request(
      verb::get, "/tenants", {}, std::nullopt,
      {{"Authorization", std::string{scheme} + test_admin_token}});
    EXPECT_EQ(res.result(), status::ok) << scheme << ": " << res.body();
  }
}

TEST_F(HttpAdminAuth, ServingRoutesNeedNoToken) {
  EXPECT_EQ(client.get("/").result(), status::ok);
  auto sid = open_session("acme");
  EXPECT_EQ(chat("acme", sid, "hi").result(), status::ok);
  EXPECT_EQ(client.get("/openapi.json").result(), status::ok);
}

TEST_F(HttpAdminRouting, WrongMethodsAre405ListingEveryMethodOfThePath) {
  struct wrong {
    verb method;
    const char* target;
    const char* allow;
  };
  // Checked before the token: a method is wrong for everybody.
  for (auto w : {wrong{verb::put, "/tenants", "GET, POST"},
                 wrong{verb::delete_, "/tenants?limit=1", "GET, POST"},
                 wrong{verb::post, "/tenants/acme", "GET, PATCH, DELETE"},
                 wrong{verb::put, "/tenants/nope", "GET, PATCH, DELETE"},
                 wrong{verb::get, "/tenants/acme/suspend", "POST"},
                 wrong{verb::delete_, "/tenants/acme/resume", "POST"}}) {
    auto res = client.request(w.method, w.target, {}, std::nullopt);
    expect_detail(res, status::method_not_allowed, "Method Not Allowed");
    EXPECT_EQ(header(res, "Allow"), w.allow) << w.target;
  }
  auto head = client.request(verb::head, "/tenants/acme", {}, std::nullopt,
                             admin_auth);
  EXPECT_EQ(head.result(), status::method_not_allowed);
  EXPECT_EQ(header(head, "Allow"), "GET, PATCH, DELETE");
  EXPECT_EQ(client.get("/").body(), seed_root); // the connection is fine
}

TEST_F(HttpAdminRouting, TrailingSlashesAreRedirectedAndOtherPathsAre404) {
  struct slash {
    verb method;
    const char* target;
    const char* location;
  };
  for (auto c : {slash{verb::get, "/tenants/", "/tenants"},
                 slash{verb::get, "/tenants/acme/", "/tenants/acme"},
                 slash{verb::post, "/tenants/acme/suspend/?x=1",
                       "/tenants/acme/suspend?x=1"}}) {
    auto res = client.request(c.method, c.target, {}, std::nullopt);
    EXPECT_EQ(res.result(), status::temporary_redirect) << c.target;
    EXPECT_EQ(header(res, "Location"),
              std::string{"http://127.0.0.1"} + c.location);
  }
  for (auto target : {"/tenants/acme/other", "/tenants//suspend",
                      "/tenants/acme/suspend/x", "/tenant"})
    expect_detail(client.request(verb::get, target, {}, std::nullopt,
                                 admin_auth),
                  status::not_found, "Not Found");
}

TEST_F(HttpAdminCreate, Answers201WithLocationAndTheTenant) {
  // The store stamps times from the actor clock, anchored to the wall clock
  // once: allow a second's difference.
  auto before = http::rfc3339_millis(unix_millis() - 1000);
  auto res = admin_post("/tenants", config_json(hooli(5)));
  auto after = http::rfc3339_millis(unix_millis() + 1000);
  ASSERT_EQ(res.result(), status::created) << res.body();
  EXPECT_EQ(header(res, "Location"), "/tenants/hooli");
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  auto created = std::string{
    json::parse(res.body()).at("created_at").as_string()};
  EXPECT_TRUE(std::regex_match(
    created,
    std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}))
    << created;
  EXPECT_LE(before, created);
  EXPECT_LE(created, after);
  EXPECT_EQ(
    res.body(),
    R"({"id":"hooli","name":"Hooli","welcome":"Hooli welcomes you.","model":"mock-h",)"
    R"j("limits":{"chat_per_10s":5},"reply":"{welcome} [HOOLI MOCK] {message|upper} / {message|reverse} ({name}, {id}, {model})",)j"
    R"("auth":"open","status":"active","created_at":")"
      + created + R"(","updated_at":")" + created
      + R"(","stats":{"active":true,"sessions":0,"chats":0,"rate_limited":0}})");
  // GET shows the same tenant.
  auto got = admin_get("/tenants/hooli");
  ASSERT_EQ(got.result(), status::ok) << got.body();
  EXPECT_EQ(without_stats(json::parse(got.body()).as_object()),
            without_stats(json::parse(res.body()).as_object()));
}

TEST_F(HttpAdminCreate, DefaultsAreShownAndOnlySetLimits) {
  json::object cfg{{"id", "minimal"}, {"name", "M"}, {"welcome", ""}};
  auto res = admin_post("/tenants", json::serialize(cfg));
  ASSERT_EQ(res.result(), status::created) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body.at("model"), "mock");
  EXPECT_EQ(body.at("limits"), json::object{});
  EXPECT_EQ(body.at("reply"), tenant_config::default_reply);
  auto ttl = admin_post(
    "/tenants",
    R"({"id":"ttl","name":"T","welcome":"W","limits":{"session_ttl":60}})");
  ASSERT_EQ(ttl.result(), status::created) << ttl.body();
  EXPECT_EQ(json::parse(ttl.body()).at("limits"),
            json::parse(R"({"session_ttl":60})"));
}

TEST_F(HttpAdminCreate, ACreatedTenantServesAtOnce) {
  create_tenant(hooli());
  EXPECT_EQ(client.get("/").body(),
            R"({"ok":true,"tenants":["acme","globex","initech","hooli"]})");
  auto grant = client.post("/session", session_json("hooli"));
  ASSERT_EQ(grant.result(), status::ok) << grant.body();
  auto sid = std::string{
    json::parse(grant.body()).at("session_id").as_string()};
  EXPECT_TRUE(is_canonical_uuid_v4(sid)) << sid;
  EXPECT_EQ(
    grant.body(),
    R"({"session_id":")" + sid
      + R"(","tenant":{"id":"hooli","name":"Hooli","welcome":"Hooli welcomes you."}})");
  auto res = chat("hooli", sid, "  Hello Straße ");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(),
            chat_response("hooli", sid,
                          "\"Hooli welcomes you. [HOOLI MOCK] HELLO STRASSE / "
                          "e\xC3\x9F"
                          "artS olleH (Hooli, hooli, mock-h)\"",
                          "mock-h"));
  // No limit configured: no rate-limit headers.
  EXPECT_EQ(header(res, "RateLimit-Policy"), "");
  EXPECT_EQ(header(res, "RateLimit"), "");
  // Tenant isolation holds for it too.
  auto acme = open_session("acme");
  expect_detail(chat("hooli", acme, "x"), status::forbidden,
                "Session does not belong to tenant");
  expect_detail(chat("acme", sid, "x"), status::forbidden,
                "Session does not belong to tenant");
}

TEST_F(HttpAdminCreate, ADuplicateIdIs409) {
  create_tenant(hooli());
  auto other = hooli();
  other.name = "Another Hooli";
  expect_detail(admin_post("/tenants", config_json(other)), status::conflict,
                "Tenant already exists");
  expect_detail(admin_post("/tenants",
                           config_json(make_tenant("acme", "Other", "Other.",
                                                   "m", 0,
                                                   tenant_config::default_reply))),
                status::conflict, "Tenant already exists");
  // Nothing changed.
  EXPECT_EQ(client.get("/").body(),
            R"({"ok":true,"tenants":["acme","globex","initech","hooli"]})");
  EXPECT_EQ(json::parse(admin_get("/tenants/hooli").body()).at("name"),
            "Hooli");
  auto sid = open_session("acme");
  EXPECT_EQ(
    chat("acme", sid, "hi").body(),
    chat_response("acme", sid, json_quote(seed_reply("acme", "hi")), "mock-1"));
}

TEST_F(HttpAdminCreate, AnInvalidConfigIs422WithEachProblemAtItsField) {
  struct bad {
    std::string body;
    std::string detail;
  };
  auto long_name = std::string(201, 'n');
  for (auto& b : std::vector<bad>{
         {R"({"id":"Not An Id","name":"N","welcome":"W"})",
          value_error_item(R"(["body","id"])",
                           "id must be 1-63 lowercase letters, digits or '-', "
                           "not starting with '-'",
                           R"("Not An Id")")},
         {R"({"id":"-x","name":"N","welcome":"W"})",
          value_error_item(R"(["body","id"])",
                           "id must be 1-63 lowercase letters, digits or '-', "
                           "not starting with '-'",
                           R"("-x")")},
         {R"({"id":"x","name":5,"welcome":"W","limits":{"chat_per_10s":"8"}})",
          value_error_item(R"(["body","name"])", "name must be a string", "5")
            + ","
            + value_error_item(R"(["body","limits","chat_per_10s"])",
                               "limits.chat_per_10s must be an integer",
                               R"("8")")},
         {R"({"id":"x","name":"N","welcome":"W","colour":"red"})",
          value_error_item(R"(["body","colour"])",
                           "colour is not a known field", R"("red")")},
         {R"({"id":"x","name":"N","welcome":"W","limits":{"chats":1}})",
          value_error_item(R"(["body","limits","chats"])",
                           "limits.chats is not a known limit", "1")},
         {R"({"id":"x","name":")" + long_name + R"(","welcome":"W"})",
          value_error_item(R"(["body","name"])",
                           "name must be at most 200 bytes",
                           json_quote(long_name))},
         {R"({"id":"x","name":""})",
          value_error_item(R"(["body","name"])", "name must not be empty",
                           R"("")")
            + ","
            + value_error_item(R"(["body","welcome"])", "welcome is required",
                               R"({"id":"x","name":""})")},
       }) {
    expect_422(admin_post("/tenants", b.body),
               R"({"detail":[)" + b.detail + "]}");
  }
  // A reply template that does not compile: reported at "reply".
  auto res = admin_post("/tenants",
                        R"({"id":"x","name":"N","welcome":"W","reply":"{nope}"})");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  auto item = json::parse(res.body()).at("detail").at(0);
  EXPECT_EQ(item.at("type"), "value_error");
  EXPECT_EQ(item.at("loc"), json::parse(R"(["body","reply"])"));
  EXPECT_EQ(item.at("input"), "{nope}");
  // A name of exactly 200 bytes is fine.
  auto at_limit = plain_tenant("at-limit");
  at_limit.name = std::string(200, 'n');
  create_tenant(at_limit);
  // Nothing else was created.
  EXPECT_EQ(client.get("/").body(),
            R"({"ok":true,"tenants":["acme","globex","initech","at-limit"]})");
  expect_detail(client.post("/session", session_json("x")),
                status::not_found, "Unknown tenant_id");
}

// The attack run's amplification: a template that repeats {message} (or a
// long welcome) makes megabytes from a small chat. Refused where it is set.
std::string repeated(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i)
    out += piece;
  return out;
}

TEST_F(HttpAdminCreate, AReplyThatCouldExceedMaxReplyBytesIs422NamingTheLimit) {
  for (auto reply : {repeated("{message}", 444), repeated("{welcome}", 444)}) {
    auto body = json::serialize(json::object{
      {"id", "amp"}, {"name", "Amp"}, {"welcome", std::string(1000, 'w')},
      {"reply", reply}});
    auto res = admin_post("/tenants", body);
    ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
    auto item = json::parse(res.body()).at("detail").at(0);
    EXPECT_EQ(item.at("loc"), json::parse(R"(["body","reply"])"));
    auto msg = std::string{item.at("msg").as_string()};
    EXPECT_NE(msg.find("MAX_REPLY_BYTES (131072)"), std::string::npos) << msg;
  }
  // Five {message} of 4,096 characters fit (5 x 24 KiB: a control
  // character is 6 bytes as sent).
  auto fits = plain_tenant("fits");
  fits.reply = repeated("{message}", 5);
  create_tenant(fits);
  EXPECT_EQ(admin_get("/tenants/amp").result(), status::not_found);
}

TEST_F(HttpAdminCreate, AMalformedBodyIs422AsForSession) {
  auto res = admin_post("/tenants", "{oops");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("detail").at(0).at("type"),
            "json_invalid");
  res = admin_post("/tenants", "{\"id\":\"ac\xFFme\"}");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("detail").at(0).at("type"),
            "json_invalid");
  expect_422(admin_post("/tenants", "[1]"), not_an_object("[1]"));
  expect_422(admin_post("/tenants", "null"), missing_body);
  expect_422(admin_request(client, verb::post, "/tenants", ""), missing_body);
  auto body = config_json(hooli());
  expect_422(admin_request(client, verb::post, "/tenants", body, "text/plain"),
             not_an_object(json_quote(body)));
  EXPECT_EQ(client.get("/").body(), seed_root);
}

TEST_F(HttpAdminRead, AnUnknownOrInvalidIdIs404) {
  for (auto id : {"nope", "ACME", "not%20valid", "a.b"}) {
    auto path = std::string{"/tenants/"} + id;
    SCOPED_TRACE(path);
    expect_detail(admin_get(path), status::not_found, "Unknown tenant_id");
    expect_detail(admin_patch(path, R"({"name":"N"})"), status::not_found,
                  "Unknown tenant_id");
    expect_detail(admin_delete(path), status::not_found, "Unknown tenant_id");
    expect_detail(admin_post(path + "/suspend"), status::not_found,
                  "Unknown tenant_id");
    expect_detail(admin_post(path + "/resume"), status::not_found,
                  "Unknown tenant_id");
  }
}

TEST_F(HttpAdminRead, StatsCountSessionsChatsAndRateLimitedChats) {
  create_tenant(hooli(2));
  std::string sids[] = {open_session("hooli"), open_session("hooli"),
                        open_session("hooli")};
  EXPECT_EQ(chat("hooli", sids[0], "1").result(), status::ok);
  EXPECT_EQ(chat("hooli", sids[1], "2").result(), status::ok);
  EXPECT_EQ(chat("hooli", sids[2], "3").result(), status::too_many_requests);
  EXPECT_EQ(chat("hooli", sids[0], "4").result(), status::too_many_requests);
  auto res = admin_get("/tenants/hooli");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("stats"),
            json::parse(
              R"({"active":true,"sessions":3,"chats":2,"rate_limited":2})"));
  // A tenant nobody has used yet is not active (its actor is not running).
  EXPECT_EQ(json::parse(admin_get("/tenants/initech").body()).at("stats"),
            json::parse(
              R"({"active":false,"sessions":0,"chats":0,"rate_limited":0})"));
}

TEST_F(HttpAdminRead, TheListingPagesThroughEveryTenantInCreationOrder) {
  for (auto id : {"t-1", "t-2", "t-3", "t-4"})
    create_tenant(plain_tenant(id));
  ASSERT_EQ(admin_post("/tenants/t-2/suspend").result(), status::ok);
  ASSERT_EQ(admin_delete("/tenants/t-3").result(), status::ok);
  const std::string all
    = R"([{"id":"acme","status":"active"},{"id":"globex","status":"active"},)"
      R"({"id":"initech","status":"active"},{"id":"t-1","status":"active"},)"
      R"({"id":"t-2","status":"suspended"},{"id":"t-3","status":"archived"},)"
      R"({"id":"t-4","status":"active"}])";
  for (auto target : {"/tenants", "/tenants?", "/tenants?offset=0&limit=100"}) {
    auto res = admin_get(target);
    ASSERT_EQ(res.result(), status::ok) << target << ": " << res.body();
    EXPECT_EQ(res.body(), R"({"tenants":)" + all
                            + R"(,"offset":0,"limit":100,"total":7,"next":null})")
      << target;
  }
  // Following "next" from the first page of 3 visits every tenant once.
  std::vector<std::string> seen;
  std::vector<std::string> targets;
  json::value next = "/tenants?limit=3";
  while (next.is_string()) {
    targets.emplace_back(next.as_string());
    auto res = admin_get(targets.back());
    ASSERT_EQ(res.result(), status::ok) << res.body();
    auto page = json::parse(res.body());
    EXPECT_EQ(page.at("total"), 7);
    EXPECT_EQ(page.at("limit"), 3);
    for (auto& t : page.at("tenants").as_array())
      seen.emplace_back(t.at("id").as_string());
    next = page.at("next");
    ASSERT_LT(targets.size(), 5u) << "no end to the pages";
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/tenants?limit=3",
                                               "/tenants?offset=3&limit=3",
                                               "/tenants?offset=6&limit=3"}));
  EXPECT_EQ(seen, (std::vector<std::string>{"acme", "globex", "initech", "t-1",
                                            "t-2", "t-3", "t-4"}));
  EXPECT_EQ(
    admin_get("/tenants?offset=50&limit=5").body(),
    R"({"tenants":[],"offset":50,"limit":5,"total":7,"next":null})");
  EXPECT_EQ(
    admin_get("/tenants?limit=1&offset=6").body(),
    R"({"tenants":[{"id":"t-4","status":"active"}],"offset":6,"limit":1,"total":7,"next":null})");
}

TEST_F(HttpAdminRead, BadListingParametersAre422) {
  struct bad {
    const char* query;
    const char* name;
    const char* type;
  };
  for (auto b : {bad{"limit=0", "limit", "greater_than_equal"},
                 bad{"limit=1001", "limit", "less_than_equal"},
                 bad{"offset=-1", "offset", "greater_than_equal"},
                 bad{"limit=ten", "limit", "int_parsing"},
                 bad{"offset=", "offset", "int_parsing"},
                 bad{"offset=1.0", "offset", "int_parsing"},
                 bad{"page=2", "page", "extra_forbidden"},
                 bad{"limit=5&sort=id", "sort", "extra_forbidden"}}) {
    auto res = admin_get(std::string{"/tenants?"} + b.query);
    ASSERT_EQ(res.result(), status::unprocessable_entity) << b.query;
    auto items = json::parse(res.body()).at("detail").as_array();
    ASSERT_EQ(items.size(), 1u) << res.body();
    EXPECT_EQ(items[0].at("type"), b.type) << b.query;
    EXPECT_EQ(items[0].at("loc"), (json::array{"query", b.name})) << b.query;
  }
  expect_422(
    admin_get("/tenants?limit=0"),
    R"({"detail":[{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}]})");
}

TEST_F(HttpAdminPatch, AChangeIsSeenByTheVeryNextChatAndSessionsStayValid) {
  create_tenant(hooli());
  auto sid = open_session("hooli");
  ASSERT_EQ(chat("hooli", sid, "one").result(), status::ok);
  auto res = admin_patch("/tenants/hooli",
                         R"({"welcome":"Hooli says hello.",)"
                         R"("reply":"{welcome} v2: {message|reverse}"})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body.at("welcome"), "Hooli says hello.");
  EXPECT_EQ(body.at("reply"), "{welcome} v2: {message|reverse}");
  EXPECT_EQ(body.at("name"), "Hooli"); // untouched
  EXPECT_EQ(body.at("status"), "active");
  EXPECT_GE(std::string{body.at("updated_at").as_string()},
            std::string{body.at("created_at").as_string()});
  // The session opened before the change is still valid and gets the new
  // reply on the very next request.
  EXPECT_EQ(chat("hooli", sid, "two").body(),
            chat_response("hooli", sid, R"("Hooli says hello. v2: owt")",
                          "mock-h"));
  auto grant = client.post("/session", session_json("hooli"));
  EXPECT_EQ(json::parse(grant.body()).at("tenant").at("welcome"),
            "Hooli says hello.");
  // And from another connection at once.
  http_client other{server.port()};
  EXPECT_EQ(chat(other, "hooli", sid, "abc").body(),
            chat_response("hooli", sid, R"("Hooli says hello. v2: cba")",
                          "mock-h"));
}

TEST_F(HttpAdminPatch, NullRemovesAnOptionalField) {
  create_tenant(hooli(1));
  auto sid = open_session("hooli");
  auto first = chat("hooli", sid, "a");
  ASSERT_EQ(first.result(), status::ok);
  EXPECT_EQ(header(first, "RateLimit-Policy"), R"("chat";q=1;w=10)");
  ASSERT_EQ(chat("hooli", sid, "b").result(), status::too_many_requests);
  auto res = admin_patch("/tenants/hooli",
                         R"({"limits":{"chat_per_10s":null},"model":null})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body.at("limits"), json::object{});
  EXPECT_EQ(body.at("model"), "mock"); // back to the default
  // Unlimited now: admitted, without rate-limit headers.
  for (int i = 0; i < 5; ++i) {
    auto again = chat("hooli", sid, "c");
    ASSERT_EQ(again.result(), status::ok) << again.body();
    EXPECT_EQ(header(again, "RateLimit-Policy"), "");
    EXPECT_EQ(json::parse(again.body()).at("model"), "mock");
  }
  EXPECT_EQ(json::parse(admin_get("/tenants/hooli").body()).at("limits"),
            json::object{});
}

// An upstream API key is write-only: set by create or patch, kept by a
// patch that does not name it, removed by null, never answered.
TEST_F(HttpAdminPatch, AnAiKeyIsWriteOnly) {
  auto created = admin_post(
    "/tenants",
    R"({"id":"hooli","name":"Hooli","welcome":"Hi","ai":{"provider":"openai",)"
    R"("base_url":"https://api.example.com/v1","model":"gpt-4o-mini",)"
    R"("api_key":"sk-hooli-secret-1"}})");
  ASSERT_EQ(created.result(), status::created) << created.body();
  EXPECT_EQ(created.body().find("sk-hooli"), std::string::npos);
  auto ai = json::parse(created.body()).at("ai");
  EXPECT_EQ(ai, json::parse(R"({"provider":"openai",)"
                            R"("base_url":"https://api.example.com/v1",)"
                            R"("model":"gpt-4o-mini","api_key_set":true,)"
                            R"("max_tokens":1024,"timeout_ms":60000,)"
                            R"("connect_timeout_ms":5000,"system_prompt":"",)"
                            R"("history":{"turns":20,"tokens":4000},)"
                            R"("breaker":{"failures":5,"cooldown_ms":30000},)"
                            R"("fallbacks":[]})"));
  auto got = admin_get("/tenants/hooli");
  EXPECT_EQ(json::parse(got.body()).at("ai"), ai);
  auto renamed = admin_patch("/tenants/hooli", R"({"ai":{"model":"gpt-4o"}})");
  ASSERT_EQ(renamed.result(), status::ok) << renamed.body();
  EXPECT_EQ(json::parse(renamed.body()).at("ai").at("api_key_set"), true);
  auto removed = admin_patch("/tenants/hooli", R"({"ai":{"api_key":null}})");
  ASSERT_EQ(removed.result(), status::ok) << removed.body();
  EXPECT_EQ(json::parse(removed.body()).at("ai").at("api_key_set"), false);
  // The audit trail records the changes without the key.
  auto audit = admin_get("/tenants/hooli/audit");
  ASSERT_EQ(audit.result(), status::ok) << audit.body();
  EXPECT_NE(audit.body().find("api_key_set"), std::string::npos);
  EXPECT_EQ(audit.body().find("sk-hooli"), std::string::npos);
}

// A 422 echoes what was sent at each problem's field, never a key: not at
// the key's own field, nor in the object or list around it.
TEST_F(HttpAdminCreate, AnInvalidAiConfigIs422WithoutEchoingKeys) {
  for (auto* ai :
       {R"({"provider":"openai","api_key":"sk-echo-secret with space"})",
        R"({"provider":"openai","base_url":"ftp://x","model":"m",)"
        R"("api_key":"sk-echo-secret","temperature":9})",
        R"({"fallbacks":[{"base_url":"http://h","api_key":"sk-echo-secret"}]})",
        R"({"fallbacks":[1,2,3,4,{"api_key":"sk-echo-secret"}]})",
        R"({"apiKey":"sk-echo-secret"})",
        R"({"fallbacks":{"base_url":"http://h","api_key":"sk-echo-secret"}})"}) {
    SCOPED_TRACE(ai);
    auto res = admin_post("/tenants",
                          std::string{R"({"id":"hooli","name":"H","welcome":"W","ai":)"}
                            + ai + "}");
    ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
    EXPECT_EQ(res.body().find("sk-echo-secret"), std::string::npos)
      << res.body();
    EXPECT_NE(res.body().find("\"ai\""), std::string::npos) << res.body();
  }
  create_tenant(hooli());
  auto res = admin_patch("/tenants/hooli",
                         R"({"ai":{"api_key":"sk-echo-secret","max_tokens":0}})");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(res.body().find("sk-echo-secret"), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("ai.max_tokens must be between 1 and 1000000"),
            std::string::npos)
    << res.body();
}

TEST_F(HttpAdminPatch, OnlyMergePatchOrJsonContentTypesAre415Free) {
  for (std::optional<std::string> ct :
       {std::optional<std::string>{}, std::optional<std::string>{"text/plain"},
        std::optional<std::string>{"application/json-patch+json"},
        std::optional<std::string>{"application/x-www-form-urlencoded"}}) {
    expect_detail(client.request(verb::patch, "/tenants/acme",
                                 R"({"name":"X"})", ct, admin_auth),
                  status::unsupported_media_type,
                  "Unsupported Media Type: use application/merge-patch+json");
  }
  for (auto ct : {"application/merge-patch+json",
                  "Application/Merge-Patch+JSON; charset=utf-8",
                  "application/json", "application/json; charset=utf-8"}) {
    auto res = client.request(verb::patch, "/tenants/acme",
                              R"({"name":"Acme Corp"})", std::string{ct},
                              admin_auth);
    EXPECT_EQ(res.result(), status::ok) << ct << ": " << res.body();
  }
}

TEST_F(HttpAdminPatch, AnInvalidPatchIs422AndChangesNothing) {
  auto before = without_stats(json::parse(admin_get("/tenants/acme").body())
                                .as_object());
  auto res = admin_patch("/tenants/acme", "{oops");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("detail").at(0).at("type"),
            "json_invalid");
  expect_422(admin_patch("/tenants/acme", "[1]"), not_an_object("[1]"));
  expect_422(admin_patch("/tenants/acme", R"("x")"), not_an_object(R"("x")"));
  expect_422(admin_patch("/tenants/acme", "null"), missing_body);
  expect_422(admin_request(client, verb::patch, "/tenants/acme", "",
                           "application/merge-patch+json"),
             missing_body);
  struct bad {
    const char* patch;
    std::string item;
  };
  for (auto& b : std::vector<bad>{
         {R"({"name":""})", value_error_item(R"(["body","name"])",
                                             "name must not be empty", R"("")")},
         {R"({"name":null})", value_error_item(R"(["body","name"])",
                                               "name is required", "null")},
         {R"({"id":"other"})", value_error_item(R"(["body","id"])",
                                                "id cannot be changed",
                                                R"("other")")},
         {R"({"limits":{"chat_per_10s":0}})",
          value_error_item(R"(["body","limits","chat_per_10s"])",
                           "limits.chat_per_10s must be between 1 and "
                           "1000000000",
                           "0")},
         {R"({"colour":"red"})",
          value_error_item(R"(["body","colour"])",
                           "colour is not a known field", R"("red")")},
         {R"({"limits":"none"})",
          value_error_item(R"(["body","limits"])", "limits must be an object",
                           R"("none")")},
       }) {
    expect_422(admin_patch("/tenants/acme", b.patch),
               R"({"detail":[)" + b.item + "]}");
  }
  // A patch that makes the reply's worst case too large: at the reply,
  // naming the limit; a longer welcome counts too.
  for (auto patch : {json::serialize(json::object{{"reply", repeated("{message}", 9)}}),
                     json::serialize(json::object{
                       {"welcome", std::string(1000, 'w')},
                       {"reply", "{welcome}" + repeated("{welcome}", 140)}})}) {
    res = admin_patch("/tenants/acme", patch);
    ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
    auto item = json::parse(res.body()).at("detail").at(0);
    EXPECT_EQ(item.at("loc"), json::parse(R"(["body","reply"])"));
    EXPECT_NE(std::string{item.at("msg").as_string()}.find("MAX_REPLY_BYTES"),
              std::string::npos);
  }
  res = admin_patch("/tenants/acme", R"({"reply":"{nope}"})");
  ASSERT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("detail").at(0).at("loc"),
            json::parse(R"(["body","reply"])"));
  // Unchanged, and serving as before.
  EXPECT_EQ(without_stats(
              json::parse(admin_get("/tenants/acme").body()).as_object()),
            before);
  auto sid = open_session("acme");
  EXPECT_EQ(
    chat("acme", sid, "hi").body(),
    chat_response("acme", sid, json_quote(seed_reply("acme", "hi")), "mock-1"));
}

TEST_F(HttpAdminLifecycle, SuspendRefusesSessionsAndChatsUntilResumed) {
  auto sid = open_session("acme");
  auto res = admin_post("/tenants/acme/suspend");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("status"), "suspended");
  expect_detail(client.post("/session", session_json("acme")),
                status::forbidden, "Tenant is suspended");
  expect_detail(chat("acme", sid, "hi"), status::forbidden,
                "Tenant is suspended");
  EXPECT_EQ(client.get("/").body(),
            R"({"ok":true,"tenants":["globex","initech"]})");
  EXPECT_EQ(json::parse(admin_get("/tenants/acme").body()).at("status"),
            "suspended");
  // Suspending again changes nothing; a body, if any, is ignored.
  EXPECT_EQ(admin_request(client, verb::post, "/tenants/acme/suspend",
                          "ignored", "text/plain")
              .result(),
            status::ok);
  // Others are served as usual.
  auto globex = open_session("globex");
  EXPECT_EQ(chat("globex", globex, "hi").result(), status::ok);

  res = admin_post("/tenants/acme/resume");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("status"), "active");
  EXPECT_EQ(client.get("/").body(), seed_root); // in creation order again
  EXPECT_EQ(
    chat("acme", sid, "back").body(),
    chat_response("acme", sid, json_quote(seed_reply("acme", "back")),
                  "mock-1"));
  // Resuming an active tenant changes nothing either.
  EXPECT_EQ(admin_post("/tenants/acme/resume").result(), status::ok);
}

TEST_F(HttpAdminLifecycle, ArchiveEndsATenantForGoodAndIsIdempotent) {
  create_tenant(hooli());
  auto sid = open_session("hooli");
  auto res = admin_delete("/tenants/hooli");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto archived = json::parse(res.body());
  EXPECT_EQ(archived.at("status"), "archived");
  EXPECT_EQ(archived.at("name"), "Hooli");
  expect_detail(client.post("/session", session_json("hooli")),
                status::not_found, "Unknown tenant_id");
  expect_detail(chat("hooli", sid, "hi"), status::not_found,
                "Unknown tenant_id");
  EXPECT_EQ(client.get("/").body(), seed_root);
  auto got = admin_get("/tenants/hooli");
  ASSERT_EQ(got.result(), status::ok) << got.body();
  EXPECT_EQ(json::parse(got.body()).at("status"), "archived");
  EXPECT_EQ(json::parse(got.body()).at("stats").at("sessions"), 0);
  // Its id stays taken; it cannot change any more; archiving again is fine.
  expect_detail(admin_post("/tenants", config_json(hooli())),
                status::conflict, "Tenant already exists");
  expect_detail(admin_patch("/tenants/hooli", R"({"name":"Again"})"),
                status::conflict, "Tenant is archived");
  expect_detail(admin_post("/tenants/hooli/resume"), status::conflict,
                "Tenant is archived");
  expect_detail(admin_post("/tenants/hooli/suspend"), status::conflict,
                "Tenant is archived");
  auto again = admin_delete("/tenants/hooli");
  ASSERT_EQ(again.result(), status::ok) << again.body();
  EXPECT_EQ(json::parse(again.body()).at("status"), "archived");
  auto listed = json::parse(admin_get("/tenants").body());
  EXPECT_EQ(listed.at("tenants").at(3),
            json::parse(R"({"id":"hooli","status":"archived"})"));
}

TEST(HttpAdminConcurrency, AThousandTenantsCreatedAtOnceAreListedAndServed) {
  // Under ThreadSanitizer this runs 100 times slower (40 s against 0.4 s),
  // and a WAL checkpoint of the 1,000 tenants' rows (their audit events
  // too) can hold a session's commit past the default 2 s: the ask timeout
  // scales as the sanitized runs' other waits do (TENANTD_TEST_TIME_SCALE).
  auto config = test_config();
  config.ask_timeout *= time_scale();
  running_service server{seed_tenants(), config};
  constexpr int threads = 16;
  constexpr int count = 1000;
  auto id_of = [](int i) { return "load-" + std::to_string(i); };
  std::mutex mtx;
  std::vector<std::string> failures;
  auto fail = [&](std::string what) {
    std::lock_guard<std::mutex> guard{mtx};
    failures.push_back(std::move(what));
  };
  // Each client thread takes the next number until all are done.
  auto in_parallel = [&](auto work) {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        try {
          http_client c{server.port()};
          for (int i = next++; i < count; i = next++)
            work(c, i);
        } catch (const std::exception& e) {
          fail(std::string{"client error: "} + e.what());
        }
      });
    for (auto& th : pool)
      th.join();
  };
  in_parallel([&](http_client& c, int i) {
    auto id = id_of(i);
    auto res = admin_request(c, verb::post, "/tenants",
                             config_json(bulk_tenant(id)));
    if (res.result() != status::created || header(res, "Location") != "/tenants/" + id)
      fail("create " + id + ": " + res.body());
  });
  ASSERT_TRUE(failures.empty()) << failures.size() << " failures, first: "
                                << failures.front();

  http_client c{server.port()};
  auto res = admin_request(c, verb::get, "/tenants?offset=3&limit=1000");
  ASSERT_EQ(res.result(), status::ok);
  auto page = json::parse(res.body());
  EXPECT_EQ(page.at("total"), 3 + count);
  EXPECT_TRUE(page.at("next").is_null());
  std::set<std::string> listed;
  for (auto& t : page.at("tenants").as_array()) {
    listed.emplace(t.at("id").as_string());
    EXPECT_EQ(t.at("status"), "active");
  }
  std::set<std::string> expected;
  for (int i = 0; i < count; ++i)
    expected.insert(id_of(i));
  EXPECT_EQ(listed, expected);

  in_parallel([&](http_client& c, int i) {
    auto id = id_of(i);
    auto grant = c.post("/session", session_json(id));
    if (grant.result() != status::ok)
      return fail("session " + id + ": " + grant.body());
    std::string sid{json::parse(grant.body()).at("session_id").as_string()};
    auto reply = c.post("/chat", chat_json(id, sid, "hi"));
    auto expected_reply = "Hi from " + id + ". [" + id + "|Bulk " + id
                          + "|mock-" + id + "] hi";
    if (reply.body()
        != chat_response(id, sid, json_quote(expected_reply), "mock-" + id))
      fail("chat " + id + ": " + reply.body());
  });
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    ADD_FAILURE() << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures";
}

} // namespace
