#include "http/router.hpp"

#include <algorithm>
#include <string>

#include <caf/sec.hpp>

#include "actors/errors.hpp"
#include "http/bridge.hpp"
#include "http/json_codec.hpp"
#include "http/openapi_document.hpp"

namespace tenantd::http {

namespace beast_http = boost::beast::http;
using beast_http::status;

namespace {

// What a response needs from its request once the request is gone.
struct request_facts {
  unsigned version;
  bool keep_alive;
  /// A HEAD request's answer has headers only (HEAD itself is never routed:
  /// it gets 405, as in FastAPI).
  bool head = false;
};

response make_response(const request_facts& facts, status st, std::string body,
                       std::string_view content_type = "application/json") {
  response res{st, facts.version};
  res.set(beast_http::field::content_type, content_type);
  res.keep_alive(facts.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  if (facts.head)
    res.body().clear(); // Content-Length stays, as uvicorn sends it
  return res;
}

response detail_response(const request_facts& facts, status st,
                         std::string_view text) {
  return make_response(facts, st, detail_body(text));
}

// Maps an error from an ask to the client's answer.
response error_to_response(const request_facts& facts, const caf::error& err) {
  if (is(err, errc::unknown_tenant))
    return detail_response(facts, status::not_found, "Unknown tenant_id");
  if (is(err, errc::unknown_session))
    return detail_response(facts, status::not_found, "Unknown session_id");
  if (is(err, errc::foreign_session))
    return detail_response(facts, status::forbidden,
                           "Session does not belong to tenant");
  if (err == caf::sec::request_timeout)
    return detail_response(facts, status::gateway_timeout,
                           "Upstream actor timed out");
  // A tenant actor that died mid-request (being restarted) or that kept
  // failing (tenant_unavailable): not the client's fault, try again later.
  return detail_response(facts, status::service_unavailable,
                         "Service temporarily unavailable");
}

// RateLimit-Policy / RateLimit per draft-ietf-httpapi-ratelimit-headers
// (-08 onwards), plus Retry-After when refused.
void set_rate_headers(response& res, const rate_window& w, bool limited) {
  if (w.limit == 0)
    return;
  res.set("RateLimit-Policy", "\"chat\";q=" + std::to_string(w.limit)
                                + ";w=" + std::to_string(w.window_seconds));
  res.set("RateLimit", "\"chat\";r=" + std::to_string(w.remaining)
                         + ";t=" + std::to_string(w.reset_seconds));
  if (limited)
    res.set(beast_http::field::retry_after, std::to_string(w.reset_seconds));
}

void handle_root(bridge& asks, const request_facts& facts, const request&,
                 responder done) {
  asks.ask<std::vector<std::string>>(
    [facts, done = std::move(done)](
      caf::expected<std::vector<std::string>> ids) {
      done(ids ? make_response(facts, status::ok, root_body(*ids))
               : error_to_response(facts, ids.error()));
    },
    atom::list_v);
}

void handle_session(bridge& asks, const request_facts& facts,
                    const request& req, responder done) {
  auto decoded = decode_session_request(req.body(),
                                        req[beast_http::field::content_type]);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(make_response(facts, status::unprocessable_entity,
                              validation_body(*bad)));
  auto& body = std::get<session_request>(decoded);
  asks.ask<session_grant>(
    [facts, done = std::move(done)](caf::expected<session_grant> grant) {
      done(grant ? make_response(facts, status::ok, session_body(*grant))
                 : error_to_response(facts, grant.error()));
    },
    atom::open_v, std::move(body.tenant_id));
}

void handle_chat(bridge& asks, const request_facts& facts, const request& req,
                 responder done) {
  auto decoded = decode_chat_request(req.body(),
                                     req[beast_http::field::content_type]);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(make_response(facts, status::unprocessable_entity,
                              validation_body(*bad)));
  auto& body = std::get<chat_request>(decoded);
  // The reply echoes tenant and session ids; the message travels alone.
  auto message = std::move(body.message);
  auto tenant_id = body.tenant_id;
  auto session = body.session_id;
  asks.ask<chat_result>(
    [facts, body = std::move(body),
     done = std::move(done)](caf::expected<chat_result> result) {
      if (!result)
        return done(error_to_response(facts, result.error()));
      if (result->limited) {
        auto res = detail_response(
          facts, status::too_many_requests,
          "Rate limit exceeded: " + std::to_string(result->window.limit)
            + " chats per " + std::to_string(result->window.window_seconds)
            + " s");
        set_rate_headers(res, result->window, true);
        return done(std::move(res));
      }
      auto res = make_response(facts, status::ok, chat_body(body, *result));
      set_rate_headers(res, result->window, false);
      done(std::move(res));
    },
    atom::chat_v, std::move(tenant_id), std::move(session), std::move(message));
}

void handle_openapi(bridge&, const request_facts& facts, const request&,
                    responder done) {
  done(make_response(facts, status::ok, std::string{openapi_document()}));
}

struct route {
  std::string_view path;
  beast_http::verb method;
  void (*handle)(bridge&, const request_facts&, const request&, responder);
};

// HEAD is not routed (405), as in FastAPI.
constexpr route routes[] = {
  {"/", beast_http::verb::get, handle_root},
  {"/session", beast_http::verb::post, handle_session},
  {"/chat", beast_http::verb::post, handle_chat},
  {"/openapi.json", beast_http::verb::get, handle_openapi},
};

const route* find_route(std::string_view path) {
  for (auto& r : routes)
    if (r.path == path)
      return &r;
  return nullptr;
}

// FastAPI (Starlette's redirect_slashes) answers a path that matches a
// route but for a trailing slash with 307 to the other spelling.
response redirect_slash(const request_facts& facts, const request& req,
                        std::string_view path, std::string_view query) {
  auto location = std::string{path};
  if (!location.empty() && location.back() == '/')
    location.pop_back();
  else
    location += '/';
  location += query;
  auto host = req[beast_http::field::host];
  if (!host.empty())
    location = "http://" + std::string{host} + location;
  response res{status::temporary_redirect, facts.version};
  res.set(beast_http::field::location, location);
  res.keep_alive(facts.keep_alive);
  res.prepare_payload();
  return res;
}

} // namespace

response router::error_response(status st, std::string_view text,
                                unsigned version) {
  return detail_response(request_facts{version, false}, st, text);
}

void router::operator()(request&& req, responder done) const {
  request_facts facts{req.version(), req.keep_alive(),
                      req.method() == beast_http::verb::head};
  // Routes match the path only; a query string is ignored, as in FastAPI.
  auto target = std::string_view{req.target().data(), req.target().size()};
  auto query_start = std::min(target.find('?'), target.size());
  auto path = target.substr(0, query_start);
  auto query = target.substr(query_start);
  if (auto* r = find_route(path)) {
    if (req.method() == r->method)
      return r->handle(asks_, facts, req, std::move(done));
    auto res = detail_response(facts, status::method_not_allowed,
                               "Method Not Allowed");
    res.set(beast_http::field::allow, beast_http::to_string(r->method));
    return done(std::move(res));
  }
  if (path.size() > 1) {
    auto other = path.back() == '/' ? std::string{path.substr(0, path.size() - 1)}
                                    : std::string{path} + '/';
    if (find_route(other) != nullptr)
      return done(redirect_slash(facts, req, path, query));
  }
  done(detail_response(facts, status::not_found, "Not Found"));
}

} // namespace tenantd::http
