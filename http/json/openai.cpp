#include "http/json/openai.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tenantd::http {

namespace json = boost::json;

namespace {

using problem = completion_problem;

// A message's content: a string, or text parts ({"type":"text","text"})
// joined; nullopt for anything else.
std::optional<std::string> content_of(const json::value& v) {
  if (v.is_string())
    return std::string{v.get_string()};
  auto* parts = v.if_array();
  if (parts == nullptr)
    return std::nullopt;
  std::string text;
  for (auto& part : *parts) {
    auto* obj = part.if_object();
    auto* type = obj != nullptr ? obj->if_contains("type") : nullptr;
    auto* t = obj != nullptr ? obj->if_contains("text") : nullptr;
    if (type == nullptr || !type->is_string() || type->get_string() != "text"
        || t == nullptr || !t->is_string())
      return std::nullopt;
    text += t->get_string();
  }
  return text;
}

std::optional<problem> read_messages(const json::value* v,
                                     std::vector<chat_turn>& out) {
  auto* list = v != nullptr ? v->if_array() : nullptr;
  if (list == nullptr || list->empty())
    return problem{"'messages' must be a non-empty array of messages.",
                   "messages"};
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto where = "messages.[" + std::to_string(i) + "]";
    auto* m = (*list)[i].if_object();
    auto* role = m != nullptr ? m->if_contains("role") : nullptr;
    if (role == nullptr || !role->is_string())
      return problem{"Each message must be an object with a 'role'.",
                     where + ".role"};
    std::string r{role->get_string()};
    if (r == "developer")
      r = "system";
    if (r != "system" && r != "user" && r != "assistant")
      return problem{"Unsupported role '" + r
                       + "': expected system, developer, user or assistant.",
                     where + ".role"};
    auto* content = m->if_contains("content");
    auto text = content != nullptr ? content_of(*content) : std::nullopt;
    if (!text)
      return problem{"A message's 'content' must be a string or text parts.",
                     where + ".content"};
    out.push_back({std::move(r), std::move(*text)});
  }
  return std::nullopt;
}

// A positive integer member, if present.
std::optional<problem> read_count(const json::object& obj, const char* key,
                                  uint32_t& out) {
  auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::nullopt;
  if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > 1'000'000)
    return problem{std::string{"'"} + key
                     + "' must be an integer from 1 to 1000000.",
                   key};
  out = static_cast<uint32_t>(v->get_int64());
  return std::nullopt;
}

std::optional<problem> read_bool(const json::object& obj, const char* key,
                                 bool& out, const char* param) {
  auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null())
    return std::nullopt;
  if (!v->is_bool())
    return problem{std::string{"'"} + key + "' must be a boolean.", param};
  out = v->get_bool();
  return std::nullopt;
}

void write_string(std::string& out, std::string_view s) {
  out += json::serialize(json::string_view{s.data(), s.size()});
}

// The members every chunk and completion begin with.
std::string head_of(const completion_answer& a, const char* object) {
  std::string out = "{\"id\":";
  write_string(out, a.id);
  out += ",\"object\":\"";
  out += object;
  out += "\",\"created\":" + std::to_string(a.created) + ",\"model\":";
  write_string(out, a.model);
  return out;
}

const char* finish_reason(const completion_answer& a) {
  return a.max_tokens != 0 && a.completion_tokens >= a.max_tokens ? "length"
                                                                   : "stop";
}

std::string usage_json(const completion_answer& a) {
  return "{\"prompt_tokens\":" + std::to_string(a.prompt_tokens)
         + ",\"completion_tokens\":" + std::to_string(a.completion_tokens)
         + ",\"total_tokens\":"
         + std::to_string(uint64_t{a.prompt_tokens} + a.completion_tokens) + "}";
}

std::string chunk(const completion_answer& a, const std::string& choice) {
  return "data: " + head_of(a, "chat.completion.chunk") + ",\"choices\":["
         + choice + "]}\n\n";
}

} // namespace

std::variant<completion_body, completion_problem>
decode_completion(std::string_view body) {
  json::error_code ec;
  auto value = json::parse(body, ec);
  auto* obj = ec ? nullptr : value.if_object();
  if (obj == nullptr)
    return problem{"We could not parse the JSON body of your request: it "
                   "must be a JSON object.",
                   ""};
  completion_body out;
  auto* model = obj->if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty())
    return problem{"You must provide a model parameter.", "model"};
  out.model = std::string{model->get_string()};
  if (auto p = read_messages(obj->if_contains("messages"), out.messages))
    return *p;
  if (auto p = read_bool(*obj, "stream", out.stream, "stream"))
    return *p;
  if (auto* options = obj->if_contains("stream_options");
      options != nullptr && !options->is_null()) {
    if (!options->is_object())
      return problem{"'stream_options' must be an object.", "stream_options"};
    if (auto p = read_bool(options->get_object(), "include_usage",
                           out.include_usage, "stream_options.include_usage"))
      return *p;
  }
  if (auto p = read_count(*obj, "max_tokens", out.max_tokens))
    return *p;
  if (auto p = read_count(*obj, "max_completion_tokens", out.max_tokens))
    return *p;
  if (auto* t = obj->if_contains("temperature"); t != nullptr && !t->is_null()) {
    double v = t->is_double() ? t->get_double()
               : t->is_int64() ? static_cast<double>(t->get_int64())
                               : -1;
    if (!(v >= 0 && v <= 2))
      return problem{"'temperature' must be a number from 0 to 2.",
                     "temperature"};
    out.temperature = v;
  }
  if (auto* n = obj->if_contains("n");
      n != nullptr && !n->is_null() && !(n->is_int64() && n->get_int64() == 1))
    return problem{"Only one choice is supported: 'n' must be 1.", "n"};
  return out;
}

std::string completion_json(const completion_answer& a) {
  std::string out = head_of(a, "chat.completion");
  out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
         "\"content\":";
  write_string(out, a.reply);
  out += ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"";
  out += finish_reason(a);
  out += "\"}],\"usage\":" + usage_json(a) + "}";
  return out;
}

std::string completion_role_chunk(const completion_answer& a) {
  return chunk(a, "{\"index\":0,\"delta\":{\"role\":\"assistant\","
                  "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}");
}

std::string completion_delta_chunk(const completion_answer& a,
                                   std::string_view piece) {
  std::string choice = "{\"index\":0,\"delta\":{\"content\":";
  write_string(choice, piece);
  choice += "},\"logprobs\":null,\"finish_reason\":null}";
  return chunk(a, choice);
}

std::string completion_finish_chunk(const completion_answer& a) {
  return chunk(a, std::string{"{\"index\":0,\"delta\":{},\"logprobs\":null,"
                              "\"finish_reason\":\""}
                    + finish_reason(a) + "\"}");
}

std::string completion_usage_chunk(const completion_answer& a) {
  return "data: " + head_of(a, "chat.completion.chunk")
         + ",\"choices\":[],\"usage\":" + usage_json(a) + "}\n\n";
}

std::string completion_done_event() {
  return "data: [DONE]\n\n";
}

std::string openai_error_json(std::string_view message, std::string_view type,
                              std::string_view param, std::string_view code) {
  auto text_or_null = [](std::string_view s) {
    return s.empty() ? json::value(nullptr)
                     : json::value(json::string_view{s.data(), s.size()});
  };
  json::object error{{"message", json::string_view{message.data(), message.size()}},
                     {"type", json::string_view{type.data(), type.size()}},
                     {"param", text_or_null(param)},
                     {"code", text_or_null(code)}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

response openai_error(response res) {
  std::string message = "Request failed";
  json::error_code ec;
  auto body = json::parse(res.body(), ec);
  auto* detail = !ec && body.is_object() ? body.as_object().if_contains("detail")
                                         : nullptr;
  if (detail != nullptr && detail->is_string())
    message = std::string{detail->get_string()};
  else if (detail != nullptr)
    message = "Invalid request: " + json::serialize(*detail);
  auto code = res.result_int();
  std::string type = code >= 500 ? "server_error" : "invalid_request_error";
  std::string err;
  if (code == 401)
    err = "invalid_api_key";
  else if (code == 403)
    err = "permission_denied";
  else if (code == 404 && message == "Unknown model")
    err = "model_not_found";
  else if (code == 404)
    err = "not_found";
  else if (code == 429) {
    type = message.find("tokens") != std::string::npos ? "tokens" : "requests";
    err = "rate_limit_exceeded";
  } else if (code == 413)
    err = "context_length_exceeded";
  res.body() = openai_error_json(message, type, "", err);
  res.set(boost::beast::http::field::content_type, "application/json");
  res.prepare_payload();
  return res;
}

std::string completion_error_event(std::string_view message,
                                   std::string_view code) {
  return "data: " + openai_error_json(message, "server_error", "", code)
         + "\n\n";
}

std::string model_list_json(const std::vector<std::string>& models,
                            std::string_view owner) {
  json::array data;
  for (auto& m : models)
    data.push_back({{"id", m},
                    {"object", "model"},
                    {"created", 0},
                    {"owned_by", json::string_view{owner.data(), owner.size()}}});
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

} // namespace tenantd::http
