#pragma once

// The harness of the HTTP-level tests: the real service (actor system,
// registry, bridge, router, Beast server) in-process on 127.0.0.1 with an
// ephemeral port (running_service.hpp), driven by a real HTTP client
// (http_client.hpp), and the bodies and expectations of the seed's
// contract (FastAPI 0.115 + pydantic 2: status codes, exact bodies and key
// order, its 422 shapes, the mock replies byte for byte). Each test gets a
// service of its own, so no rate-limit window or session leaks from one
// test into another.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/tenant_config.hpp"
#include "http/json/codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/running_service.hpp"
#include "tests/support/test_tenants.hpp"
#include "tests/support/uuid.hpp"

namespace tenantd::test {

namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using bhttp::verb;

// -- bodies -------------------------------------------------------------------

inline std::string session_json(std::string_view tenant) {
  return json::serialize(json::object{{"tenant_id", tenant}});
}

inline std::string chat_json(std::string_view tenant, std::string_view session,
                         std::string_view message) {
  json::object obj;
  obj["tenant_id"] = tenant;
  obj["session_id"] = session;
  obj["message"] = message;
  return json::serialize(obj);
}

/// JSON string literal of `s` (ASCII input: the escaping is the seed's).
inline std::string json_quote(std::string_view s) {
  return json::serialize(json::string{s});
}

inline std::string detail(std::string_view text) {
  return R"({"detail":)" + json_quote(text) + "}";
}

/// The seed's exact /chat body, `reply_json` already a JSON string literal.
inline std::string chat_response(std::string_view tenant, std::string_view session,
                          std::string_view reply_json, std::string_view model) {
  return R"({"tenant_id":)" + json_quote(tenant) + R"(,"session_id":)"
         + json_quote(session) + R"(,"reply":)" + std::string{reply_json}
         + R"(,"model":)" + json_quote(model) + R"(,"mock":true})";
}

/// The seed's reply for `tenant` to an ASCII `message`.
inline std::string seed_reply(std::string_view tenant, std::string message) {
  auto b = message.find_first_not_of(" \t\r\n\v\f");
  message = b == std::string::npos
              ? std::string{}
              : message.substr(b,
                               message.find_last_not_of(" \t\r\n\v\f") - b + 1);
  if (tenant == "acme")
    return "Howdy from Acme! [ACME MOCK] You said: '" + message
           + "'. Here's it reversed: '"
           + std::string{message.rbegin(), message.rend()} + "'";
  if (tenant == "globex") {
    for (auto& c : message)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return "Welcome from Globex. [GLOBEX MOCK] Echo: " + message;
  }
  return "Initech says hi. [INITECH MOCK] Got it. '" + message
         + "'. (pretend-smart summary).";
}

inline const std::map<std::string, std::string> seed_models = {
  {"acme", "mock-1"}, {"globex", "mock-2"}, {"initech", "mock-3"}};


/// Opens a session on `c` and returns its id (empty, and a failure, if
/// that did not work).
inline std::string open_session(http_client& c, std::string_view tenant) {
  auto res = c.post("/session", session_json(tenant));
  EXPECT_EQ(res.result(), status::ok) << res.body();
  if (res.result() != status::ok)
    return {};
  return std::string{json::parse(res.body()).at("session_id").as_string()};
}

/// POST /chat's body asking for server-sent events ("stream": true).
inline std::string stream_chat_json(std::string_view tenant,
                                    std::string_view session,
                                    std::string_view message) {
  auto body = json::parse(chat_json(tenant, session, message)).as_object();
  body["stream"] = true;
  return json::serialize(body);
}

/// One server-sent event: its name ("message" if none) and its data.
struct sse_event {
  std::string name;
  std::string data;
};

/// The events of a text/event-stream body (name and data lines only).
inline std::vector<sse_event> parse_events(std::string_view body) {
  std::vector<sse_event> events;
  sse_event next;
  bool any = false;
  while (!body.empty()) {
    auto end = body.find('\n');
    auto line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{}
                                         : body.substr(end + 1);
    if (line.empty()) {
      if (any)
        events.push_back({next.name.empty() ? "message" : next.name, next.data});
      next = {};
      any = false;
    } else if (line.rfind("event: ", 0) == 0) {
      next.name = std::string{line.substr(7)};
      any = true;
    } else if (line.rfind("data: ", 0) == 0) {
      if (!next.data.empty())
        next.data += '\n';
      next.data += line.substr(6);
      any = true;
    }
  }
  return events;
}

inline std::string header(const http_response& res, std::string_view name) {
  auto it = res.find(beast::string_view{name.data(), name.size()});
  return it == res.end() ? std::string{} : std::string{it->value()};
}

/// Asserts `res` is `st` with body {"detail":"<text>"} as JSON.
inline void expect_detail(const http_response& res, status st, std::string_view text) {
  EXPECT_EQ(res.result(), st) << res.body();
  EXPECT_EQ(res.body(), detail(text));
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
}

/// Asserts `res` is a 401 of the admin API with `text` and `challenge`.
inline void expect_401(const http_response& res, std::string_view text,
                std::string_view challenge) {
  expect_detail(res, status::unauthorized, text);
  EXPECT_EQ(header(res, "WWW-Authenticate"), challenge);
}

inline const http_headers admin_auth = {{"Authorization",
                                  "Bearer " + test_admin_token}};

/// An admin request with the test token; `content_type` is sent with a body.
inline http_response admin_request(http_client& c, verb method,
                            std::string_view target, std::string body = {},
                            std::optional<std::string> content_type
                            = std::nullopt) {
  if (!body.empty() && !content_type)
    content_type = method == verb::patch ? "application/merge-patch+json"
                                         : "application/json";
  return c.request(method, target, std::move(body), std::move(content_type),
                   admin_auth);
}

/// The tenants-file form of `cfg`: the body POST /tenants takes.
inline std::string config_json(const tenant_config& cfg) {
  return json::serialize(to_json(cfg));
}

// -- fixtures -----------------------------------------------------------------

/// A fresh service with the seed's tenants (from the repo's tenants.jsonl).
class http_test : public ::testing::Test {
protected:
  explicit http_test(std::vector<tenant_config> tenants = seed_tenants(),
                     app_config config = test_config())
      : server(std::move(tenants), config), client(server.port()) {
  }

  std::string open_session(http_client& c, std::string_view tenant) {
    return test::open_session(c, tenant);
  }
  std::string open_session(std::string_view tenant) {
    return open_session(client, tenant);
  }

  http_response chat(http_client& c, std::string_view tenant,
                     std::string_view session, std::string_view message) {
    return c.post("/chat", chat_json(tenant, session, message));
  }
  http_response chat(std::string_view tenant, std::string_view session,
                     std::string_view message) {
    return chat(client, tenant, session, message);
  }

  // The admin API on `client`, with the token.
  http_response admin_get(std::string_view target) {
    return admin_request(client, verb::get, target);
  }
  http_response admin_post(std::string_view target, std::string body = {}) {
    return admin_request(client, verb::post, target, std::move(body));
  }
  http_response admin_patch(std::string_view target, std::string body) {
    return admin_request(client, verb::patch, target, std::move(body));
  }
  http_response admin_delete(std::string_view target) {
    return admin_request(client, verb::delete_, target);
  }

  /// POST /tenants; expects 201.
  void create_tenant(const tenant_config& cfg) {
    auto res = admin_post("/tenants", config_json(cfg));
    EXPECT_EQ(res.result(), status::created) << res.body();
  }

  running_service server;
  http_client client;
};

/// The seed's tenants plus one with an unlimited window ("bulk").
class http_bulk_test : public http_test {
protected:
  http_bulk_test() : http_test(with_bulk()) {
  }
  static std::vector<tenant_config> with_bulk() {
    auto tenants = seed_tenants();
    tenants.push_back(bulk_tenant());
    return tenants;
  }
};


// -- 422: request validation as FastAPI + pydantic 2
// ---------------------------

constexpr std::string_view missing_body
  = R"({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})";

inline std::string not_an_object(std::string_view input_json) {
  return R"({"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":)"
         + std::string{input_json} + "}]}";
}

inline std::string missing_item(std::string_view field, std::string_view input_json) {
  return R"({"type":"missing","loc":["body",")" + std::string{field}
         + R"("],"msg":"Field required","input":)" + std::string{input_json}
         + "}";
}

inline std::string string_type_item(std::string_view field,
                             std::string_view input_json) {
  return R"({"type":"string_type","loc":["body",")" + std::string{field}
         + R"("],"msg":"Input should be a valid string","input":)"
         + std::string{input_json} + "}";
}

inline std::string errors(std::initializer_list<std::string> items) {
  std::string out = R"({"detail":[)";
  bool first = true;
  for (auto& item : items) {
    if (!first)
      out += ",";
    out += item;
    first = false;
  }
  return out + "]}";
}

inline void expect_422(const http_response& res, std::string_view body) {
  EXPECT_EQ(res.result(), status::unprocessable_entity) << res.body();
  EXPECT_EQ(res.body(), body);
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
}

inline tenant_config hooli(uint32_t chat_per_10s = 0) {
  return make_tenant(
    "hooli", "Hooli", "Hooli welcomes you.", "mock-h", chat_per_10s,
    "{welcome} [HOOLI MOCK] {message|upper} / {message|reverse} "
    "({name}, {id}, {model})");
}

/// A tenant with the default reply, so replies are easy to predict.
inline tenant_config plain_tenant(std::string id) {
  return make_tenant(id, "Tenant " + id, "Hi from " + id + ".", "mock", 0,
                     tenant_config::default_reply);
}

constexpr std::string_view seed_root
  = R"({"ok":true,"tenants":["acme","globex","initech"]})";

/// One 422 item for a config problem.
inline std::string value_error_item(std::string_view loc_json, std::string_view msg,
                             std::string_view input_json) {
  return R"({"type":"value_error","loc":)" + std::string{loc_json}
         + R"(,"msg":)" + json_quote(msg) + R"(,"input":)"
         + std::string{input_json} + "}";
}

/// The fields of a tenant representation that are not its stats.
inline json::object without_stats(json::object tenant) {
  tenant.erase("stats");
  return tenant;
}

// -- operability: metrics, health, request ids, limits on bodies --------------

/// The value of the sample `name{labels}` in a Prometheus text scrape, or -1.
inline double sample(const std::string& scrape, const std::string& series) {
  auto at = scrape.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(scrape.substr(at + series.size() + 2));
}

inline std::string requests_series(std::string_view tenant, std::string_view route,
                            std::string_view method, int code) {
  return "tenantd_http_requests_total{code=\"" + std::to_string(code)
         + "\",method=\"" + std::string{method} + "\",route=\""
         + std::string{route} + "\",tenant=\"" + std::string{tenant} + "\"}";
}

} // namespace tenantd::test
