#include "http/json/messages.hpp"

#include <boost/json/serialize.hpp>

#include "http/json/identity.hpp"

namespace tenantd::http {

namespace json = boost::json;

decoded<messages_query> decode_messages_query(std::string_view raw,
                                              bool paged) {
  auto decoded_fields = decode_query_form(raw);
  if (auto* bad = std::get_if<validation_failure>(&decoded_fields))
    return std::move(*bad);
  auto& fields = std::get<std::map<std::string, std::string>>(decoded_fields);
  messages_query q;
  json::array errors;
  for (auto& [name, value] : fields) {
    if (name == "tenant_id") {
      q.tenant_id = value;
    } else if (paged && name == "after") {
      if (auto n = query_integer(value, 0, INT64_MAX))
        q.after = *n;
      else
        errors.push_back(query_error(name, value,
                                     "must be a cursor from a page's next"));
    } else if (paged && name == "limit") {
      if (auto n = query_integer(value, 1, 1000))
        q.limit = static_cast<uint32_t>(*n);
      else
        errors.push_back(query_error(name, value,
                                     "must be an integer from 1 to 1000"));
    } else {
      errors.push_back(query_error(name, value, "is not a known parameter"));
    }
  }
  if (q.tenant_id.empty() && fields.count("tenant_id") == 0)
    errors.push_back(query_error("tenant_id", "", "is required"));
  if (!errors.empty())
    return validation_failure{std::move(errors)};
  return q;
}

std::string message_page_body(std::string_view session_id,
                              const message_page& page) {
  json::array messages;
  for (auto& m : page.messages) {
    json::object o{{"seq", m.seq},
                   {"role", m.role},
                   {"content", m.content},
                   {"tokens", m.tokens},
                   {"estimated", m.estimated}};
    if (!m.model.empty())
      o["model"] = m.model;
    o["at"] = rfc3339_millis(m.at);
    messages.push_back(std::move(o));
  }
  json::object body{{"session_id", session_id},
                    {"messages", std::move(messages)},
                    {"next", page.next != 0 ? json::value(page.next)
                                            : json::value(nullptr)}};
  return json::serialize(body);
}

} // namespace tenantd::http
