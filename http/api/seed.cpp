// The seed's routes, byte for byte as its FastAPI app answers them: GET /
// lists the active tenants (as the registry publishes them), POST /session
// opens a session, POST /chat answers in one. Sessions and chats go
// straight to the tenant's actor (lane::ask_tenant), within the tenant's
// in-flight cap.

#include <string>

#include <boost/beast/http/field.hpp>

#include "http/api/api.hpp"
#include "http/api/chat_calls.hpp"
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

// POST /chat's answer as server-sent events (chat_delta_event, then
// chat_done_event or chat_error_event) under a 200 head with `r`'s rate
// headers.
event_format chat_events(const request_facts& facts,
                         const chat_request_body& body, const chat_result& r) {
  event_format f;
  f.head = make_response(facts, status::ok, std::string{}, "text/event-stream");
  f.head.set(beast_http::field::cache_control, "no-cache");
  set_rate_headers(f.head, r, false);
  f.piece = [](std::string_view piece) { return chat_delta_event(piece); };
  f.closing = [body, r](const upstream_outcome& out) {
    if (out.refusal)
      return chat_error_event(out.detail, out.failure);
    chat_result answered = r;
    answered.reply = out.reply;
    answered.model = out.model;
    return chat_done_event(
      body, answered, {out.prompt_tokens, out.completion_tokens, out.estimated});
  };
  return f;
}

// A chat the tenant's actor planned for its upstream, streamed
// (stream_upstream_call); its exchange told to the actor for the
// session's history.
void stream_from_upstream(lane& asks, release_place release,
                          upstream::client& client, const request_facts& facts,
                          chat_request_body body, chat_result planned,
                          const reply& done) {
  auto session = session_id::parse(body.session_id).value_or(session_id::nil());
  auto message = planned.plan.messages.back().content;
  chat_result head;
  head.upstream = true;
  head.window = planned.window;
  head.tokens = planned.tokens;
  auto format = chat_events(facts, body, head);
  stream_upstream_call(asks, std::move(release), client, facts,
                       {body.tenant_id, session, std::move(message)},
                       std::move(planned.plan), std::move(format), done);
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
      if (events) {
        upstream_outcome mock;
        mock.reply = result->reply;
        mock.model = result->model;
        return answer_as_events(chat_events(facts, body, *result), mock, done);
      }
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
