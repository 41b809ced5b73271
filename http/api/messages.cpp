// A session's conversation with its tenant's AI upstream:
// GET /sessions/{id}/messages reads it a page at a time, oldest first;
// DELETE clears it. The tenant is named in the query (tenant_id), as the
// seed's /chat names it in the body; its actor checks who may (the
// session's principal, the tenant's admins, the platform admin).

#include "http/api/api.hpp"
#include "http/api/resource.hpp"
#include "http/json/messages.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
using beast_http::status;

void handle_read_messages(const call& c, reply done) {
  auto decoded = decode_messages_query(c.query, true);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& q = std::get<messages_query>(decoded);
  auto session = session_id::parse(c.id).value_or(session_id::nil());
  ask_tenant_actor<message_page>(
    c, std::move(done),
    read_messages{std::move(q.tenant_id), session, c.who, q.after, q.limit},
    [id = std::string{c.id}](const request_facts& facts,
                             const message_page& page) {
      auto res = make_response(facts, status::ok, message_page_body(id, page));
      res.set(beast_http::field::cache_control, "no-store");
      return res;
    });
}

void handle_delete_messages(const call& c, reply done) {
  auto decoded = decode_messages_query(c.query, false);
  if (auto* bad = std::get_if<validation_failure>(&decoded))
    return done(unprocessable(c.facts, *bad));
  auto& q = std::get<messages_query>(decoded);
  auto session = session_id::parse(c.id).value_or(session_id::nil());
  ask_tenant_actor<caf::ok_atom>(
    c, std::move(done), delete_messages{std::move(q.tenant_id), session, c.who},
    [](const request_facts& facts, caf::ok_atom) { return no_content(facts); });
}

} // namespace

std::vector<route> message_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::rest;
  // A session opened without a credential is anyone's who knows its id;
  // the tenant's actor decides.
  constexpr auto who = access::anyone;
  return {
    {"/sessions/{id}/messages", verb::get, who, style, handle_read_messages},
    {"/sessions/{id}/messages", verb::delete_, who, style,
     handle_delete_messages},
  };
}

} // namespace tenantd::http::api
