#include "http/api/ai_chat.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>

#include <boost/asio/steady_timer.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/random.hpp"
#include "core/text.hpp"
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
  out.estimated = true;
  if (auto* usage = obj->if_contains("usage"); usage && usage->is_object()) {
    out.estimated = false;
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
response refusal_for(const request_facts& facts, const upstream::answer& a,
                     bool too_long) {
  if (too_long)
    return detail_response(facts, status::bad_gateway,
                           "Upstream reply exceeds MAX_REPLY_BYTES");
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

// Retries of one route, as the OpenAI SDKs make them: at most two, after
// a broken connection or a status 408, 409, 429 or 5xx (never one whose
// error code is insufficient_quota: waiting does not add quota), waiting
// what retry-after-ms or retry-after asks if that is at most a minute,
// else 0.5 s doubling up to 8 s, less up to a quarter of jitter.
constexpr unsigned max_retries = 2;

bool retryable(const upstream::answer& a) {
  if (a.error == upstream::failure::connect
      || a.error == upstream::failure::broken)
    return true;
  if (a.error != upstream::failure::none)
    return false;
  if (a.status != 408 && a.status != 409 && a.status != 429 && a.status < 500)
    return false;
  json::error_code ec;
  auto body = json::parse(a.body, ec);
  auto* error = !ec && body.is_object() ? body.as_object().if_contains("error")
                                        : nullptr;
  auto* code = error != nullptr && error->is_object()
                 ? error->as_object().if_contains("code")
                 : nullptr;
  return !(code != nullptr && code->is_string()
           && code->get_string() == "insufficient_quota");
}

std::chrono::milliseconds retry_delay(const upstream::answer& a,
                                      unsigned retry) {
  auto asked = [](const std::string& text, double unit_ms)
    -> std::optional<std::chrono::milliseconds> {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(v >= 0)
        || v * unit_ms > 60'000)
      return std::nullopt;
    return std::chrono::milliseconds{static_cast<int64_t>(v * unit_ms)};
  };
  if (auto ms = asked(a.retry_after_ms, 1))
    return *ms;
  if (auto s = asked(a.retry_after, 1000))
    return *s;
  double base = std::min(500.0 * double(1u << retry), 8000.0);
  uint32_t r = 0;
  secure_random(&r, sizeof r);
  double jitter = 1 - 0.25 * (r / 4294967296.0);
  return std::chrono::milliseconds{static_cast<int64_t>(base * jitter)};
}

// What counts against a route's breaker: no answer, a timeout, a 5xx,
// or an answer that is not a completion. A 4xx (a bad key, a rate limit)
// says the upstream is up.
bool breaker_failure(const upstream::answer& a, bool answered_badly) {
  if (a.error == upstream::failure::too_large)
    return false;
  return a.error != upstream::failure::none || a.status >= 500 || answered_badly;
}

// The kind of a failure, for metrics and the actor.
const char* failure_kind(const upstream::answer& a, bool too_long) {
  if (too_long || a.error == upstream::failure::too_large)
    return "bad_answer";
  if (a.error == upstream::failure::timeout)
    return "timeout";
  if (a.error != upstream::failure::none)
    return "unreachable";
  if (a.status == 429)
    return "rate_limited";
  if (a.status >= 200 && a.status < 300)
    return "bad_answer";
  return "status";
}

// Four bytes a token: what a reply without usage is counted as.
uint32_t estimate_tokens(std::size_t bytes) {
  return static_cast<uint32_t>(std::min<std::size_t>((bytes + 3) / 4, UINT32_MAX));
}

struct attempt_state {
  upstream::client& client;
  request_facts facts;
  std::string tenant;
  upstream_plan plan;
  std::function<void(upstream_outcome)> done;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::size_t next = 0;
  /// Retries of the current route so far, and over all routes.
  unsigned retries = 0;
  unsigned all_retries = 0;
  std::vector<route_outcome> routes;
  std::optional<boost::asio::steady_timer> wait;

  void finish(upstream_outcome out) {
    out.routes = std::move(routes);
    out.retries = all_retries;
    out.latency = std::chrono::steady_clock::now() - started;
    out.generation = plan.generation;
    out.reservation = plan.reservation;
    out.trials = plan.trials;
    done(std::move(out));
  }
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
    bool too_long = false;
    if (a.error == upstream::failure::none && a.status >= 200
        && a.status < 300 && read_completion(a.body, out)) {
      too_long = text::json_escaped_size(out.reply) > st->plan.max_reply_bytes;
      if (out.model.empty())
        out.model = route.model;
      if (!too_long) {
        st->routes.push_back({st->plan.route_numbers[st->next], false});
        if (out.estimated) {
          std::size_t prompt = 0;
          for (auto& turn : st->plan.messages)
            prompt += turn.content.size();
          out.prompt_tokens = estimate_tokens(prompt);
          out.completion_tokens = estimate_tokens(out.reply.size());
        }
        return st->finish(std::move(out));
      }
    }
    bool answered = a.error == upstream::failure::none && a.status >= 200
                    && a.status < 300;
    log::warning("upstream", "an upstream call failed",
                 {{"tenant", st->tenant},
                  {"route", std::to_string(st->plan.route_numbers[st->next])},
                  {"failure", std::string{upstream::to_string(a.error)}},
                  {"status", std::to_string(a.status)},
                  {"detail", a.detail}});
    if (!too_long && st->retries < max_retries && retryable(a)) {
      auto delay = retry_delay(a, st->retries++);
      ++st->all_retries;
      st->wait.emplace(st->client.context(), delay);
      st->wait->async_wait([st](boost::system::error_code ec) {
        if (!ec)
          try_next(st);
      });
      return;
    }
    st->retries = 0;
    st->routes.push_back({st->plan.route_numbers[st->next],
                          breaker_failure(a, answered && !too_long)});
    if (++st->next < st->plan.routes.size())
      return try_next(st);
    // What an over-long answer said it used is charged all the same.
    auto prompt_tokens = too_long ? out.prompt_tokens : 0;
    auto completion_tokens = too_long ? out.completion_tokens : 0;
    out = {};
    out.prompt_tokens = prompt_tokens;
    out.completion_tokens = completion_tokens;
    out.refusal = refusal_for(st->facts, a, too_long);
    out.failure = failure_kind(a, too_long);
    st->finish(std::move(out));
  });
}

} // namespace

chat_completed report_of(const upstream_outcome& out, const std::string& tenant,
                         const session_id& session, std::string message) {
  chat_completed r;
  r.tenant = tenant;
  r.session = session;
  r.generation = out.generation;
  r.reservation = out.reservation;
  r.trials = out.trials;
  r.routes = out.routes;
  r.retries = out.retries;
  r.failure = out.failure;
  r.latency_ms = static_cast<uint32_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(out.latency).count());
  r.prompt_tokens = out.prompt_tokens;
  r.completion_tokens = out.completion_tokens;
  if (out.refusal)
    return r;
  r.message = std::move(message);
  r.reply = out.reply;
  r.model = out.model;
  r.estimated = out.estimated;
  return r;
}

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
