#include "http/router.hpp"

#include <algorithm>

#include <boost/beast/core/string.hpp>

#include "http/api/api.hpp"
#include "http/auth.hpp"
#include "http/form.hpp"
#include "http/bridge.hpp"
#include "http/request_id.hpp"
#include "http/json/openai.hpp"
#include "http/respond.hpp"
#include "http/upstream/client.hpp"
#include "metrics/metrics.hpp"
#include "util/log.hpp"

namespace tenantd::http {

namespace beast_http = boost::beast::http;
using beast_http::status;
using beast_http::verb;

// -- reply --------------------------------------------------------------------

struct reply::state {
  using clock_type = std::chrono::steady_clock;

  const handler_context* ctx = nullptr;
  request_facts facts;
  responder done;
  std::string id;
  std::string_view route;
  std::string_view method;
  std::string tenant;
  /// Who asked: a principal_kind name and the user's or key's id (never a
  /// credential).
  std::string_view principal_kind = "anonymous";
  std::string principal_id;
  clock_type::time_point start = clock_type::now();
  bool answered = false;

  ~state() {
    if (answered)
      return;
    try {
      answer(detail_response(facts, status::internal_server_error,
                             "Internal Server Error"));
    } catch (...) {
      // Nothing more can be done for this request; the connection closes
      // at its deadline.
    }
  }

  void answer(response res, std::shared_ptr<body_stream> stream = nullptr) {
    answered = true;
    res.set("X-Request-Id", id);
    auto code = res.result_int();
    auto took = clock_type::now() - start;
    ctx->metrics.observe_request(tenant, route, method, code, took);
    auto logging = ctx->options.logging;
    if (logging == request_logging::all
        || (logging == request_logging::errors && code >= 500))
      log_answer(code, took);
    done(std::move(res), std::move(stream));
  }

  // Names only what is bounded and safe: the id is sane (request_id), the
  // route a template; the tenant is named only if the registry knows it.
  void log_answer(unsigned code, clock_type::duration took) const {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(took);
    auto lvl = code >= 500 ? log::level::warning : log::level::info;
    if (!log::enabled(lvl))
      return;
    // The tenant field is left out (empty) for routes without one.
    auto label = tenant.empty()
                   ? std::string{}
                   : std::string{ctx->metrics.tenant_label(tenant)};
    log::write(lvl, "http", "",
               {{"request_id", id},
                {"method", std::string{method}},
                {"route", std::string{route}},
                {"tenant", std::move(label)},
                {"principal", std::string{principal_kind}},
                {"principal_id", principal_id},
                {"status", std::to_string(code)},
                {"duration_us", std::to_string(us.count())}});
  }
};

reply::reply(const handler_context& ctx, const request_facts& facts,
             responder done, std::string id, std::string_view route,
             std::string_view method)
  : state_(std::make_shared<state>()) {
  state_->ctx = &ctx;
  state_->facts = facts;
  state_->done = std::move(done);
  state_->id = std::move(id);
  state_->route = route;
  state_->method = method;
}

void reply::about_tenant(std::string tenant) {
  state_->tenant = std::move(tenant);
}

void reply::about_principal(const principal& who) {
  state_->principal_kind = to_string(who.kind);
  state_->principal_id = who.subject;
}

void reply::operator()(response res) const {
  if (state_->answered)
    return; // answered already: a second answer would break the order
  state_->answer(std::move(res));
}

std::shared_ptr<body_stream> reply::stream(response head) const {
  if (state_->answered)
    return nullptr;
  head.body().clear();
  auto body = std::make_shared<body_stream>();
  state_->answer(std::move(head), body);
  return body;
}

// -- the table ----------------------------------------------------------------

namespace {

// Whether `path` fits the route path `pattern`, segment by segment; if so,
// `id` and `sub` are the segments standing for its "{id}" and "{sub}" (if
// it has them).
bool fits(std::string_view pattern, std::string_view path,
          std::string_view& id, std::string_view& sub) {
  if (pattern.find('{') == std::string_view::npos)
    return pattern == path;
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/')
      return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto p_end = std::min(pattern.find('/'), pattern.size());
    auto s_end = std::min(path.find('/'), path.size());
    auto want = pattern.substr(0, p_end);
    auto got = path.substr(0, s_end);
    if (want == "{id}" || want == "{sub}") {
      if (got.empty())
        return false;
      (want == "{id}" ? id : sub) = got;
    } else if (want != got) {
      return false;
    }
    pattern.remove_prefix(p_end);
    path.remove_prefix(s_end);
  }
  return true;
}

// Whether `path` is the path of a FastAPI-style route (the only ones that
// redirect the other spelling of their path).
bool is_fastapi_path(const std::vector<route>& table, std::string_view path) {
  std::string_view id;
  std::string_view sub;
  return std::any_of(table.begin(), table.end(), [&](const route& r) {
    return r.style == route_style::fastapi && fits(r.path, path, id, sub);
  });
}

// The other spelling of `path` as Starlette's redirect_slashes tries it:
// without every trailing slash, or with one.
std::string other_spelling(std::string_view path) {
  if (!path.empty() && path.back() == '/') {
    auto end = path.find_last_not_of('/');
    return end == std::string_view::npos ? std::string{}
                                         : std::string{path.substr(0, end + 1)};
  }
  return std::string{path} + '/';
}

// FastAPI (Starlette's redirect_slashes) answers a path that matches a
// route but for its trailing slashes with 307 to `other`, the route's
// spelling.
response redirect_slash(const request_facts& facts, const request& req,
                        std::string other, std::string_view query) {
  auto location = std::move(other);
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


// The path and query of `target`: an absolute-form target
// ("http://host/healthz", RFC 9112 3.2.2) is routed by its path, as
// uvicorn does.
std::string_view origin_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size()
        && boost::beast::iequals(target.substr(0, scheme.size()), scheme)) {
      auto rest = target.substr(scheme.size());
      auto path = rest.find('/');
      return path == std::string_view::npos ? "/" : rest.substr(path);
    }
  }
  return target;
}

// Whether route `r` answers `method`: its own, and HEAD for a REST GET.
bool answers(const route& r, verb method) {
  return r.method == method
         || (method == verb::head && r.method == verb::get
             && r.style != route_style::fastapi);
}

void add_allowed(std::string& allow, const route& r) {
  auto add = [&](std::string_view m) {
    if (!allow.empty())
      allow += ", ";
    allow += m;
  };
  add(beast_http::to_string(r.method));
  if (r.method == verb::get && r.style != route_style::fastapi)
    add("HEAD");
}

} // namespace

// -- router -------------------------------------------------------------------

router::router(bridge& asks, std::shared_ptr<const active_tenants_view> active,
               router_options options, metrics::metrics& metrics)
  : router(asks, std::move(active), std::move(options), metrics,
           api::all_routes()) {
}

router::router(bridge& asks, std::shared_ptr<const active_tenants_view> active,
               router_options options, metrics::metrics& metrics,
               std::vector<route> table)
  : asks_(asks),
    ctx_{options, metrics, std::move(active),
         in_flight_gate{options.tenant_max_in_flight},
         client_limiter{options.client_rate_limit},
         login_guard{options.login_free_failures, options.login_max_delay}},
    table_(std::move(table)) {
  auto tls = ctx_.options.upstream_tls ? ctx_.options.upstream_tls
                                       : upstream::make_tls_context();
  for (std::size_t i = 0; i < asks_.size(); ++i)
    upstreams_.push_back(
      std::make_unique<upstream::client>(asks_.at(i).context(), tls));
}

router::~router() = default;

void router::operator()(request&& req, std::size_t lane,
                        const boost::asio::ip::address& from, responder done) {
  request_facts facts{req.version(), req.keep_alive(),
                      req.method() == verb::head};
  // Routes match the path only; a query string is ignored, as in FastAPI
  // (GET /tenants reads its own).
  auto target = origin_form({req.target().data(), req.target().size()});
  auto query_start = std::min(target.find('?'), target.size());
  // Decoded only if it has an escape: most paths have none.
  auto raw_path = target.substr(0, query_start);
  std::string decoded;
  if (raw_path.find('%') != std::string_view::npos)
    decoded = percent_decoded(raw_path);
  std::string_view path = decoded.empty() ? raw_path : decoded;
  auto query = target.substr(query_start);
  const route* match = nullptr;
  std::string_view id;
  std::string_view sub;
  // Metrics and logs name the route's template, never the raw path.
  std::string_view route_label = "unmatched";
  std::string allow; // the path's methods, for a 405
  bool openai_path = false; // its refusals in OpenAI's shape
  for (auto& r : table_) {
    if (!fits(r.path, path, id, sub))
      continue;
    route_label = r.path;
    openai_path = r.style == route_style::openai;
    if (answers(r, req.method())) {
      match = &r;
      break;
    }
    add_allowed(allow, r);
  }
  auto rid = request_id(req["X-Request-Id"]);
  reply answer{ctx_, facts, std::move(done), rid, route_label,
               beast_http::to_string(req.method())};
  if (match) {
    auto who = resolve_identity(req, ctx_.options);
    // For the audit trail: which request, from where.
    who.who.request_id = std::move(rid);
    who.who.source = from.to_string();
    answer.about_principal(who.who);
    if (who.refused)
      audit_refused_token(asks_.at(lane), who);
    // Before anything else: without the credentials, a client learns
    // nothing (not even whether a tenant exists or a body would be valid).
    if (auto refusal = refuse_access(facts, who, match->who))
      return answer(openai_path ? openai_error(std::move(*refusal))
                                : std::move(*refusal));
    auto params = query.empty() ? query : query.substr(1);
    // A handler that throws has its reply destroyed unanswered, which
    // answers 500 (reply::state); the I/O thread goes on.
    try {
      match->handle(
        call{ctx_, asks_.at(lane), *upstreams_[lane], facts, req, from,
             who.who, id, sub, params},
        std::move(answer));
    } catch (const std::exception& e) {
      log::error("http", std::string{"request handler failed: "} + e.what(),
                 {{"route", std::string{route_label}}});
    }
    return;
  }
  if (!allow.empty()) {
    auto res = detail_response(facts, status::method_not_allowed,
                               "Method Not Allowed");
    res.set(beast_http::field::allow, allow);
    return answer(openai_path ? openai_error(std::move(res)) : std::move(res));
  }
  if (path.size() > 1) {
    auto other = other_spelling(path);
    if (!other.empty() && is_fastapi_path(table_, other))
      return answer(redirect_slash(facts, req, std::move(other), query));
  }
  answer(detail_response(facts, status::not_found, "Not Found"));
}

} // namespace tenantd::http
