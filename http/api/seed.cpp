// The seed's routes, byte for byte as its FastAPI app answers them: GET /
// lists the active tenants (as the registry publishes them), POST /session
// opens a session, POST /chat answers in one. Sessions and chats go
// straight to the tenant's actor (lane::ask_tenant), within the tenant's
// in-flight cap.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/beast/http/field.hpp>

#include "http/api/ai_chat.hpp"
#include "http/api/api.hpp"
#include "http/bridge.hpp"
#include "http/respond.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

// The registry's published list: no message, answered on the I/O thread.
void handle_root(const call& c, reply done) {
  done(make_response(c.facts, status::ok, root_body(*c.ctx.active->get())));
}

// 503 for a tenant with too many asks in flight.
response tenant_busy(const request_facts& facts) {
  auto res = detail_response(facts, status::service_unavailable,
                             "Too many requests in flight for this tenant");
  res.set(beast_http::field::retry_after, "1");
  return res;
}

// The place of one request in its tenant's in-flight cap, given up once.
using release_place = std::function<void()>;

// Asks tenant `msg.tenant`'s actor `msg` within the tenant's in-flight cap
// (past it: 503 at once), then answers with `on_answer(result, done)`,
// the place given up first. An `on_answer` that also takes a
// release_place may go on working for the tenant (an upstream call): it
// keeps the place and gives it up itself, before it answers, so that no
// other request takes it in between.
template <class Result, class Message, class OnAnswer>
void ask_about_tenant(const call& c, reply done, Message msg,
                      OnAnswer on_answer) {
  auto tenant = msg.tenant;
  done.about_tenant(tenant);
  auto& gate = c.ctx.gate;
  if (!gate.try_enter(tenant))
    return done(tenant_busy(c.facts));
  c.asks.ask_tenant<Result>(
    std::move(msg),
    [&gate, tenant, done = std::move(done),
     on_answer = std::move(on_answer)](caf::expected<Result> result) {
      if constexpr (std::is_invocable_v<OnAnswer, caf::expected<Result>,
                                        const reply&, release_place>) {
        on_answer(std::move(result), done,
                  [&gate, tenant] { gate.leave(tenant); });
      } else {
        gate.leave(tenant);
        on_answer(std::move(result), done);
      }
    });
}

// RateLimit-Policy / RateLimit per draft-ietf-httpapi-ratelimit-headers
// (-08 onwards): the chat window ("chat", limits.chat_per_10s) and the
// token window ("tokens", limits.tokens_per_minute), each if limited, as
// one list; plus Retry-After for the window that refused.
void set_rate_headers(response& res, const chat_result& r, bool limited) {
  std::string policy;
  std::string state;
  auto add = [&](const char* name, const rate_window& w) {
    if (w.limit == 0)
      return;
    auto sep = policy.empty() ? "" : ", ";
    policy += sep + std::string{"\""} + name + "\";q=" + std::to_string(w.limit)
              + ";w=" + std::to_string(w.window_seconds);
    state += sep + std::string{"\""} + name + "\";r="
             + std::to_string(w.remaining) + ";t="
             + std::to_string(w.reset_seconds);
  };
  add("chat", r.window);
  add("tokens", r.tokens);
  if (policy.empty())
    return;
  res.set("RateLimit-Policy", policy);
  res.set("RateLimit", state);
  if (limited)
    res.set(beast_http::field::retry_after,
            std::to_string(r.tokens_limited ? r.tokens.reset_seconds
                                            : r.window.reset_seconds));
}

// The client's address over CLIENT_RATE_LIMIT: 429 with Retry-After.
std::optional<response> client_over_limit(const call& c) {
  auto wait = c.ctx.clients.admit(c.from, std::chrono::steady_clock::now());
  if (wait == 0)
    return std::nullopt;
  auto res = detail_response(c.facts, status::too_many_requests,
                             "Too many requests from this address");
  res.set(beast_http::field::retry_after, std::to_string(wait));
  return res;
}

void handle_session(const call& c, reply done) {
  if (auto refusal = client_over_limit(c))
    return done(std::move(*refusal));
  auto decoded = decode_session_request(
    c.req.body(), c.req[beast_http::field::content_type], c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<session_request_body>(decoded);
  ask_about_tenant<session_grant>(
    c, std::move(done), open_session{std::move(body.tenant_id), c.who},
    [facts = c.facts](caf::expected<session_grant> grant, const reply& done) {
      done(grant ? make_response(facts, status::ok, session_body(*grant))
                 : error_to_response(facts, grant.error()));
    });
}

// A chat the tenant's actor planned for its upstream: the seed's answer
// with the upstream's reply and model ("mock": false), the exchange told
// to the actor for the session's history.
// The call keeps the chat's place in the tenant's in-flight cap until it
// ends (`release`, before the answer), so that a hanging upstream holds at
// most TENANT_MAX_IN_FLIGHT of its tenant's calls and none of another's.
void answer_from_upstream(lane& asks, release_place release,
                          upstream::client& client, const request_facts& facts,
                          chat_request_body body, chat_result planned,
                          const reply& done) {
  auto session = session_id::parse(body.session_id).value_or(session_id::nil());
  auto message = planned.plan.messages.back().content;
  auto tenant = body.tenant_id; // body moves into the continuation below
  call_upstream(
    client, facts, tenant, std::move(planned.plan),
    [&asks, release = std::move(release), facts, body = std::move(body),
     window = planned.window, tokens = planned.tokens, session, message = std::move(message),
     done](upstream_outcome out) mutable {
      release();
      asks.tell_tenant(report_of(out, body.tenant_id, session, std::move(message)));
      if (out.refusal)
        return done(std::move(*out.refusal));
      chat_result answered;
      answered.upstream = true;
      answered.reply = std::move(out.reply);
      answered.model = std::move(out.model);
      answered.window = window;
      answered.tokens = tokens;
      auto res = make_response(facts, status::ok, chat_body(body, answered));
      set_rate_headers(res, answered, false);
      done(std::move(res));
    });
}

// The head of a chat answered as server-sent events: 200 with the rate
// headers; the events follow (chat_delta_event, chat_done_event).
response event_stream_head(const request_facts& facts, const chat_result& r) {
  auto res = make_response(facts, status::ok, std::string{}, "text/event-stream");
  res.set(beast_http::field::cache_control, "no-cache");
  set_rate_headers(res, r, false);
  return res;
}

// A chat answered whole, as events: the head, its reply as one delta, the
// done event (a mock reply, or an upstream's that came with no piece).
void answer_as_events(const request_facts& facts, const chat_request_body& body,
                      const chat_result& r, const chat_usage& usage,
                      const reply& done) {
  auto events = done.stream(event_stream_head(facts, r));
  if (!events)
    return;
  if (!r.reply.empty())
    events->write(chat_delta_event(r.reply));
  events->write(chat_done_event(body, r, usage));
  events->end();
}

// A chat the tenant's actor planned for its upstream, streamed: the head
// goes with the first piece of the reply, so that a failure before it is
// still a plain answer with its status (and retries and fallbacks are
// still possible); after it, a failure is an error event. The client's
// going cancels the call.
void stream_from_upstream(lane& asks, release_place release,
                          upstream::client& client, const request_facts& facts,
                          chat_request_body body, chat_result planned,
                          const reply& done) {
  auto session = session_id::parse(body.session_id).value_or(session_id::nil());
  auto message = planned.plan.messages.back().content;
  auto tenant = body.tenant_id;
  chat_result head;
  head.upstream = true;
  head.window = planned.window;
  head.tokens = planned.tokens;
  auto events = std::make_shared<std::shared_ptr<body_stream>>();
  auto cancel = std::make_shared<upstream::client::canceller>();
  *cancel = stream_upstream(
    client, facts, tenant, std::move(planned.plan),
    [facts, head, events, cancel, done](std::string_view piece) {
      if (!*events) {
        *events = done.stream(event_stream_head(facts, head));
        if (!*events)
          return;
        (*events)->on_close([cancel] {
          if (*cancel)
            (*cancel)();
        });
      }
      (*events)->write(chat_delta_event(piece));
    },
    [&asks, release = std::move(release), facts, body = std::move(body),
     head, events, session, message = std::move(message),
     done](upstream_outcome out) mutable {
      release();
      asks.tell_tenant(report_of(out, body.tenant_id, session, std::move(message)));
      chat_result answered = head;
      answered.reply = std::move(out.reply);
      answered.model = std::move(out.model);
      chat_usage usage{out.prompt_tokens, out.completion_tokens, out.estimated};
      auto& stream = *events;
      if (!stream) {
        if (out.refusal)
          return done(std::move(*out.refusal));
        return answer_as_events(facts, body, answered, usage, done);
      }
      stream->write(out.refusal ? chat_error_event(out.detail, out.failure)
                                : chat_done_event(body, answered, usage));
      stream->end();
    });
}

// Whether the client asks for events: "stream": true, or an Accept that
// names text/event-stream.
bool wants_events(const call& c, const chat_request_body& body) {
  return body.stream
         || c.req[beast_http::field::accept].find("text/event-stream")
              != std::string_view::npos;
}

void handle_chat(const call& c, reply done) {
  if (auto refusal = client_over_limit(c))
    return done(std::move(*refusal));
  auto decoded = decode_chat_request(c.req.body(),
                                     c.req[beast_http::field::content_type],
                                     c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<chat_request_body>(decoded);
  bool events = wants_events(c, body);
  chat_request msg;
  msg.tenant = body.tenant_id;
  // The seed compares ids as strings: anything but a canonical UUID names
  // no session, which the tenant's actor says once the tenant checks pass.
  msg.session = session_id::parse(body.session_id).value_or(session_id::nil());
  // The reply echoes tenant and session ids; the message travels alone.
  msg.message = std::move(body.message);
  msg.who = c.who;
  ask_about_tenant<chat_result>(
    c, std::move(done), std::move(msg),
    [facts = c.facts, body = std::move(body), events, &asks = c.asks,
     &upstream = c.upstream](caf::expected<chat_result> result,
                             const reply& done, release_place release) {
      if (result && result->upstream && events)
        return stream_from_upstream(asks, std::move(release), upstream, facts,
                                    body, std::move(*result), done);
      if (result && result->upstream)
        return answer_from_upstream(asks, std::move(release), upstream, facts,
                                    body, std::move(*result), done);
      release();
      if (!result)
        return done(error_to_response(facts, result.error()));
      if (result->limited) {
        auto& w = result->tokens_limited ? result->tokens : result->window;
        auto res = detail_response(
          facts, status::too_many_requests,
          "Rate limit exceeded: " + std::to_string(w.limit)
            + (result->tokens_limited ? " tokens per " : " chats per ")
            + std::to_string(w.window_seconds) + " s");
        set_rate_headers(res, *result, true);
        return done(std::move(res));
      }
      if (events)
        return answer_as_events(facts, body, *result, {}, done);
      auto res = make_response(facts, status::ok, chat_body(body, *result));
      set_rate_headers(res, *result, false);
      done(std::move(res));
    });
}

} // namespace

std::vector<route> seed_routes() {
  using beast_http::verb;
  return {
    {"/", verb::get, access::anyone, route_style::fastapi, handle_root},
    {"/session", verb::post, access::anyone, route_style::fastapi,
     handle_session},
    {"/chat", verb::post, access::anyone, route_style::fastapi, handle_chat},
  };
}

} // namespace tenantd::http::api
