// A tenant's API keys: create (the secret shown in that answer only), list
// (metadata) and revoke. The key is made here, from the CSPRNG, and only
// its display prefix and keyed digest (HMAC-SHA-256 under the service's
// key secret) go to the tenant's actor and the store.

#include "core/api_key.hpp"
#include "core/clock.hpp"
#include "crypto/digest.hpp"
#include "http/api/api.hpp"
#include "http/api/resource.hpp"
#include "http/json/identity.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

std::string keys_path(std::string_view tenant) {
  return "/tenants/" + std::string{tenant} + "/keys";
}

void handle_create_key(const call& c, reply done) {
  auto now = unix_millis();
  auto decoded = decode_body<new_key_body>(
    c, [now](auto& obj, auto& body) { return read_new_key(obj, now, body); });
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<new_key_body>(decoded);
  // A tenant id that is not one names no tenant: 404 as for any other.
  if (!is_valid_tenant_id(c.id))
    return done(detail_response(c.facts, status::not_found, "Unknown tenant_id"));
  auto secret = make_api_key(c.id);
  create_api_key msg;
  msg.tenant = std::string{c.id};
  msg.name = std::move(body.name);
  msg.role = body.role;
  msg.expires_at = body.expires_at;
  msg.prefix = api_key_display_prefix(secret);
  msg.digest = crypto::to_hex(crypto::hmac_sha256(c.ctx.options.key_secret, secret));
  msg.who = c.who;
  ask_tenant_actor<api_key_record>(
    c, std::move(done), std::move(msg),
    [secret = std::move(secret), path = keys_path(c.id)](
      const request_facts& facts, const api_key_record& k) {
      auto res = make_response(facts, status::created, key_body(k, secret));
      res.set(beast_http::field::location, path + "/" + k.id);
      res.set(beast_http::field::cache_control, "no-store");
      return res;
    });
}

void handle_list_keys(const call& c, reply done) {
  auto decoded = decode_page_query(c.query);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto page = std::get<page_request>(decoded);
  ask_tenant_actor<api_key_page>(
    c, std::move(done),
    list_api_keys{std::string{c.id}, page.offset, page.limit, c.who},
    [page, path = keys_path(c.id)](const request_facts& facts,
                                   const api_key_page& keys) {
      return make_response(facts, status::ok, key_page_body(keys, page, path));
    });
}

void handle_revoke_key(const call& c, reply done) {
  ask_tenant_actor<caf::ok_atom>(
    c, std::move(done),
    revoke_api_key{std::string{c.id}, std::string{c.sub}, c.who},
    [](const request_facts& facts, caf::ok_atom) { return no_content(facts); });
}

} // namespace

std::vector<route> key_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::rest;
  constexpr auto who = access::credential;
  return {
    {"/tenants/{id}/keys", verb::get, who, style, handle_list_keys},
    {"/tenants/{id}/keys", verb::post, who, style, handle_create_key},
    {"/tenants/{id}/keys/{sub}", verb::delete_, who, style, handle_revoke_key},
  };
}

} // namespace tenantd::http::api
