// A tenant's users: create, list, read, change (role, password, disabled)
// and delete. Any valid credential gets past the router; the tenant's
// actor says what it may do (its own tenant's admins and the platform
// admin manage users; a member reads itself). Passwords are hashed by the
// tenant actor on the password pool and never shown.

#include "http/api/api.hpp"
#include "http/api/resource.hpp"
#include "http/json/identity.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

std::string users_path(std::string_view tenant) {
  return "/tenants/" + std::string{tenant} + "/users";
}

void handle_create_user(const call& c, reply done) {
  auto decoded = decode_body<new_user_body>(
    c, [](auto& obj, auto& body) { return read_new_user(obj, body); });
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<new_user_body>(decoded);
  auto path = users_path(c.id);
  ask_tenant_actor<user_record>(
    c, std::move(done),
    create_user{std::string{c.id}, std::move(body.email),
                std::move(body.password), body.role, c.who},
    [path](const request_facts& facts, const user_record& u) {
      auto res = make_response(facts, status::created, user_body(u));
      res.set(beast_http::field::location, path + "/" + u.id);
      return res;
    });
}

void handle_list_users(const call& c, reply done) {
  auto decoded = decode_page_query(c.query);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto page = std::get<page_request>(decoded);
  ask_tenant_actor<user_page>(c, std::move(done),
                 list_users{std::string{c.id}, page.offset, page.limit, c.who},
                 [page, path = users_path(c.id)](const request_facts& facts,
                                                 const user_page& users) {
                   return make_response(facts, status::ok,
                                        user_page_body(users, page, path));
                 });
}

response user_answer(const request_facts& facts, const user_record& u) {
  return make_response(facts, status::ok, user_body(u));
}

void handle_get_user(const call& c, reply done) {
  ask_tenant_actor<user_record>(c, std::move(done),
                   read_user{std::string{c.id}, std::string{c.sub}, c.who},
                   user_answer);
}

void handle_patch_user(const call& c, reply done) {
  auto decoded = decode_body<user_patch_body>(
    c, [](auto& obj, auto& body) { return read_user_patch(obj, body); });
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& body = std::get<user_patch_body>(decoded);
  update_user msg;
  msg.tenant = std::string{c.id};
  msg.user = std::string{c.sub};
  msg.set_role = body.role.has_value();
  msg.role = body.role.value_or(tenant_role::member);
  msg.password = body.password.value_or(std::string{});
  msg.set_disabled = body.disabled.has_value();
  msg.disabled = body.disabled.value_or(false);
  msg.who = c.who;
  ask_tenant_actor<user_record>(c, std::move(done), std::move(msg), user_answer);
}

void handle_delete_user(const call& c, reply done) {
  ask_tenant_actor<caf::ok_atom>(c, std::move(done),
                    delete_user{std::string{c.id}, std::string{c.sub}, c.who},
                    [](const request_facts& facts, caf::ok_atom) {
                      return no_content(facts);
                    });
}

} // namespace

std::vector<route> user_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::rest;
  constexpr auto who = access::credential;
  return {
    {"/tenants/{id}/users", verb::get, who, style, handle_list_users},
    {"/tenants/{id}/users", verb::post, who, style, handle_create_user},
    {"/tenants/{id}/users/{sub}", verb::get, who, style, handle_get_user},
    {"/tenants/{id}/users/{sub}", verb::patch, who, style, handle_patch_user},
    {"/tenants/{id}/users/{sub}", verb::delete_, who, style,
     handle_delete_user},
  };
}

} // namespace tenantd::http::api
