// The audit trail: GET /tenants/{id}/audit and /tenants/{id}/audit/verify
// (the tenant's admins and the platform admin, checked by the tenant's
// actor), and GET /audit over every chain (the platform admin). Events are
// newest first, paged by cursor.

#include "http/api/api.hpp"
#include "http/api/resource.hpp"
#include "http/json/audit.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

response page_answer(const request_facts& facts, const audit_page& page) {
  return make_response(facts, status::ok, audit_page_body(page));
}

void handle_tenant_audit(const call& c, reply done) {
  auto decoded = decode_audit_query(c.query, false);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  ask_tenant_actor<audit_page>(
    c, std::move(done),
    read_audit{std::string{c.id}, std::get<audit_filter>(decoded), c.who},
    page_answer);
}

void handle_verify(const call& c, reply done) {
  ask_tenant_actor<audit_verdict>(
    c, std::move(done), verify_audit{std::string{c.id}, c.who},
    [](const request_facts& facts, const audit_verdict& v) {
      return make_response(facts, status::ok, audit_verdict_body(v));
    });
}

void handle_all_audit(const call& c, reply done) {
  auto decoded = decode_audit_query(c.query, true);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& filter = std::get<audit_filter>(decoded);
  auto tenant = filter.tenant;
  c.asks.ask_registry<audit_page>(
    read_audit{std::move(tenant), std::move(filter), c.who},
    [facts = c.facts, done = std::move(done)](caf::expected<audit_page> p) {
      done(p ? page_answer(facts, *p) : error_to_response(facts, p.error()));
    });
}

} // namespace

std::vector<route> audit_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::rest;
  return {
    {"/tenants/{id}/audit", verb::get, access::credential, style,
     handle_tenant_audit},
    {"/tenants/{id}/audit/verify", verb::get, access::credential, style,
     handle_verify},
    {"/audit", verb::get, access::platform_admin, style, handle_all_audit},
  };
}

} // namespace tenantd::http::api
