#include "http/router.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include <boost/beast/core/string.hpp>
#include <boost/json/serialize.hpp>
#include <caf/sec.hpp>

#include "core/errors.hpp"
#include "http/bridge.hpp"
#include "http/json/codec.hpp"
#include "http/openapi_document.hpp"
#include "http/request_id.hpp"
#include "metrics/metrics.hpp"
#include "util/log.hpp"

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

using clock_type = std::chrono::steady_clock;

// Answers one request: stamps its request id, counts it in the metrics,
// logs it if asked to, and hands it to the server. Handlers name the
// tenant a request is about once they know it (about_tenant).
class reply {
public:
  reply(const router::context& ctx, responder done, std::string id,
        std::string_view route, std::string_view method)
    : ctx_(&ctx),
      done_(std::move(done)),
      id_(std::move(id)),
      route_(route),
      method_(method),
      start_(clock_type::now()) {
  }

  void about_tenant(std::string tenant) {
    tenant_ = std::move(tenant);
  }

  void operator()(response res) const {
    res.set("X-Request-Id", id_);
    auto code = res.result_int();
    auto took = clock_type::now() - start_;
    ctx_->metrics.observe_request(tenant_, route_, method_, code, took);
    auto logging = ctx_->options.logging;
    if (logging == request_logging::all
        || (logging == request_logging::errors && code >= 500))
      log_answer(code, took);
    done_(std::move(res));
  }

private:
  // Names only what is bounded and safe: the id is sane (request_id), the
  // route a template; the tenant is named only if the registry knows it.
  void log_answer(unsigned code, clock_type::duration took) const {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(took);
    std::string line = "request_id=" + id_ + " method=" + std::string{method_}
                       + " route=" + std::string{route_};
    if (!tenant_.empty())
      line += " tenant=" + std::string{ctx_->metrics.tenant_label(tenant_)};
    line += " status=" + std::to_string(code) + " duration_us="
            + std::to_string(us.count());
    if (code >= 500)
      log::warning("http", line);
    else
      log::info("http", line);
  }

  const router::context* ctx_;
  responder done_;
  std::string id_;
  std::string_view route_;
  std::string_view method_;
  std::string tenant_;
  clock_type::time_point start_;
};

// Maps an error from an ask to the client's answer.
response error_to_response(const request_facts& facts, const caf::error& err) {
  if (is(err, errc::unknown_tenant))
    return detail_response(facts, status::not_found, "Unknown tenant_id");
  if (is(err, errc::unknown_session))
    return detail_response(facts, status::not_found, "Unknown session_id");
  if (is(err, errc::foreign_session))
    return detail_response(facts, status::forbidden,
                           "Session does not belong to tenant");
  if (is(err, errc::tenant_suspended))
    return detail_response(facts, status::forbidden, "Tenant is suspended");
  if (is(err, errc::duplicate_tenant))
    return detail_response(facts, status::conflict, "Tenant already exists");
  if (is(err, errc::tenant_archived))
    return detail_response(facts, status::conflict, "Tenant is archived");
  if (is(err, errc::storage_failed))
    return detail_response(facts, status::service_unavailable,
                           "Storage unavailable");
  if (err == caf::sec::request_timeout)
    return detail_response(facts, status::gateway_timeout,
                           "Upstream actor timed out");
  // A tenant actor that died mid-request (being restarted) or that kept
  // failing (tenant_unavailable): not the client's fault, try again later.
  return detail_response(facts, status::service_unavailable,
                         "Service temporarily unavailable");
}

response unprocessable(const request_facts& facts,
                       const validation_failure& failure) {
  return make_response(facts, status::unprocessable_entity,
                       validation_body(failure));
}

// Maps an error from an admin change; a refused config is a 422 listing
// its problems at the fields of `sent` (the client's config or patch).
response change_error_to_response(const request_facts& facts,
                                  const caf::error& err,
                                  const boost::json::value& sent) {
  if (is(err, errc::invalid_config))
    return unprocessable(facts, config_failure(config_errors_of(err), sent));
  return error_to_response(facts, err);
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

// A routed request as its handler sees it.
struct call {
  router::context& ctx;
  request_facts facts;
  const request& req;
  /// The path's {id} segment; empty for routes without one.
  std::string_view id;
  /// The query string, without its '?'.
  std::string_view query;
};

void handle_root(const call& c, reply done) {
  c.ctx.asks.ask<std::vector<std::string>>(
    [facts = c.facts, done = std::move(done)](
      caf::expected<std::vector<std::string>> ids) {
      done(ids ? make_response(facts, status::ok, root_body(*ids))
               : error_to_response(facts, ids.error()));
    },
    atom::list_v);
}

// 503 for a tenant with too many asks in flight.
response tenant_busy(const request_facts& facts) {
  auto res = detail_response(facts, status::service_unavailable,
                             "Too many requests in flight for this tenant");
  res.set(beast_http::field::retry_after, "1");
  return res;
}

// Asks the registry `xs...` about tenant `tenant` within the tenant's
// in-flight cap (past it: 503 at once), then answers with
// `on_answer(result, done)`.
template <class Result, class OnAnswer, class... Ts>
void ask_about_tenant(const call& c, reply done, const std::string& tenant,
                      OnAnswer on_answer, Ts... xs) {
  done.about_tenant(tenant);
  auto& gate = c.ctx.gate;
  if (!gate.try_enter(tenant))
    return done(tenant_busy(c.facts));
  c.ctx.asks.ask<Result>(
    [&gate, tenant, done = std::move(done),
     on_answer = std::move(on_answer)](caf::expected<Result> result) {
      gate.leave(tenant);
      on_answer(std::move(result), done);
    },
    std::move(xs)...);
}

void handle_session(const call& c, reply done) {
  auto decoded = decode_session_request(
    c.req.body(), c.req[beast_http::field::content_type], c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<session_request>(decoded);
  auto tenant_id = body.tenant_id;
  ask_about_tenant<session_grant>(
    c, std::move(done), tenant_id,
    [facts = c.facts](caf::expected<session_grant> grant, const reply& done) {
      done(grant ? make_response(facts, status::ok, session_body(*grant))
                 : error_to_response(facts, grant.error()));
    },
    atom::open_v, std::move(body.tenant_id));
}

void handle_chat(const call& c, reply done) {
  auto decoded = decode_chat_request(c.req.body(),
                                     c.req[beast_http::field::content_type],
                                     c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<chat_request>(decoded);
  // The reply echoes tenant and session ids; the message travels alone.
  auto message = std::move(body.message);
  auto tenant_id = body.tenant_id;
  auto session = body.session_id;
  ask_about_tenant<chat_result>(
    c, std::move(done), tenant_id,
    [facts = c.facts, body = std::move(body)](caf::expected<chat_result> result,
                                              const reply& done) {
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
    atom::chat_v, tenant_id, std::move(session), std::move(message));
}

void handle_openapi(const call& c, reply done) {
  done(make_response(c.facts, status::ok, std::string{openapi_document()}));
}

// -- operations ---------------------------------------------------------------

void handle_metrics(const call& c, reply done) {
  done(make_response(c.facts, status::ok, c.ctx.metrics.scrape(),
                     "text/plain; version=0.0.4; charset=utf-8"));
}

// Alive: the process answers HTTP. Touches nothing else.
void handle_healthz(const call& c, reply done) {
  done(make_response(c.facts, status::ok, R"({"status":"ok"})"));
}

// Ready: accepting requests, and the registry (tenants loaded) and the
// store (database working) answer within the ask timeout.
void handle_readyz(const call& c, reply done) {
  if (!c.ctx.accepting.load(std::memory_order_relaxed))
    return done(detail_response(c.facts, status::service_unavailable,
                                "Not ready: not accepting requests"));
  c.ctx.asks.ask<caf::ok_atom>(
    [facts = c.facts, done = std::move(done)](caf::expected<caf::ok_atom> ok) {
      if (ok)
        return done(make_response(facts, status::ok, R"({"status":"ready"})"));
      done(detail_response(facts, status::service_unavailable,
                           is(ok.error(), errc::storage_failed)
                             ? "Not ready: storage unavailable"
                             : "Not ready: actors not answering"));
    },
    atom::ready_v);
}

// -- the admin API ------------------------------------------------------------

// Answers 200 with the tenant, or the error.
std::function<void(caf::expected<tenant_record>)>
answer_tenant(const request_facts& facts, reply done) {
  return [facts, done = std::move(done)](caf::expected<tenant_record> rec) {
    done(rec ? make_response(facts, status::ok, tenant_body(*rec))
             : error_to_response(facts, rec.error()));
  };
}

void handle_create_tenant(const call& c, reply done) {
  auto decoded = decode_tenant_config(c.req.body(),
                                      c.req[beast_http::field::content_type],
                                      c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& config = std::get<tenant_config>(decoded);
  c.ctx.asks.ask<tenant_record>(
    [facts = c.facts, config,
     done = std::move(done)](caf::expected<tenant_record> rec) {
      if (!rec)
        return done(change_error_to_response(facts, rec.error(),
                                             to_json(config)));
      auto res = make_response(facts, status::created, tenant_body(*rec));
      res.set(beast_http::field::location, "/tenants/" + rec->config.id);
      done(std::move(res));
    },
    atom::create_v, config);
}

void handle_list_tenants(const call& c, reply done) {
  auto decoded = decode_page_query(c.query);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto page = std::get<page_request>(decoded);
  c.ctx.asks.ask<tenant_page>(
    [facts = c.facts, page,
     done = std::move(done)](caf::expected<tenant_page> result) {
      done(result
             ? make_response(facts, status::ok, tenant_page_body(*result, page))
             : error_to_response(facts, result.error()));
    },
    atom::page_v, page.offset, page.limit);
}

void handle_get_tenant(const call& c, reply done) {
  c.ctx.asks.ask<tenant_record>(answer_tenant(c.facts, std::move(done)),
                            atom::tenant_v, std::string{c.id});
}

void handle_patch_tenant(const call& c, reply done) {
  auto content_type = c.req[beast_http::field::content_type];
  if (!is_merge_patch_content_type(content_type))
    return done(
      detail_response(c.facts, status::unsupported_media_type,
                      "Unsupported Media Type: use application/merge-patch+json"));
  auto decoded = decode_merge_patch(c.req.body(), content_type,
                                    c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  boost::json::value patch = std::move(std::get<boost::json::object>(decoded));
  auto text = boost::json::serialize(patch);
  c.ctx.asks.ask<tenant_record>(
    [facts = c.facts, patch = std::move(patch),
     done = std::move(done)](caf::expected<tenant_record> rec) {
      done(rec ? make_response(facts, status::ok, tenant_body(*rec))
               : change_error_to_response(facts, rec.error(), patch));
    },
    atom::update_v, std::string{c.id}, std::move(text));
}

void set_tenant_status(const call& c, tenant_status to, reply done) {
  c.ctx.asks.ask<tenant_record>(answer_tenant(c.facts, std::move(done)),
                            atom::status_v, std::string{c.id}, to);
}

void handle_suspend_tenant(const call& c, reply done) {
  set_tenant_status(c, tenant_status::suspended, std::move(done));
}

void handle_resume_tenant(const call& c, reply done) {
  set_tenant_status(c, tenant_status::active, std::move(done));
}

// Archiving an archived tenant answers 200 again: DELETE is idempotent.
void handle_archive_tenant(const call& c, reply done) {
  set_tenant_status(c, tenant_status::archived, std::move(done));
}

// Compares in a time that depends only on the admin token's length, so that
// timing does not tell a client how much of a guess was right.
bool same_token(std::string_view given, std::string_view admin_token) {
  bool same_length = given.size() == admin_token.size();
  // On a length mismatch the token is compared with itself: the same work,
  // and the answer is false all the same.
  auto probe = same_length ? given : admin_token;
  unsigned char diff = same_length ? 0 : 1;
  for (std::size_t i = 0; i < admin_token.size(); ++i)
    diff |= static_cast<unsigned char>(probe[i] ^ admin_token[i]);
  return diff == 0;
}

// The credentials of "Authorization: Bearer <token>" (scheme in any case),
// or nothing if the header is absent or has another form.
std::optional<std::string_view> bearer_token(const request& req) {
  auto value = req[beast_http::field::authorization];
  auto header = std::string_view{value.data(), value.size()};
  auto space = header.find(' ');
  if (space == std::string_view::npos
      || !boost::beast::iequals(header.substr(0, space), "Bearer"))
    return std::nullopt;
  auto token = header.substr(space);
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  if (token.empty())
    return std::nullopt;
  return token;
}

// The 401 for a request without the admin token, or nothing if it has it.
// Neither the token nor the header is ever logged.
std::optional<response> refuse_unauthorized(const request_facts& facts,
                                            const request& req,
                                            std::string_view admin_token) {
  auto token = bearer_token(req);
  if (!token) {
    auto res = detail_response(facts, status::unauthorized, "Not authenticated");
    res.set(beast_http::field::www_authenticate, "Bearer");
    return res;
  }
  if (!same_token(*token, admin_token)) {
    auto res = detail_response(facts, status::unauthorized,
                               "Invalid admin token");
    res.set(beast_http::field::www_authenticate,
            "Bearer error=\"invalid_token\"");
    return res;
  }
  return std::nullopt;
}

struct route {
  /// The path; a segment "{id}" stands for any one non-empty segment.
  std::string_view path;
  beast_http::verb method;
  /// Needs the admin token.
  bool admin;
  void (*handle)(const call&, reply);
};

// HEAD is not routed (405), as in FastAPI. The methods of a path are listed
// in 405's Allow header in this order.
constexpr route routes[] = {
  {"/", beast_http::verb::get, false, handle_root},
  {"/session", beast_http::verb::post, false, handle_session},
  {"/chat", beast_http::verb::post, false, handle_chat},
  {"/openapi.json", beast_http::verb::get, false, handle_openapi},
  {"/metrics", beast_http::verb::get, false, handle_metrics},
  {"/healthz", beast_http::verb::get, false, handle_healthz},
  {"/readyz", beast_http::verb::get, false, handle_readyz},
  {"/tenants", beast_http::verb::get, true, handle_list_tenants},
  {"/tenants", beast_http::verb::post, true, handle_create_tenant},
  {"/tenants/{id}", beast_http::verb::get, true, handle_get_tenant},
  {"/tenants/{id}", beast_http::verb::patch, true, handle_patch_tenant},
  {"/tenants/{id}", beast_http::verb::delete_, true, handle_archive_tenant},
  {"/tenants/{id}/suspend", beast_http::verb::post, true,
   handle_suspend_tenant},
  {"/tenants/{id}/resume", beast_http::verb::post, true, handle_resume_tenant},
};

// Whether `path` fits the route path `pattern`; if so, `id` is the segment
// standing for its "{id}" (if it has one).
bool fits(std::string_view pattern, std::string_view path,
          std::string_view& id) {
  constexpr std::string_view slot = "{id}";
  auto at = pattern.find(slot);
  if (at == std::string_view::npos)
    return pattern == path;
  auto prefix = pattern.substr(0, at);
  auto suffix = pattern.substr(at + slot.size());
  if (path.size() <= prefix.size() + suffix.size()
      || path.substr(0, prefix.size()) != prefix
      || path.substr(path.size() - suffix.size()) != suffix)
    return false;
  auto segment = path.substr(prefix.size(),
                             path.size() - prefix.size() - suffix.size());
  if (segment.find('/') != std::string_view::npos)
    return false;
  id = segment;
  return true;
}

bool is_route_path(std::string_view path) {
  std::string_view id;
  return std::any_of(std::begin(routes), std::end(routes),
                     [&](const route& r) { return fits(r.path, path, id); });
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

router::router(bridge& asks, router_options options,
               metrics::metrics& metrics)
  : ctx_{asks, options, metrics, in_flight_gate{options.tenant_max_in_flight}} {
}

void router::operator()(request&& req, responder done) {
  request_facts facts{req.version(), req.keep_alive(),
                      req.method() == beast_http::verb::head};
  // Routes match the path only; a query string is ignored, as in FastAPI
  // (GET /tenants reads its own).
  auto target = std::string_view{req.target().data(), req.target().size()};
  auto query_start = std::min(target.find('?'), target.size());
  auto path = target.substr(0, query_start);
  auto query = target.substr(query_start);
  const route* match = nullptr;
  std::string_view id;
  // Metrics and logs name the route's template, never the raw path.
  std::string_view route_label = "unmatched";
  std::string allow; // the path's methods, for a 405
  for (auto& r : routes) {
    if (!fits(r.path, path, id))
      continue;
    route_label = r.path;
    if (req.method() == r.method) {
      match = &r;
      break;
    }
    if (!allow.empty())
      allow += ", ";
    allow += beast_http::to_string(r.method);
  }
  reply answer{ctx_, std::move(done), request_id(req["X-Request-Id"]),
               route_label, beast_http::to_string(req.method())};
  if (match) {
    // Before anything else: without the token, a client learns nothing
    // (not even whether a tenant exists or a body would be valid).
    if (match->admin)
      if (auto refusal = refuse_unauthorized(facts, req,
                                             ctx_.options.admin_token))
        return answer(std::move(*refusal));
    auto params = query.empty() ? query : query.substr(1);
    return match->handle(call{ctx_, facts, req, id, params}, std::move(answer));
  }
  if (!allow.empty()) {
    auto res = detail_response(facts, status::method_not_allowed,
                               "Method Not Allowed");
    res.set(beast_http::field::allow, allow);
    return answer(std::move(res));
  }
  if (path.size() > 1) {
    auto other = path.back() == '/' ? std::string{path.substr(0, path.size() - 1)}
                                    : std::string{path} + '/';
    if (is_route_path(other))
      return answer(redirect_slash(facts, req, path, query));
  }
  answer(detail_response(facts, status::not_found, "Not Found"));
}

} // namespace tenantd::http
