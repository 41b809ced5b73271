#include "http/json/audit.hpp"

#include <charconv>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/text.hpp"
#include "http/form.hpp"
#include "http/json/identity.hpp"

namespace tenantd::http {

namespace json = boost::json;

namespace {

json::object query_error(std::string_view name, std::string_view value,
                         std::string msg) {
  return {{"type", "value_error"},
          {"loc", json::array{"query", name}},
          {"msg", std::move(msg)},
          {"input", value}};
}

} // namespace

decoded<audit_filter> decode_audit_query(std::string_view raw,
                                         bool allow_tenant) {
  audit_filter f;
  json::array errors;
  auto fields = parse_form(raw);
  if (fields) {
    // Echoed in errors, and JSON must be valid UTF-8: the decoded bytes
    // are anyone's.
    std::map<std::string, std::string> valid;
    for (auto& [name, value] : *fields)
      valid.emplace(text::replace_invalid_utf8(name),
                    text::replace_invalid_utf8(value));
    fields = std::move(valid);
  }
  if (!fields) {
    validation_failure failure;
    failure.detail.push_back(
      query_error("", text::replace_invalid_utf8(raw),
                  "a parameter is given more than once"));
    return failure;
  }
  for (auto& [name, value] : *fields) {
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
      int64_t n = 0;
      auto end = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), end, n);
      bool ok = ec == std::errc{} && ptr == end
                && (name == "cursor" ? n > 0 : (n >= 1 && n <= 1000));
      if (!ok)
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
