#pragma once

// A tenant's AI route: which model answers its chats, through which
// OpenAI-compatible Chat Completions endpoint, with what system prompt and
// how much history. Part of the tenant config ("ai"); plain data, checked
// by read_ai_config. The upstream API keys are secrets: written out only
// when asked for (secret_fields::included, for the store, which seals
// them), never in what a client or the audit trail sees.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace tenantd {

struct config_error;

enum class ai_provider : uint8_t {
  /// The reply template (the seed's behaviour).
  mock,
  /// Any OpenAI-compatible Chat Completions endpoint.
  openai,
};

/// "mock" or "openai".
std::string_view to_string(ai_provider x);

/// Where one route goes: POST base_url + "/chat/completions".
struct ai_upstream {
  /// http:// or https://, a host, an optional port and path; no user
  /// info, query or fragment (e.g. "https://api.openai.com/v1").
  std::string base_url;
  std::string model;
  /// Sent as "Authorization: Bearer …"; empty: none (a local server).
  std::string api_key;

  bool operator==(const ai_upstream& other) const;
};

/// How much of a session's conversation goes with each chat: at most
/// `turns` earlier messages and about `tokens` tokens of them, the newest
/// first.
struct ai_history {
  uint32_t turns = 20;
  uint32_t tokens = 4000;

  bool operator==(const ai_history& other) const;
};

/// The circuit breaker of each route (per tenant and upstream): after
/// `failures` failed calls in a row (no answer, a timeout, a 5xx) the route
/// is skipped for `cooldown_ms`; then one call tries it again (half-open),
/// and its success closes it. failures 0: never skipped.
struct ai_breaker {
  uint32_t failures = 5;
  uint32_t cooldown_ms = 30'000;

  bool operator==(const ai_breaker& other) const;
};

struct ai_config {
  ai_provider provider = ai_provider::mock;
  /// The first route (its base_url and model are required for openai).
  ai_upstream upstream;
  /// Sent as is when set; the upstream's default otherwise.
  std::optional<double> temperature;
  uint32_t max_tokens = 1024;
  /// The whole upstream call, and its connecting part.
  uint32_t timeout_ms = 60'000;
  uint32_t connect_timeout_ms = 5'000;
  /// A template in the reply language ({name}, {welcome}, {id}, {model};
  /// not {message}, which is the user's turn); empty: no system message.
  std::string system_prompt;
  ai_history history;
  ai_breaker breaker;
  /// Tried in order when a route fails before any byte reached the client.
  std::vector<ai_upstream> fallbacks;

  bool operator==(const ai_config& other) const;
};

/// Whether a config written out carries its secrets.
enum class secret_fields : uint8_t {
  /// Every api_key left out, "api_key_set" saying whether there is one:
  /// what clients, logs and the audit trail see.
  hidden,
  /// The keys in clear: only for the store, which seals them at rest.
  included,
};

/// Reads `v` (the config's "ai" member) into `out`, adding problems to
/// `errors` with fields under "ai.".
void read_ai_config(const boost::json::value& v, ai_config& out,
                    std::vector<config_error>& errors);

/// `config` as the "ai" member of a config object.
boost::json::object to_json(const ai_config& config, secret_fields secrets);

/// The secret strings of a config object `config` (a whole tenant config
/// as JSON: ai.api_key and ai.fallbacks[i].api_key), each with its field
/// path ("ai.api_key", "ai.fallbacks.0.api_key"); members of other types
/// are left alone. `visit(std::string_view path, boost::json::value& v)`.
template <class Visit>
void for_each_secret(boost::json::value& config, Visit visit);

/// The parts of a base_url.
struct upstream_url {
  bool tls = false;
  /// A name or an address (an IPv6 one without its brackets).
  std::string host;
  uint16_t port = 0;
  /// "" or a path starting with '/', without a trailing '/'.
  std::string path;
};

/// Parses a base_url; nothing with the problem in `problem`.
std::optional<upstream_url> parse_upstream_url(std::string_view url,
                                               std::string* problem = nullptr);

// -- implementation ---------------------------------------------------------

template <class Visit>
void for_each_secret(boost::json::value& config, Visit visit) {
  auto* obj = config.if_object();
  auto* ai = obj != nullptr ? obj->if_contains("ai") : nullptr;
  auto* route = ai != nullptr ? ai->if_object() : nullptr;
  if (route == nullptr)
    return;
  if (auto* key = route->if_contains("api_key"))
    visit(std::string_view{"ai.api_key"}, *key);
  auto* fallbacks = route->if_contains("fallbacks");
  auto* list = fallbacks != nullptr ? fallbacks->if_array() : nullptr;
  if (list == nullptr)
    return;
  for (std::size_t i = 0; i < list->size(); ++i)
    if (auto* each = (*list)[i].if_object())
      if (auto* key = each->if_contains("api_key")) {
        auto path = "ai.fallbacks." + std::to_string(i) + ".api_key";
        visit(std::string_view{path}, *key);
      }
}

} // namespace tenantd
