#include "core/ai_config.hpp"

#include <algorithm>
#include <charconv>

#include "core/config_fields.hpp"
#include "core/reply_template.hpp"
#include "core/tenant_config.hpp"

namespace tenantd {

namespace json = boost::json;

namespace {

using config_fields::read_integer;
using config_fields::read_string;

constexpr std::size_t max_base_url = 2048;
constexpr std::size_t max_upstream_model = 200;
constexpr std::size_t max_api_key = 4096;
constexpr std::size_t max_system_prompt = 16000;
constexpr std::size_t max_fallbacks = 4;
constexpr int64_t max_max_tokens = 1'000'000;
constexpr int64_t max_timeout_ms = 600'000;
constexpr int64_t max_connect_timeout_ms = 60'000;
constexpr int64_t max_history_turns = 1000;
constexpr int64_t max_history_tokens = 1'000'000;
constexpr int64_t max_breaker_failures = 1000;
constexpr int64_t max_breaker_cooldown_ms = 3'600'000;

// Visible ASCII only: an API key goes into a header line, and a model name
// into a JSON body and a metric label.
bool is_visible_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

// Reads base_url, model and api_key of one route object.
void read_upstream(const json::object& obj, const std::string& prefix,
                   bool required, ai_upstream& out,
                   std::vector<config_error>& errors) {
  std::string problem;
  if (read_string(obj, "base_url", max_base_url, required, out.base_url,
                  errors, prefix)
      && !parse_upstream_url(out.base_url, &problem))
    errors.push_back({prefix + "base_url", problem});
  if (read_string(obj, "model", max_upstream_model, required, out.model,
                  errors, prefix)
      && (out.model.empty() || !is_visible_ascii(out.model)))
    errors.push_back({prefix + "model", "must be 1-" +
                                          std::to_string(max_upstream_model)
                                          + " visible ASCII characters"});
  // The key is never echoed: problems name the field only.
  if (read_string(obj, "api_key", max_api_key, false, out.api_key, errors,
                  prefix)
      && !is_visible_ascii(out.api_key)) {
    out.api_key.clear();
    errors.push_back({prefix + "api_key",
                      "must be visible ASCII characters (no spaces)"});
  }
  if (obj.contains("api_key_set"))
    errors.push_back({prefix + "api_key_set",
                      "is read-only (send api_key to set the key, null to "
                      "remove it)"});
}

void read_history(const json::value& v, ai_history& out,
                  std::vector<config_error>& errors) {
  auto* obj = v.if_object();
  if (obj == nullptr) {
    errors.push_back({"ai.history", "must be an object"});
    return;
  }
  for (auto& [key, val] : *obj) {
    if (key == "turns")
      read_integer("ai.history.turns", val, 0, max_history_turns, out.turns,
                   errors);
    else if (key == "tokens")
      read_integer("ai.history.tokens", val, 0, max_history_tokens, out.tokens,
                   errors);
    else
      errors.push_back({"ai.history." + std::string{key}, "is not a known field"});
  }
}

void read_breaker(const json::value& v, ai_breaker& out,
                  std::vector<config_error>& errors) {
  auto* obj = v.if_object();
  if (obj == nullptr) {
    errors.push_back({"ai.breaker", "must be an object"});
    return;
  }
  for (auto& [key, val] : *obj) {
    if (key == "failures")
      read_integer("ai.breaker.failures", val, 0, max_breaker_failures,
                   out.failures, errors);
    else if (key == "cooldown_ms")
      read_integer("ai.breaker.cooldown_ms", val, 100, max_breaker_cooldown_ms,
                   out.cooldown_ms, errors);
    else
      errors.push_back({"ai.breaker." + std::string{key}, "is not a known field"});
  }
}

void read_fallbacks(const json::value& v, std::vector<ai_upstream>& out,
                    std::vector<config_error>& errors) {
  auto* list = v.if_array();
  if (list == nullptr || list->size() > max_fallbacks) {
    errors.push_back({"ai.fallbacks", "must be an array of at most "
                                        + std::to_string(max_fallbacks)
                                        + " routes"});
    return;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto prefix = "ai.fallbacks." + std::to_string(i) + ".";
    auto* obj = (*list)[i].if_object();
    if (obj == nullptr) {
      errors.push_back({prefix.substr(0, prefix.size() - 1),
                        "must be an object with base_url, model and api_key"});
      continue;
    }
    ai_upstream route;
    read_upstream(*obj, prefix, true, route, errors);
    for (auto& [key, val] : *obj)
      if (key != "base_url" && key != "model" && key != "api_key"
          && key != "api_key_set")
        errors.push_back({prefix + std::string{key}, "is not a known field"});
    out.push_back(std::move(route));
  }
}

json::object upstream_json(const ai_upstream& u, secret_fields secrets) {
  json::object obj;
  // The mock may hold a partial route: only what is set is written.
  if (!u.base_url.empty())
    obj["base_url"] = u.base_url;
  if (!u.model.empty())
    obj["model"] = u.model;
  if (secrets == secret_fields::included) {
    if (!u.api_key.empty())
      obj["api_key"] = u.api_key;
  } else {
    obj["api_key_set"] = !u.api_key.empty();
  }
  return obj;
}

} // namespace

std::string_view to_string(ai_provider x) {
  return x == ai_provider::openai ? "openai" : "mock";
}

bool ai_upstream::operator==(const ai_upstream& other) const {
  return base_url == other.base_url && model == other.model
         && api_key == other.api_key;
}

bool ai_history::operator==(const ai_history& other) const {
  return turns == other.turns && tokens == other.tokens;
}

bool ai_breaker::operator==(const ai_breaker& other) const {
  return failures == other.failures && cooldown_ms == other.cooldown_ms;
}

bool ai_config::operator==(const ai_config& other) const {
  return provider == other.provider && upstream == other.upstream
         && temperature == other.temperature && max_tokens == other.max_tokens
         && timeout_ms == other.timeout_ms
         && connect_timeout_ms == other.connect_timeout_ms
         && system_prompt == other.system_prompt && history == other.history
         && breaker == other.breaker && fallbacks == other.fallbacks;
}

void read_ai_config(const json::value& v, ai_config& out,
                    std::vector<config_error>& errors) {
  auto* obj = v.if_object();
  if (obj == nullptr) {
    errors.push_back({"ai", "must be an object"});
    return;
  }
  if (auto it = obj->find("provider"); it != obj->end()) {
    auto* name = it->value().if_string();
    if (name != nullptr && *name == "mock")
      out.provider = ai_provider::mock;
    else if (name != nullptr && *name == "openai")
      out.provider = ai_provider::openai;
    else
      errors.push_back({"ai.provider", "must be \"mock\" or \"openai\""});
  }
  read_upstream(*obj, "ai.", out.provider == ai_provider::openai, out.upstream,
                errors);
  if (auto it = obj->find("temperature"); it != obj->end()) {
    auto& t = it->value();
    double value = t.is_double()   ? t.get_double()
                   : t.is_int64()  ? static_cast<double>(t.get_int64())
                   : t.is_uint64() ? static_cast<double>(t.get_uint64())
                                   : -1;
    if (!t.is_number() || value < 0 || value > 2)
      errors.push_back({"ai.temperature", "must be a number from 0 to 2"});
    else
      out.temperature = value;
  }
  if (auto it = obj->find("max_tokens"); it != obj->end())
    read_integer("ai.max_tokens", it->value(), 1, max_max_tokens,
                 out.max_tokens, errors);
  if (auto it = obj->find("timeout_ms"); it != obj->end())
    read_integer("ai.timeout_ms", it->value(), 100, max_timeout_ms,
                 out.timeout_ms, errors);
  if (auto it = obj->find("connect_timeout_ms"); it != obj->end())
    read_integer("ai.connect_timeout_ms", it->value(), 100,
                 max_connect_timeout_ms, out.connect_timeout_ms, errors);
  if (out.connect_timeout_ms > out.timeout_ms)
    errors.push_back({"ai.connect_timeout_ms",
                      "must not be longer than ai.timeout_ms"});
  if (read_string(*obj, "system_prompt", max_system_prompt, false,
                  out.system_prompt, errors, "ai.")) {
    auto compiled = reply_template::compile(out.system_prompt);
    if (auto* problem = std::get_if<std::string>(&compiled))
      errors.push_back({"ai.system_prompt", *problem});
    else if (std::get<reply_template>(compiled).uses(
               reply_template::field::message))
      errors.push_back({"ai.system_prompt",
                        "cannot use {message}: the message is the user's turn"});
  }
  if (auto it = obj->find("history"); it != obj->end())
    read_history(it->value(), out.history, errors);
  if (auto it = obj->find("breaker"); it != obj->end())
    read_breaker(it->value(), out.breaker, errors);
  if (auto it = obj->find("fallbacks"); it != obj->end())
    read_fallbacks(it->value(), out.fallbacks, errors);
  static constexpr std::string_view known[] = {
    "provider",   "base_url",           "model",         "api_key",
    "api_key_set", "temperature",       "max_tokens",    "timeout_ms",
    "connect_timeout_ms", "system_prompt", "history",    "breaker",
    "fallbacks"};
  for (auto& [key, val] : *obj)
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      errors.push_back({"ai." + std::string{key}, "is not a known field"});
}

json::object to_json(const ai_config& config, secret_fields secrets) {
  json::object obj;
  obj["provider"] = to_string(config.provider);
  for (auto& member : upstream_json(config.upstream, secrets))
    obj.emplace(member.key(), member.value());
  if (config.temperature)
    obj["temperature"] = *config.temperature;
  obj["max_tokens"] = config.max_tokens;
  obj["timeout_ms"] = config.timeout_ms;
  obj["connect_timeout_ms"] = config.connect_timeout_ms;
  obj["system_prompt"] = config.system_prompt;
  obj["history"] = json::object{{"turns", config.history.turns},
                                {"tokens", config.history.tokens}};
  obj["breaker"] = json::object{{"failures", config.breaker.failures},
                                {"cooldown_ms", config.breaker.cooldown_ms}};
  json::array fallbacks;
  for (auto& route : config.fallbacks)
    fallbacks.push_back(upstream_json(route, secrets));
  obj["fallbacks"] = std::move(fallbacks);
  return obj;
}

std::optional<upstream_url> parse_upstream_url(std::string_view url,
                                               std::string* problem) {
  auto fail = [&](const char* why) -> std::optional<upstream_url> {
    if (problem != nullptr)
      *problem = why;
    return std::nullopt;
  };
  upstream_url out;
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else {
    return fail("must start with http:// or https://");
  }
  if (!is_visible_ascii(url))
    return fail("must be visible ASCII characters");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail("must not have a query or a fragment");
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view{}
                                              : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return fail("must not carry user info (set api_key instead)");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail("has an unclosed '[' in its host");
    out.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return fail("has a malformed host");
    port_text = after.empty() ? after : after.substr(1);
    if (after.size() == 1)
      return fail("has an empty port");
  } else {
    auto colon = authority.find(':');
    out.host = std::string{authority.substr(0, colon)};
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty())
        return fail("has an empty port");
    }
  }
  if (out.host.empty())
    return fail("must name a host");
  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(),
                                     port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size()
        || value == 0 || value > 65535)
      return fail("has a port that is not 1-65535");
    out.port = static_cast<uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  out.path = std::string{path};
  return out;
}

} // namespace tenantd
