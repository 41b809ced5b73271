#pragma once

// What the routes that chat share (POST /chat in seed.cpp, POST
// /v1/chat/completions in openai.cpp): the tenant's in-flight cap around
// an ask, the rate-limit headers, the client's address limit, and an
// upstream call answered as a stream of events.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/beast/http/field.hpp>

#include "http/api/ai_chat.hpp"
#include "http/bridge.hpp"
#include "http/handler.hpp"
#include "http/respond.hpp"

namespace tenantd::http::api {

/// 503 for a tenant with too many asks in flight (Retry-After: 1).
response tenant_busy(const request_facts& facts);

/// RateLimit-Policy / RateLimit of `r`'s windows (and Retry-After for the
/// one that refused, if `limited`).
void set_rate_headers(response& res, const chat_result& r, bool limited);

/// The client's address over CLIENT_RATE_LIMIT: 429 with Retry-After.
std::optional<response> client_over_limit(const call& c);

/// The place of one request in its tenant's in-flight cap, given up once.
using release_place = std::function<void()>;

// Asks tenant `msg.tenant`'s actor `msg` within the tenant's in-flight cap
// (past it: 503 at once), then answers with `on_answer(result, done)`,
// the place given up first. An `on_answer` that also takes a
// release_place may go on working for the tenant (an upstream call): it
// keeps the place and gives it up itself, before it answers, so that no
// other request takes it in between. `shape`, if given, puts the 503 in
// the route's error shape (openai_error).
template <class Result, class Message, class OnAnswer>
void ask_about_tenant(const call& c, reply done, Message msg,
                      OnAnswer on_answer,
                      response (*shape)(response) = nullptr) {
  auto tenant = msg.tenant;
  done.about_tenant(tenant);
  auto& gate = c.ctx.gate;
  if (!gate.try_enter(tenant))
    return done(shape ? shape(tenant_busy(c.facts)) : tenant_busy(c.facts));
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

/// How a streamed answer is written. The head goes with the first piece of
/// the reply (so that a failure before it is still a plain answer with its
/// status, and retries and fallbacks are still possible), followed by
/// `opening`; then `piece` for each piece; then `closing` of the outcome
/// (a done or an error event) and the end.
struct event_format {
  response head;
  std::string opening;
  std::function<std::string(std::string_view)> piece;
  std::function<std::string(const upstream_outcome&)> closing;
  /// The answer for a failure before the head (default: out.refusal).
  std::function<response(upstream_outcome&)> refusal;
};

/// `out` (answered, nothing streamed yet) written whole in `format`.
void answer_as_events(const event_format& format, const upstream_outcome& out,
                      const reply& done);

/// What a streamed call reports to its tenant's actor: the session (nil
/// for none) and the user's turn.
struct call_report {
  std::string tenant;
  session_id session;
  std::string message;
};

/// Streams the call of `plan` to the client in `format`, keeping the
/// request's place in the tenant's in-flight cap until it ends (`release`,
/// before the end is written); the outcome is told to the tenant's actor.
/// The client's going cancels the call.
void stream_upstream_call(lane& asks, release_place release,
                          upstream::client& client, const request_facts& facts,
                          call_report report, upstream_plan plan,
                          event_format format, const reply& done);

} // namespace tenantd::http::api
