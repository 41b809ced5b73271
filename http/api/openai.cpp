// The OpenAI-compatible face: POST /v1/chat/completions and GET /v1/models,
// authenticated by one of a tenant's credentials (an API key, as OpenAI's
// SDKs send it: Authorization: Bearer), the tenant taken from it. Answers,
// chunks and errors are in OpenAI's shapes (json/openai.hpp), so that its
// SDKs work against the platform unchanged.

#include <chrono>
#include <string>

#include <boost/beast/http/field.hpp>

#include "core/random.hpp"
#include "http/api/api.hpp"
#include "http/api/chat_calls.hpp"
#include "http/json/openai.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

// A credential that names no tenant (the platform admin's token) has no
// models to ask: the face is a tenant's.
std::optional<response> not_a_tenant(const call& c) {
  if (c.who.of_a_tenant())
    return std::nullopt;
  auto res = make_response(
    c.facts, status::unauthorized,
    openai_error_json("This endpoint needs one of a tenant's API keys.",
                      "invalid_request_error", "", "invalid_api_key"));
  res.set(beast_http::field::www_authenticate, "Bearer");
  return res;
}

response bad_request(const call& c, const completion_problem& p) {
  return make_response(c.facts, status::bad_request,
                       openai_error_json(p.message, "invalid_request_error",
                                         p.param, ""));
}

completion_answer answer_of(const completion_body& body,
                            const upstream_plan& plan) {
  completion_answer a;
  a.id = "chatcmpl-" + random_hex(12);
  a.created = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  a.model = body.model;
  a.max_tokens = plan.max_tokens;
  return a;
}

// The chunks of a streamed completion under a 200 head.
event_format completion_events(const request_facts& facts,
                               const chat_result& r, completion_answer a,
                               bool include_usage) {
  event_format f;
  f.head = make_response(facts, status::ok, std::string{}, "text/event-stream");
  f.head.set(beast_http::field::cache_control, "no-cache");
  set_rate_headers(f.head, r, false);
  f.opening = completion_role_chunk(a);
  f.piece = [a](std::string_view piece) {
    return completion_delta_chunk(a, piece);
  };
  f.closing = [a, include_usage](const upstream_outcome& out) {
    if (out.refusal)
      return completion_error_event(out.detail, out.failure);
    auto done = a;
    done.prompt_tokens = out.prompt_tokens;
    done.completion_tokens = out.completion_tokens;
    auto tail = completion_finish_chunk(done);
    if (include_usage)
      tail += completion_usage_chunk(done);
    return tail + completion_done_event();
  };
  f.refusal = [](upstream_outcome& out) { return openai_error(*out.refusal); };
  return f;
}

// What a completion's continuations need of its call (which they
// outlive).
struct completion_context {
  lane& asks;
  upstream::client& upstream;
  request_facts facts;
  std::string tenant;
};

// A completion the tenant's actor planned: called, then answered whole or
// streamed; the outcome told to the actor (no session: nothing is kept).
void complete_upstream(const completion_context& c, release_place release,
                       const completion_body& body, chat_result planned,
                       const reply& done) {
  auto a = answer_of(body, planned.plan);
  auto& tenant = c.tenant;
  std::string last;
  for (auto& turn : body.messages)
    if (turn.role == "user")
      last = turn.content;
  if (body.stream) {
    auto format = completion_events(c.facts, planned, a, body.include_usage);
    return stream_upstream_call(c.asks, std::move(release), c.upstream,
                                c.facts, {tenant, session_id::nil(), last},
                                std::move(planned.plan), std::move(format),
                                done);
  }
  // The rate windows for the answer's headers (not the plan, its keys).
  chat_result window;
  window.window = planned.window;
  window.tokens = planned.tokens;
  call_upstream(
    c.upstream, c.facts, tenant, std::move(planned.plan),
    [&asks = c.asks, release = std::move(release), facts = c.facts, tenant,
     last, a, window = std::move(window), done](upstream_outcome out) mutable {
      release();
      asks.tell_tenant(report_of(out, tenant, session_id::nil(), last));
      if (out.refusal)
        return done(openai_error(std::move(*out.refusal)));
      a.reply = std::move(out.reply);
      a.prompt_tokens = out.prompt_tokens;
      a.completion_tokens = out.completion_tokens;
      auto res = make_response(facts, status::ok, completion_json(a));
      set_rate_headers(res, window, false);
      done(std::move(res));
    });
}

void handle_completions(const call& c, reply done) {
  if (auto refusal = not_a_tenant(c))
    return done(std::move(*refusal));
  if (auto refusal = client_over_limit(c))
    return done(openai_error(std::move(*refusal)));
  auto decoded = decode_completion(c.req.body());
  if (auto* bad = std::get_if<completion_problem>(&decoded))
    return done(bad_request(c, *bad));
  auto& body = std::get<completion_body>(decoded);
  bool has_user = false;
  for (auto& turn : body.messages)
    has_user = has_user || turn.role == "user";
  if (!has_user)
    return done(bad_request(
      c, {"'messages' must hold at least one user message.", "messages"}));
  completion_request msg;
  msg.tenant = c.who.tenant;
  msg.who = c.who;
  msg.model = body.model;
  msg.messages = body.messages;
  msg.max_tokens = body.max_tokens;
  msg.temperature = body.temperature;
  ask_about_tenant<chat_result>(
    c, std::move(done), std::move(msg),
    [c = completion_context{c.asks, c.upstream, c.facts, c.who.tenant},
     body = std::move(body)](caf::expected<chat_result> result,
                             const reply& done, release_place release) {
      if (result && result->upstream)
        return complete_upstream(c, std::move(release), body,
                                 std::move(*result), done);
      release();
      if (!result)
        return done(openai_error(error_to_response(c.facts, result.error())));
      if (result->limited) {
        auto& w = result->tokens_limited ? result->tokens : result->window;
        auto res = detail_response(
          c.facts, status::too_many_requests,
          "Rate limit exceeded: " + std::to_string(w.limit)
            + (result->tokens_limited ? " tokens per " : " requests per ")
            + std::to_string(w.window_seconds) + " s");
        set_rate_headers(res, *result, true);
        return done(openai_error(std::move(res)));
      }
      // A mock tenant: its reply, no tokens.
      auto a = answer_of(body, {});
      a.model = result->model;
      if (body.stream) {
        upstream_outcome mock;
        mock.reply = result->reply;
        return answer_as_events(
          completion_events(c.facts, *result, a, body.include_usage), mock,
          done);
      }
      a.reply = result->reply;
      auto res = make_response(c.facts, status::ok, completion_json(a));
      set_rate_headers(res, *result, false);
      done(std::move(res));
    },
    openai_error);
}

void handle_models(const call& c, reply done) {
  if (auto refusal = not_a_tenant(c))
    return done(std::move(*refusal));
  done.about_tenant(c.who.tenant);
  c.asks.ask_tenant<model_list>(
    list_models{c.who.tenant, c.who},
    [facts = c.facts, owner = c.who.tenant,
     done = std::move(done)](caf::expected<model_list> r) {
      done(r ? make_response(facts, status::ok, model_list_json(r->models, owner))
             : openai_error(error_to_response(facts, r.error())));
    });
}

} // namespace

std::vector<route> openai_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::openai;
  return {
    {"/v1/chat/completions", verb::post, access::credential, style,
     handle_completions},
    {"/v1/models", verb::get, access::credential, style, handle_models},
  };
}

} // namespace tenantd::http::api
