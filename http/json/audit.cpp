#include "http/json/audit.hpp"

#include <charconv>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/text.hpp"
#include "http/json/identity.hpp"

namespace tenantd::http {

namespace json = boost::json;

decoded<audit_filter> decode_audit_query(std::string_view raw,
                                         bool allow_tenant) {
  audit_filter f;
  json::array errors;
  auto decoded_fields = decode_query_form(raw);
  if (auto* bad = std::get_if<validation_failure>(&decoded_fields))
    return std::move(*bad);
  auto& fields = std::get<std::map<std::string, std::string>>(decoded_fields);
  for (auto& [name, value] : fields) {
    if (name == "from" || name == "to") {
      auto at = parse_rfc3339(value);
      if (!at)
        errors.push_back(query_error(name, value,
                                     "must be an RFC 3339 UTC time"));
      else
        (name == "from" ? f.from : f.to) = *at;
    } else if (name == "action") {
      f.action = value;
    } else if (name == "principal") {
      f.actor = value;
    } else if (name == "cursor" || name == "limit") {
      auto number = name == "cursor"
                      ? query_integer(value, 1, INT64_MAX)
                      : query_integer(value, 1, 1000);
      int64_t n = number.value_or(0);
      if (!number)
        errors.push_back(query_error(
          name, value,
          name == "cursor" ? "must be a cursor from a page's next"
                           : "must be an integer from 1 to 1000"));
      else if (name == "cursor")
        f.before = n;
      else
        f.limit = static_cast<uint64_t>(n);
    } else if (name == "tenant" && allow_tenant) {
      f.tenant = value;
    } else {
      errors.push_back(query_error(name, value, "is not a known parameter"));
    }
  }
  if (!errors.empty()) {
    validation_failure failure;
    failure.detail = std::move(errors);
    return failure;
  }
  return f;
}

std::string audit_page_body(const audit_page& page) {
  json::array events;
  for (auto& e : page.events) {
    json::object o{{"id", e.id},
                   {"seq", e.seq},
                   {"at", rfc3339_millis(e.at)},
                   {"tenant", e.tenant.empty() ? json::value(nullptr)
                                               : json::value(e.tenant)},
                   {"principal",
                    json::object{{"kind", e.actor_kind},
                                 {"id", e.actor_id.empty()
                                          ? json::value(nullptr)
                                          : json::value(e.actor_id)},
                                 {"tenant", e.actor_tenant.empty()
                                              ? json::value(nullptr)
                                              : json::value(e.actor_tenant)}}},
                   {"action", e.action},
                   {"target", e.target},
                   {"outcome", e.outcome},
                   {"request_id", e.request_id},
                   {"source", e.source},
                   {"prev_hash", e.prev_hash},
                   {"hash", e.hash}};
    json::error_code ec;
    o["changes"] = e.changes.empty() ? json::value(nullptr)
                                     : json::parse(e.changes, ec);
    if (ec)
      o["changes"] = e.changes;
    events.push_back(std::move(o));
  }
  json::object body{{"events", std::move(events)}};
  body["next"] = page.next == 0 ? json::value(nullptr) : json::value(page.next);
  return json::serialize(body);
}

std::string audit_verdict_body(const audit_verdict& v) {
  json::object body{{"intact", v.intact}, {"checked", v.checked}};
  if (v.intact)
    body["first_broken"] = nullptr;
  else
    body["first_broken"] = json::object{
      {"seq", v.broken_seq}, {"id", v.broken_id}, {"problem", v.problem}};
  return json::serialize(body);
}

} // namespace tenantd::http
