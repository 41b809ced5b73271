#include "http/json_codec.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "actors/text.hpp"

namespace tenantd::http {

namespace json = boost::json;

namespace {

json::object error_item(std::string_view type, json::array loc,
                        std::string_view msg, json::value input) {
  json::object item;
  item["type"] = type;
  item["loc"] = std::move(loc);
  item["msg"] = msg;
  item["input"] = std::move(input);
  return item;
}

validation_failure json_invalid(std::size_t offset, std::string_view why) {
  auto item = error_item("json_invalid", json::array{"body", offset},
                         "JSON decode error", json::object{});
  item["ctx"] = json::object{{"error", why}};
  return {json::array{std::move(item)}};
}

validation_failure whole_body_error(std::string_view type, std::string_view msg,
                                    json::value input) {
  return {json::array{
    error_item(type, json::array{"body"}, msg, std::move(input))}};
}

// FastAPI parses the body as JSON when there is no content type or when it
// is application/json or application/*+json.
bool is_json_content_type(std::string_view ct) {
  if (ct.empty())
    return true;
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
    media.remove_prefix(1);
  std::string lower;
  for (char c : media)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  constexpr std::string_view app = "application/";
  if (lower.compare(0, app.size(), app) != 0)
    return false;
  auto sub = std::string_view{lower}.substr(app.size());
  return sub == "json"
         || (sub.size() >= 5 && sub.substr(sub.size() - 5) == "+json");
}

// Parses a body into a JSON object, or reports why it is not one.
std::variant<json::object, validation_failure>
parse_body_object(std::string_view body, std::string_view content_type) {
  if (body.empty())
    return whole_body_error("missing", "Field required", nullptr);
  if (auto bad = text::find_invalid_utf8(body))
    return json_invalid(*bad, "Invalid UTF-8 in request body");
  if (!is_json_content_type(content_type))
    return whole_body_error(
      "model_attributes_type",
      "Input should be a valid dictionary or object to extract fields from",
      json::string{body});
  json::stream_parser parser;
  json::error_code ec;
  auto consumed = parser.write(body.data(), body.size(), ec);
  if (!ec)
    parser.finish(ec);
  if (ec)
    return json_invalid(consumed, ec.message());
  auto value = parser.release();
  if (!value.is_object())
    return whole_body_error(
      "model_attributes_type",
      "Input should be a valid dictionary or object to extract fields from",
      std::move(value));
  return std::move(value.get_object());
}

// Reads the required string field `key`; records pydantic's error if absent
// or not a string (pydantic v2 does not coerce numbers to str).
void take_string(const json::object& obj, std::string_view key,
                 std::string& out, json::array& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    errors.push_back(error_item("missing", json::array{"body", key},
                                "Field required", obj));
    return;
  }
  if (!it->value().is_string()) {
    errors.push_back(error_item("string_type", json::array{"body", key},
                                "Input should be a valid string", it->value()));
    return;
  }
  auto& s = it->value().get_string();
  out.assign(s.data(), s.size());
}

// Decodes a body into T, whose string fields are named by `fields`.
template <class T, std::size_t N>
decoded<T> decode(std::string_view body, std::string_view content_type,
                  const std::pair<std::string_view, std::string T::*> (
                    &fields)[N]) {
  auto parsed = parse_body_object(body, content_type);
  if (auto* failure = std::get_if<validation_failure>(&parsed))
    return std::move(*failure);
  auto& obj = std::get<json::object>(parsed);
  T result;
  json::array errors;
  for (auto& [key, member] : fields)
    take_string(obj, key, result.*member, errors);
  if (!errors.empty())
    return validation_failure{std::move(errors)};
  return result;
}

} // namespace

decoded<session_request> decode_session_request(std::string_view body,
                                                std::string_view content_type) {
  static constexpr std::pair<std::string_view, std::string session_request::*>
    fields[] = {{"tenant_id", &session_request::tenant_id}};
  return decode(body, content_type, fields);
}

decoded<chat_request> decode_chat_request(std::string_view body,
                                          std::string_view content_type) {
  static constexpr std::pair<std::string_view, std::string chat_request::*>
    fields[] = {{"tenant_id", &chat_request::tenant_id},
                {"session_id", &chat_request::session_id},
                {"message", &chat_request::message}};
  return decode(body, content_type, fields);
}

std::string detail_body(std::string_view text) {
  return json::serialize(json::object{{"detail", text}});
}

std::string validation_body(const validation_failure& failure) {
  return json::serialize(json::object{{"detail", failure.detail}});
}

std::string root_body(const std::vector<std::string>& tenant_ids) {
  json::array ids;
  ids.reserve(tenant_ids.size());
  for (auto& id : tenant_ids)
    ids.emplace_back(id);
  json::object obj;
  obj["ok"] = true;
  obj["tenants"] = std::move(ids);
  return json::serialize(obj);
}

std::string session_body(const session_grant& grant) {
  json::object tenant;
  tenant["id"] = grant.tenant_id;
  tenant["name"] = grant.name;
  tenant["welcome"] = grant.welcome;
  json::object obj;
  obj["session_id"] = grant.session_id;
  obj["tenant"] = std::move(tenant);
  return json::serialize(obj);
}

std::string chat_body(const chat_request& req, const chat_result& result) {
  json::object obj;
  obj["tenant_id"] = req.tenant_id;
  obj["session_id"] = req.session_id;
  obj["reply"] = result.reply;
  obj["model"] = result.model;
  obj["mock"] = true;
  return json::serialize(obj);
}

} // namespace tenantd::http
