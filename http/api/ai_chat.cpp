#include "http/api/ai_chat.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>
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

// The Chat Completions request for `route`; streamed, it asks for the
// usage in the stream's last chunk.
std::string completion_request(const upstream_plan& plan,
                               const ai_upstream& route, bool stream) {
  json::array messages;
  for (auto& turn : plan.messages)
    messages.push_back({{"role", turn.role}, {"content", turn.content}});
  json::object body{{"model", route.model},
                    {"messages", std::move(messages)},
                    {"max_tokens", plan.max_tokens},
                    {"stream", stream}};
  if (stream)
    body["stream_options"] = json::object{{"include_usage", true}};
  if (plan.temperature >= 0)
    body["temperature"] = plan.temperature;
  return json::serialize(body);
}

// A usage object's prompt_tokens and completion_tokens into `out`.
void read_usage(const json::value& usage, upstream_outcome& out) {
  auto* obj = usage.if_object();
  if (obj == nullptr)
    return;
  out.estimated = false;
  auto count = [&](const char* key) -> uint32_t {
    auto* n = obj->if_contains(key);
    return n != nullptr && n->is_int64() && n->get_int64() >= 0
             ? static_cast<uint32_t>(std::min<int64_t>(n->get_int64(),
                                                       UINT32_MAX))
             : 0;
  };
  out.prompt_tokens = count("prompt_tokens");
  out.completion_tokens = count("completion_tokens");
}

// Reads a Chat Completions stream as it comes: server-sent events whose
// data are chunks ({"choices":[{"delta":{"content":...}}], "model",
// "usage"}), ended by "data: [DONE]". Lines may arrive cut anywhere.
struct completion_stream {
  std::string line;
  std::string data;
  /// "[DONE]" came.
  bool finished = false;
  /// A chunk that was not JSON, or an error object.
  bool bad = false;
  upstream_outcome out;

  completion_stream() {
    out.estimated = true; // until a chunk has usage
  }

  // Feeds bytes, calling on_delta(text) for each piece of content.
  template <class OnDelta>
  void feed(std::string_view bytes, OnDelta&& on_delta) {
    for (char ch : bytes) {
      if (ch != '\n') {
        line += ch;
        continue;
      }
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (line.empty())
        dispatch(on_delta);
      else if (line.rfind("data:", 0) == 0) {
        auto value = std::string_view{line}.substr(5);
        if (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        if (!data.empty())
          data += '\n';
        data.append(value.data(), value.size());
      } // other fields (event:, id:, retry:) and comments say nothing here
      line.clear();
    }
  }

  template <class OnDelta>
  void dispatch(OnDelta&& on_delta) {
    if (data.empty() || finished || bad)
      return data.clear();
    if (data == "[DONE]") {
      finished = true;
      return data.clear();
    }
    json::error_code ec;
    auto chunk = json::parse(data, ec);
    data.clear();
    auto* obj = ec ? nullptr : chunk.if_object();
    if (obj == nullptr || obj->contains("error")) {
      bad = true;
      return;
    }
    if (auto* model = obj->if_contains("model"); model && model->is_string()
        && out.model.empty())
      out.model = std::string{model->get_string()};
    if (auto* usage = obj->if_contains("usage"))
      read_usage(*usage, out);
    auto* choices = obj->if_contains("choices");
    auto* list = choices != nullptr ? choices->if_array() : nullptr;
    if (list == nullptr || list->empty() || !(*list)[0].is_object())
      return;
    auto* delta = (*list)[0].as_object().if_contains("delta");
    auto* content = delta != nullptr && delta->is_object()
                      ? delta->as_object().if_contains("content")
                      : nullptr;
    if (content == nullptr || !content->is_string()
        || content->get_string().empty())
      return;
    std::string_view piece = content->get_string();
    out.reply.append(piece.data(), piece.size());
    on_delta(piece);
  }
};

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
  if (auto* usage = obj->if_contains("usage"))
    read_usage(*usage, out);
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

uint32_t estimate_prompt(const upstream_plan& plan) {
  std::size_t bytes = 0;
  for (auto& turn : plan.messages)
    bytes += turn.content.size();
  return estimate_tokens(bytes);
}

struct attempt_state {
  upstream::client& client;
  request_facts facts;
  std::string tenant;
  upstream_plan plan;
  std::function<void(upstream_outcome)> done;
  /// Streamed: each piece of the reply, as it comes (empty: not streamed).
  std::function<void(std::string_view)> on_delta;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::size_t next = 0;
  /// Retries of the current route so far, and over all routes.
  unsigned retries = 0;
  unsigned all_retries = 0;
  std::vector<route_outcome> routes{};
  std::optional<boost::asio::steady_timer> wait{};
  /// The call in flight, to cancel it.
  upstream::client::canceller cancel_call{};
  /// The current route's stream.
  std::optional<completion_stream> stream{};
  /// A piece of the reply has reached the client: no retry, no fallback.
  bool streamed = false;
  /// Pieces of the reply so far, and its size as sent (JSON-escaped).
  uint64_t pieces = 0;
  uint64_t reply_bytes = 0;
  std::chrono::steady_clock::time_point first_token{};
  /// Why the stream was stopped here ("token_limit", "bad_answer" for
  /// MAX_REPLY_BYTES), or "cancelled" when the client went; with its
  /// detail.
  std::string stopped{};
  std::string stopped_detail{};
  /// Itself, for what stop() posts.
  std::weak_ptr<attempt_state> self{};

  void finish(upstream_outcome out) {
    if (!done)
      return;
    auto now = std::chrono::steady_clock::now();
    out.routes = std::move(routes);
    out.retries = all_retries;
    out.latency = now - started;
    out.first_token = streamed ? first_token - started : out.latency;
    out.streamed = streamed;
    out.generation = plan.generation;
    out.reservation = plan.reservation;
    out.trials = plan.trials;
    std::exchange(done, nullptr)(std::move(out));
  }

  // Stops the stream for `why` and cancels the call, from a handler of
  // its own: this may run inside the call's own callbacks.
  void stop(std::string why, std::string detail) {
    if (!stopped.empty() || !done)
      return;
    stopped = std::move(why);
    stopped_detail = std::move(detail);
    boost::asio::post(client.context(), [this, keep = self.lock()] {
      if (wait)
        wait->cancel();
      // Taken out first: the call's end runs inside it and clears it.
      if (auto cancel = std::exchange(cancel_call, nullptr))
        cancel();
    });
  }
};

// A piece of a streamed reply: passed on, unless it makes the reply longer
// than MAX_REPLY_BYTES or than the call's max_tokens (estimated: the
// upstream's usage comes only at the end), which stops the stream.
void on_piece(attempt_state& st, std::string_view piece) {
  auto& reply = st.stream->out.reply;
  // Counted piece by piece (each is whole UTF-8: a JSON string's text).
  st.reply_bytes += text::json_escaped_size(piece);
  if (st.reply_bytes > st.plan.max_reply_bytes)
    return st.stop("bad_answer", "Upstream reply exceeds MAX_REPLY_BYTES");
  // Upstreams send about a token a piece; four bytes a token, doubled,
  // stops those that send more in one without stopping a reply of long
  // tokens.
  ++st.pieces;
  if (st.pieces > st.plan.max_tokens
      || estimate_tokens(reply.size()) > 2 * uint64_t{st.plan.max_tokens})
    return st.stop("token_limit", "Reply exceeds its token reservation");
  if (!st.streamed) {
    st.streamed = true;
    st.first_token = std::chrono::steady_clock::now();
  }
  st.on_delta(piece);
}

void try_next(std::shared_ptr<attempt_state> st);

// The outcome of a route's answer `a`: finished, retried, or on to the
// next route.
void on_answer(const std::shared_ptr<attempt_state>& st, upstream::answer a) {
  st->cancel_call = nullptr;
  auto& route = st->plan.routes[st->next];
  bool ok_status = a.error == upstream::failure::none && a.status >= 200
                   && a.status < 300;
  upstream_outcome out;
  bool too_long = false;
  bool answered = false;
  // A stream's outcome is what it has read, also when it broke after
  // pieces went out (they are charged).
  if (st->on_delta && (ok_status || st->streamed)) {
    out = std::move(st->stream->out);
    answered = st->stream->finished && !st->stream->bad;
  } else if (ok_status) {
    answered = read_completion(a.body, out);
    too_long = answered
               && text::json_escaped_size(out.reply) > st->plan.max_reply_bytes;
  }
  if (out.model.empty())
    out.model = route.model;
  if (out.estimated) {
    out.prompt_tokens = estimate_prompt(st->plan);
    out.completion_tokens = estimate_tokens(out.reply.size());
  }
  if (answered && !too_long && st->stopped.empty()) {
    st->routes.push_back({st->plan.route_numbers[st->next], false});
    return st->finish(std::move(out));
  }
  // Stopped here (the client went, or the reply grew too long), or broken
  // off after a piece reached the client: no retry, no fallback; the
  // tokens streamed are charged.
  if (!st->stopped.empty() || st->streamed) {
    // A stream that stopped short (its connection broke, or it ended
    // without [DONE]) is truncated; one that ran out of time, timed out.
    auto kind = !st->stopped.empty()                ? st->stopped
                : st->stream->bad                   ? std::string{"bad_answer"}
                : a.error == upstream::failure::timeout ? std::string{"timeout"}
                : a.error == upstream::failure::too_large
                  ? std::string{"bad_answer"}
                  : std::string{"truncated"};
    auto detail = !st->stopped.empty() ? st->stopped_detail
                  : kind == "truncated" ? "Upstream stream ended early"
                                        : "Upstream stream failed";
    st->routes.push_back({st->plan.route_numbers[st->next],
                          kind == "truncated" || kind == "bad_answer"
                            || a.error == upstream::failure::timeout
                            || a.error == upstream::failure::broken});
    out.reply.clear();
    out.failure = kind;
    out.detail = detail;
    out.refusal = detail_response(st->facts,
                                  kind == "cancelled" ? status::bad_request
                                                      : status::bad_gateway,
                                  detail);
    return st->finish(std::move(out));
  }
  if (st->on_delta && ok_status)
    a.detail = st->stream->bad ? "a chunk was not a completion chunk"
                               : "the stream ended early";
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
    st->wait->async_wait([st](boost::system::error_code) {
      // Cancelled: stop() has set why.
      if (!st->stopped.empty()) {
        upstream::answer cancelled;
        cancelled.error = upstream::failure::cancelled;
        return on_answer(st, std::move(cancelled));
      }
      try_next(st);
    });
    return;
  }
  st->retries = 0;
  st->routes.push_back({st->plan.route_numbers[st->next],
                        breaker_failure(a, ok_status && !too_long)});
  if (++st->next < st->plan.routes.size())
    return try_next(st);
  // What an over-long answer said it used is charged all the same.
  auto prompt_tokens = too_long ? out.prompt_tokens : 0;
  auto completion_tokens = too_long ? out.completion_tokens : 0;
  bool truncated = st->on_delta && ok_status;
  out = {};
  out.prompt_tokens = prompt_tokens;
  out.completion_tokens = completion_tokens;
  if (truncated) {
    out.refusal = detail_response(st->facts, status::bad_gateway,
                                  "Upstream answered without a reply");
    out.failure = "truncated";
  } else {
    out.refusal = refusal_for(st->facts, a, too_long);
    out.failure = failure_kind(a, too_long);
  }
  st->finish(std::move(out));
}

void try_next(std::shared_ptr<attempt_state> st) {
  auto& route = st->plan.routes[st->next];
  upstream::call c;
  c.url = parse_upstream_url(route.base_url).value_or(upstream_url{});
  c.path = "/chat/completions";
  c.body = completion_request(st->plan, route, bool(st->on_delta));
  c.api_key = route.api_key;
  c.connect_timeout = std::chrono::milliseconds{st->plan.connect_timeout_ms};
  c.timeout = std::chrono::milliseconds{st->plan.timeout_ms};
  if (st->on_delta) {
    st->stream.emplace();
    c.on_body = [raw = st.get()](std::string_view bytes) {
      raw->stream->feed(bytes, [raw](std::string_view piece) {
        if (raw->stopped.empty())
          on_piece(*raw, piece);
      });
    };
  }
  st->cancel_call = st->client.post(
    std::move(c), [st](upstream::answer a) { on_answer(st, std::move(a)); });
}

upstream::client::canceller
start(upstream::client& client, const request_facts& facts,
      const std::string& tenant, upstream_plan plan,
      std::function<void(std::string_view)> on_delta,
      std::function<void(upstream_outcome)> done) {
  if (plan.routes.empty()) {
    upstream_outcome out;
    out.refusal = detail_response(facts, status::bad_gateway,
                                  "No upstream route");
    out.detail = "No upstream route";
    out.failure = "unreachable";
    done(std::move(out));
    return [] {};
  }
  auto st = std::make_shared<attempt_state>(
    attempt_state{client, facts, tenant, std::move(plan), std::move(done),
                  std::move(on_delta)});
  st->self = st;
  try_next(st);
  return [weak = std::weak_ptr<attempt_state>(st)] {
    if (auto st = weak.lock())
      st->stop("cancelled", "The client went away");
  };
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
  auto ms = [](std::chrono::steady_clock::duration d) {
    return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  r.latency_ms = ms(out.latency);
  r.first_token_ms = ms(out.first_token);
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
  start(client, facts, tenant, std::move(plan), nullptr, std::move(done));
}

upstream::client::canceller
stream_upstream(upstream::client& client, const request_facts& facts,
                const std::string& tenant, upstream_plan plan,
                std::function<void(std::string_view)> on_delta,
                std::function<void(upstream_outcome)> done) {
  return start(client, facts, tenant, std::move(plan), std::move(on_delta),
               std::move(done));
}

} // namespace tenantd::http::api
