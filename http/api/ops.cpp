// For operators: the OpenAPI document, Prometheus metrics, liveness and
// readiness. None needs credentials.

#include "http/api/api.hpp"
#include "http/bridge.hpp"
#include "http/openapi_document.hpp"
#include "http/respond.hpp"
#include "metrics/metrics.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

void handle_openapi(const call& c, reply done) {
  done(make_response(c.facts, status::ok, std::string{openapi_document()}));
}

void handle_metrics(const call& c, reply done) {
  done(make_response(c.facts, status::ok, c.ctx.metrics.scrape(),
                     "text/plain; version=0.0.4; charset=utf-8"));
}

// Alive: the process answers HTTP. Touches nothing else.
void handle_healthz(const call& c, reply done) {
  done(make_response(c.facts, status::ok, R"({"status":"ok"})"));
}

// Ready: accepting requests, and the registry (tenants loaded) and the
// store (storage working) answer within the ask timeout.
void handle_readyz(const call& c, reply done) {
  if (!c.ctx.accepting.load(std::memory_order_relaxed))
    return done(detail_response(c.facts, status::service_unavailable,
                                "Not ready: not accepting requests"));
  c.asks.ask_registry<caf::ok_atom>(
    atom::ready_v,
    [facts = c.facts, done = std::move(done)](caf::expected<caf::ok_atom> ok) {
      if (ok)
        return done(make_response(facts, status::ok, R"({"status":"ready"})"));
      done(detail_response(facts, status::service_unavailable,
                           is(ok.error(), errc::storage_failed)
                             ? "Not ready: storage unavailable"
                             : "Not ready: actors not answering"));
    });
}

} // namespace

std::vector<route> ops_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::fastapi;
  return {
    {"/openapi.json", verb::get, access::anyone, style, handle_openapi},
    {"/metrics", verb::get, access::anyone, style, handle_metrics},
    {"/healthz", verb::get, access::anyone, style, handle_healthz},
    {"/readyz", verb::get, access::anyone, style, handle_readyz},
  };
}

} // namespace tenantd::http::api
