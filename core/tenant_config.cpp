#include "core/tenant_config.hpp"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <unordered_map>

#include <boost/json/parse.hpp>

#include "core/config_fields.hpp"
#include "core/reply_template.hpp"

namespace tenantd {

namespace json = boost::json;

namespace {

// Upper bounds on text fields: tenant configs are operator input, but a
// bound keeps one bad line from costing memory on every session grant.
constexpr std::size_t max_name = 200;
constexpr std::size_t max_welcome = 1000;
constexpr std::size_t max_model = 100;
constexpr std::size_t max_reply = 4000;
constexpr int64_t max_chat_per_10s = 1'000'000'000;
constexpr int64_t max_session_ttl = 10 * 365 * 86400; // ten years
constexpr int64_t max_max_sessions = 100'000'000;
constexpr int64_t max_reply_bytes_per_s = int64_t{1} << 30;
constexpr int64_t max_tokens_per_minute = 1'000'000'000;

using config_fields::read_string;

// Reads limit `key` as an integer in [1, max] into `out`.
void read_limit(std::string_view key, const json::value& val, int64_t max,
                uint32_t& out, std::vector<config_error>& errors) {
  config_fields::read_integer("limits." + std::string{key}, val, 1, max, out,
                              errors);
}

void read_limits(const json::value& v, tenant_limits& out,
                 std::vector<config_error>& errors) {
  if (!v.is_object()) {
    errors.push_back({"limits", "must be an object"});
    return;
  }
  for (auto& [key, val] : v.get_object()) {
    if (key == "chat_per_10s")
      read_limit(key, val, max_chat_per_10s, out.chat_per_10s, errors);
    else if (key == "session_ttl")
      read_limit(key, val, max_session_ttl, out.session_ttl, errors);
    else if (key == "max_sessions")
      read_limit(key, val, max_max_sessions, out.max_sessions, errors);
    else if (key == "reply_bytes_per_s")
      read_limit(key, val, max_reply_bytes_per_s, out.reply_bytes_per_s,
                 errors);
    else if (key == "tokens_per_minute")
      read_limit(key, val, max_tokens_per_minute, out.tokens_per_minute,
                 errors);
    else
      errors.push_back({"limits." + std::string{key}, "is not a known limit"});
  }
}

} // namespace

std::string_view to_string(auth_mode x) {
  return x == auth_mode::required ? "required" : "open";
}

bool is_valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-')
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

std::variant<tenant_config, std::vector<config_error>>
parse_tenant_config(const json::value& v) {
  std::vector<config_error> errors;
  if (!v.is_object()) {
    errors.push_back({"", "must be a JSON object"});
    return errors;
  }
  auto& obj = v.get_object();
  tenant_config cfg;
  if (read_string(obj, "id", 63, true, cfg.id, errors)
      && !is_valid_tenant_id(cfg.id))
    errors.push_back({"id", "must be 1-63 lowercase letters, digits or '-', "
                            "not starting with '-'"});
  if (read_string(obj, "name", max_name, true, cfg.name, errors)
      && cfg.name.empty())
    errors.push_back({"name", "must not be empty"});
  read_string(obj, "welcome", max_welcome, true, cfg.welcome, errors);
  read_string(obj, "model", max_model, false, cfg.model, errors);
  read_string(obj, "reply", max_reply, false, cfg.reply, errors);
  if (auto it = obj.find("limits"); it != obj.end())
    read_limits(it->value(), cfg.limits, errors);
  if (auto it = obj.find("auth"); it != obj.end()) {
    auto* mode = it->value().if_string();
    if (mode != nullptr && *mode == "open")
      cfg.auth = auth_mode::open;
    else if (mode != nullptr && *mode == "required")
      cfg.auth = auth_mode::required;
    else
      errors.push_back({"auth", "must be \"open\" or \"required\""});
  }
  if (auto it = obj.find("ai"); it != obj.end())
    read_ai_config(it->value(), cfg.ai, errors);
  if (auto compiled = reply_template::compile(cfg.reply);
      auto* problem = std::get_if<std::string>(&compiled))
    errors.push_back({"reply", *problem});
  for (auto& [key, val] : obj) {
    static constexpr std::string_view known[] = {"id",     "name",  "welcome",
                                                 "model",  "limits", "reply",
                                                 "auth",   "ai"};
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      errors.push_back({std::string{key}, "is not a known field"});
  }
  if (!errors.empty())
    return errors;
  return cfg;
}

std::optional<config_error> check_reply_size(const tenant_config& cfg,
                                             const reply_limits& limits) {
  auto compiled = reply_template::compile(cfg.reply);
  auto* tpl = std::get_if<reply_template>(&compiled);
  if (tpl == nullptr)
    return std::nullopt;
  auto worst = tpl->worst_case_bytes(cfg, limits.max_message_chars);
  if (worst <= limits.max_reply_bytes)
    return std::nullopt;
  return config_error{
    "reply", "can render up to " + std::to_string(worst)
               + " bytes (with a message of MAX_MESSAGE_CHARS "
               + std::to_string(limits.max_message_chars)
               + " characters), more than MAX_REPLY_BYTES ("
               + std::to_string(limits.max_reply_bytes) + ")"};
}

json::object to_json(const tenant_config& config, secret_fields secrets) {
  json::object obj;
  obj["id"] = config.id;
  obj["name"] = config.name;
  obj["welcome"] = config.welcome;
  obj["model"] = config.model;
  json::object limits;
  if (config.limits.chat_per_10s != 0)
    limits["chat_per_10s"] = config.limits.chat_per_10s;
  if (config.limits.session_ttl != 0)
    limits["session_ttl"] = config.limits.session_ttl;
  if (config.limits.max_sessions != 0)
    limits["max_sessions"] = config.limits.max_sessions;
  if (config.limits.reply_bytes_per_s != 0)
    limits["reply_bytes_per_s"] = config.limits.reply_bytes_per_s;
  if (config.limits.tokens_per_minute != 0)
    limits["tokens_per_minute"] = config.limits.tokens_per_minute;
  if (!limits.empty())
    obj["limits"] = std::move(limits);
  obj["reply"] = config.reply;
  obj["auth"] = to_string(config.auth);
  if (!(config.ai == ai_config{}))
    obj["ai"] = to_json(config.ai, secrets);
  return obj;
}

namespace {

// Replaces every member of `route` but the named ones by "(hidden)": a key
// may hide in a misspelt field too ("apiKey"), whose 422 echoes it.
void hide_all_but(json::object& route,
                  std::initializer_list<std::string_view> shown) {
  for (auto& member : route)
    if (std::find(shown.begin(), shown.end(), member.key()) == shown.end())
      member.value() = "(hidden)";
}

} // namespace

void hide_secrets(json::value& body) {
  auto* obj = body.if_object();
  if (obj == nullptr)
    return;
  if (auto* password = obj->if_contains("password"))
    *password = "(hidden)";
  auto* ai_value = obj->if_contains("ai");
  auto* ai = ai_value != nullptr ? ai_value->if_object() : nullptr;
  if (ai == nullptr)
    return;
  auto* fallbacks = ai->if_contains("fallbacks");
  hide_all_but(*ai, {"provider", "base_url", "model", "temperature",
                     "max_tokens", "timeout_ms", "connect_timeout_ms",
                     "system_prompt", "history", "breaker", "fallbacks",
                     "api_key_set"});
  if (fallbacks == nullptr)
    return;
  auto* list = fallbacks->if_array();
  if (list == nullptr) {
    *fallbacks = "(hidden)";
    return;
  }
  for (auto& route : *list) {
    if (auto* each = route.if_object())
      hide_all_but(*each, {"base_url", "model", "api_key_set"});
    else
      route = "(hidden)";
  }
}

void apply_merge_patch(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object())
    target = json::object{};
  auto& obj = target.get_object();
  for (auto& [key, val] : patch.get_object()) {
    if (val.is_null())
      obj.erase(key);
    else
      apply_merge_patch(obj[key], val);
  }
}

std::vector<tenant_config> load_tenants_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    throw std::runtime_error(path + ": cannot open tenants file");
  return read_tenants(in, path);
}

std::vector<tenant_config> read_tenants(std::istream& in,
                                        const std::string& path) {
  std::vector<tenant_config> result;
  std::unordered_map<std::string, std::size_t> first_line; // id -> line
  std::string line;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(path + ":" + std::to_string(line_no) + ": "
                             + what);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    json::error_code ec;
    auto value = json::parse(line, ec);
    if (ec)
      fail("invalid JSON: " + ec.message());
    auto parsed = parse_tenant_config(value);
    if (auto* errors = std::get_if<std::vector<config_error>>(&parsed)) {
      std::string what;
      for (auto& e : *errors) {
        if (!what.empty())
          what += "; ";
        what += e.field.empty() ? e.problem : e.field + " " + e.problem;
      }
      fail(what);
    }
    auto& cfg = std::get<tenant_config>(parsed);
    auto [it, fresh] = first_line.emplace(cfg.id, line_no);
    if (!fresh)
      fail("duplicate id '" + cfg.id + "' (first on line "
           + std::to_string(it->second) + ")");
    result.push_back(std::move(cfg));
  }
  if (in.bad())
    throw std::runtime_error(path + ": read error");
  if (result.empty())
    throw std::runtime_error(path + ": no tenants loaded");
  return result;
}

} // namespace tenantd
