#include "http/api/chat_calls.hpp"

#include <chrono>
#include <utility>

namespace tenantd::http::api {

namespace beast_http = boost::beast::http;
using beast_http::status;

// 503 for a tenant with too many asks in flight.
response tenant_busy(const request_facts& facts) {
  auto res = detail_response(facts, status::service_unavailable,
                             "Too many requests in flight for this tenant");
  res.set(beast_http::field::retry_after, "1");
  return res;
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

void answer_as_events(const event_format& format, const upstream_outcome& out,
                      const reply& done) {
  auto events = done.stream(format.head);
  if (!events)
    return;
  events->write(format.opening);
  if (!out.reply.empty())
    events->write(format.piece(out.reply));
  events->write(format.closing(out));
  events->end();
}

void stream_upstream_call(lane& asks, release_place release,
                          upstream::client& client, const request_facts& facts,
                          call_report report, upstream_plan plan,
                          event_format format, const reply& done) {
  auto shared = std::make_shared<event_format>(std::move(format));
  auto events = std::make_shared<std::shared_ptr<body_stream>>();
  auto cancel = std::make_shared<upstream::client::canceller>();
  auto tenant = report.tenant;
  *cancel = stream_upstream(
    client, facts, tenant, std::move(plan),
    [shared, events, cancel, done](std::string_view piece) {
      if (!*events) {
        *events = done.stream(shared->head);
        if (!*events)
          return;
        (*events)->on_close([cancel] {
          if (*cancel)
            (*cancel)();
        });
        (*events)->write(shared->opening);
      }
      (*events)->write(shared->piece(piece));
    },
    [&asks, release = std::move(release), report = std::move(report), shared,
     events, done](upstream_outcome out) mutable {
      release();
      asks.tell_tenant(report_of(out, report.tenant, report.session,
                                 std::move(report.message)));
      auto& stream = *events;
      if (!stream) {
        if (!out.refusal)
          return answer_as_events(*shared, out, done);
        return done(shared->refusal ? shared->refusal(out)
                                    : std::move(*out.refusal));
      }
      stream->write(shared->closing(out));
      stream->end();
    });
}

} // namespace tenantd::http::api
