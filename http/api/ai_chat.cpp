#include "http/api/ai_chat.hpp"

#include <memory>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/respond.hpp"
#include "http/upstream/client.hpp"
#include "util/log.hpp"

namespace tenantd::http::api {

namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;
using beast_http::status;

// The Chat Completions request for `route`.
std::string completion_request(const upstream_plan& plan,
                               const ai_upstream& route) {
  json::array messages;
  for (auto& turn : plan.messages)
    messages.push_back({{"role", turn.role}, {"content", turn.content}});
  json::object body{{"model", route.model},
                    {"messages", std::move(messages)},
                    {"max_tokens", plan.max_tokens},
                    {"stream", false}};
  if (plan.temperature >= 0)
    body["temperature"] = plan.temperature;
  return json::serialize(body);
}

// Reads choices[0].message.content, model and usage of a completion; false
// if there is no reply in it.
bool read_completion(const std::string& text, upstream_outcome& out) {
  json::error_code ec;
  auto value = json::parse(text, ec);
  auto* obj = ec ? nullptr : value.if_object();
  auto* choices = obj != nullptr ? obj->if_contains("choices") : nullptr;
  auto* list = choices != nullptr ? choices->if_array() : nullptr;
  if (list == nullptr || list->empty() || !(*list)[0].is_object())
    return false;
  auto* message = (*list)[0].as_object().if_contains("message");
  auto* content = message != nullptr && message->is_object()
                    ? message->as_object().if_contains("content")
                    : nullptr;
  if (content == nullptr || !content->is_string())
    return false;
  out.reply = std::string{content->get_string()};
  if (auto* model = obj->if_contains("model"); model && model->is_string())
    out.model = std::string{model->get_string()};
  if (auto* usage = obj->if_contains("usage"); usage && usage->is_object()) {
    auto count = [&](const char* key) -> uint32_t {
      auto* n = usage->as_object().if_contains(key);
      return n != nullptr && n->is_int64() && n->get_int64() >= 0
               ? static_cast<uint32_t>(std::min<int64_t>(n->get_int64(),
                                                         UINT32_MAX))
               : 0;
    };
    out.prompt_tokens = count("prompt_tokens");
    out.completion_tokens = count("completion_tokens");
  }
  return true;
}

// The response for the last route's failure.
response refusal_for(const request_facts& facts, const upstream::answer& a) {
  if (a.error == upstream::failure::timeout)
    return detail_response(facts, status::gateway_timeout,
                           "Upstream timed out");
  if (a.error != upstream::failure::none)
    return detail_response(facts, status::bad_gateway, "Upstream unreachable");
  if (a.status == 429) {
    auto res = detail_response(facts, status::too_many_requests,
                               "Upstream rate limit exceeded");
    if (!a.retry_after.empty())
      res.set(beast_http::field::retry_after, a.retry_after);
    return res;
  }
  if (a.status >= 200 && a.status < 300)
    return detail_response(facts, status::bad_gateway,
                           "Upstream answered without a reply");
  return detail_response(facts, status::bad_gateway,
                         "Upstream error (status " + std::to_string(a.status)
                           + ")");
}

struct attempt_state {
  upstream::client& client;
  request_facts facts;
  std::string tenant;
  upstream_plan plan;
  std::function<void(upstream_outcome)> done;
  std::size_t next = 0;
};

void try_next(std::shared_ptr<attempt_state> st) {
  auto& route = st->plan.routes[st->next];
  upstream::call c;
  c.url = parse_upstream_url(route.base_url).value_or(upstream_url{});
  c.path = "/chat/completions";
  c.body = completion_request(st->plan, route);
  c.api_key = route.api_key;
  c.connect_timeout = std::chrono::milliseconds{st->plan.connect_timeout_ms};
  c.timeout = std::chrono::milliseconds{st->plan.timeout_ms};
  st->client.post(std::move(c), [st](upstream::answer a) {
    auto& route = st->plan.routes[st->next];
    upstream_outcome out;
    if (a.error == upstream::failure::none && a.status >= 200
        && a.status < 300 && read_completion(a.body, out)) {
      if (out.model.empty())
        out.model = route.model;
      return st->done(std::move(out));
    }
    log::warning("upstream", "an upstream call failed",
                 {{"tenant", st->tenant},
                  {"route", std::to_string(st->next)},
                  {"failure", std::string{upstream::to_string(a.error)}},
                  {"status", std::to_string(a.status)},
                  {"detail", a.detail}});
    if (++st->next < st->plan.routes.size())
      return try_next(st);
    out.refusal = refusal_for(st->facts, a);
    st->done(std::move(out));
  });
}

} // namespace

void call_upstream(upstream::client& client, const request_facts& facts,
                   const std::string& tenant, upstream_plan plan,
                   std::function<void(upstream_outcome)> done) {
  if (plan.routes.empty()) {
    upstream_outcome out;
    out.refusal = detail_response(facts, status::bad_gateway,
                                  "No upstream route");
    return done(std::move(out));
  }
  try_next(std::make_shared<attempt_state>(
    attempt_state{client, facts, tenant, std::move(plan), std::move(done)}));
}

} // namespace tenantd::http::api
