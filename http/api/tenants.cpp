// The tenants admin API: create, list, read, patch (JSON merge patch),
// suspend, resume and archive. The platform admin may use all of it (the
// route table says so; the registry checks the principal again); a
// tenant's own admins may read it and patch its name, welcome, model,
// reply and AI model settings (its actor checks that).

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "http/api/api.hpp"
#include "http/bridge.hpp"
#include "http/respond.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

// Answers 200 with the tenant, or the error.
lane::continuation<tenant_record> answer_tenant(const request_facts& facts,
                                                reply done) {
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
  auto sent = to_json(config);
  c.asks.ask_registry<tenant_record>(
    create_tenant{std::move(config), c.who},
    [facts = c.facts, sent = std::move(sent),
     done = std::move(done)](caf::expected<tenant_record> rec) {
      if (!rec)
        return done(change_error_to_response(facts, rec.error(), sent));
      auto res = make_response(facts, status::created, tenant_body(*rec));
      res.set(beast_http::field::location, "/tenants/" + rec->config.id);
      done(std::move(res));
    });
}

void handle_list_tenants(const call& c, reply done) {
  auto decoded = decode_page_query(c.query);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto page = std::get<page_request>(decoded);
  c.asks.ask_registry<tenant_page>(
    list_tenants{page.offset, page.limit, c.who},
    [facts = c.facts, page,
     done = std::move(done)](caf::expected<tenant_page> result) {
      done(result
             ? make_response(facts, status::ok, tenant_page_body(*result, page))
             : error_to_response(facts, result.error()));
    });
}

// A tenant's own credential goes to its actor, which checks the role and
// asks the registry itself (read_settings, change_settings).
bool of_the_tenant(const call& c) {
  return !c.who.may_administer_tenants();
}

void handle_get_tenant(const call& c, reply done) {
  if (of_the_tenant(c)) {
    done.about_tenant(std::string{c.id});
    return c.asks.ask_tenant<tenant_record>(
      read_settings{std::string{c.id}, c.who},
      answer_tenant(c.facts, std::move(done)));
  }
  c.asks.ask_registry<tenant_record>(read_tenant{std::string{c.id}, c.who},
                                     answer_tenant(c.facts, std::move(done)));
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
  auto answer = [facts = c.facts, patch,
                 done](caf::expected<tenant_record> rec) {
    done(rec ? make_response(facts, status::ok, tenant_body(*rec))
             : change_error_to_response(facts, rec.error(), patch));
  };
  if (of_the_tenant(c)) {
    done.about_tenant(std::string{c.id});
    return c.asks.ask_tenant<tenant_record>(
      change_settings{std::string{c.id}, std::move(text), c.who},
      std::move(answer));
  }
  c.asks.ask_registry<tenant_record>(
    update_tenant{std::string{c.id}, std::move(text), c.who},
    std::move(answer));
}

void set_status(const call& c, tenant_status to, reply done) {
  c.asks.ask_registry<tenant_record>(
    set_tenant_status{std::string{c.id}, to, c.who},
    answer_tenant(c.facts, std::move(done)));
}

void handle_suspend_tenant(const call& c, reply done) {
  set_status(c, tenant_status::suspended, std::move(done));
}

void handle_resume_tenant(const call& c, reply done) {
  set_status(c, tenant_status::active, std::move(done));
}

// Archiving an archived tenant answers 200 again: DELETE is idempotent.
void handle_archive_tenant(const call& c, reply done) {
  set_status(c, tenant_status::archived, std::move(done));
}

} // namespace

std::vector<route> tenant_routes() {
  using beast_http::verb;
  // Built like the seed's routes (FastAPI's trailing-slash redirects and
  // HEAD 405) when it was modelled on them; new resources are REST.
  constexpr auto style = route_style::fastapi;
  constexpr auto admin = access::platform_admin;
  return {
    {"/tenants", verb::get, admin, style, handle_list_tenants},
    {"/tenants", verb::post, admin, style, handle_create_tenant},
    // Also its own admins' (name, welcome, model, reply, AI model settings).
    {"/tenants/{id}", verb::get, access::credential, style, handle_get_tenant},
    {"/tenants/{id}", verb::patch, access::credential, style,
     handle_patch_tenant},
    {"/tenants/{id}", verb::delete_, admin, style, handle_archive_tenant},
    {"/tenants/{id}/suspend", verb::post, admin, style, handle_suspend_tenant},
    {"/tenants/{id}/resume", verb::post, admin, style, handle_resume_tenant},
  };
}

} // namespace tenantd::http::api
