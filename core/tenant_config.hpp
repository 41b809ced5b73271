#pragma once

// A tenant's configuration: one line of tenants.jsonl (and, later, one row
// of the tenant store). Plain data, so it can travel in actor messages; the
// reply template is kept as its source text and compiled by the tenant actor.
// (How these travel in messages: actors/type_ids.hpp.)

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "core/ai_config.hpp"
#include "core/settings.hpp"

namespace tenantd {

struct tenant_limits {
  /// Chats admitted per 10-second window for the whole tenant; 0 = no limit.
  uint32_t chat_per_10s = 0;
  /// Seconds a session may go unused before it expires; 0 = the service's
  /// SESSION_TTL.
  uint32_t session_ttl = 0;
  /// Live sessions the tenant may hold at once (POST /session gets 429
  /// beyond); 0 = the service's MAX_SESSIONS_PER_TENANT.
  uint32_t max_sessions = 0;
  /// Reply bytes (as sent) per second for the whole tenant, faster replies
  /// being held back; 0 = the service's TENANT_REPLY_BYTES_PER_S.
  uint32_t reply_bytes_per_s = 0;
  /// Upstream tokens (prompt and completion) per 60-second window for the
  /// whole tenant, reserved before each call and settled after it; 0 = no
  /// limit. Only chats answered by an upstream spend tokens.
  uint32_t tokens_per_minute = 0;
};

/// Who may open sessions and chat in a tenant.
enum class auth_mode : uint8_t {
  /// Anyone who knows the tenant id (the seed's behaviour); a credential
  /// sent must still be one of this tenant's.
  open,
  /// Only the tenant's users and API keys (and the platform admin).
  required,
};

/// "open" or "required".
std::string_view to_string(auth_mode x);

struct tenant_config {
  std::string id;
  std::string name;
  std::string welcome;
  std::string model = "mock";
  tenant_limits limits;
  /// Reply template source; see reply_template.hpp.
  std::string reply = default_reply;
  auth_mode auth = auth_mode::open;
  /// Who answers the chats: the reply template (mock) or an upstream model.
  ai_config ai;

  static constexpr const char* default_reply = "{welcome} You said: '{message}'.";
};

/// One problem with a config: the field's path (e.g. "limits.chat_per_10s",
/// empty for the whole object) and what is wrong with it.
struct config_error {
  std::string field;
  std::string problem;
};

/// Validates and converts one tenant config object. Unknown fields are
/// refused so that a typo never silently falls back to a default.
std::variant<tenant_config, std::vector<config_error>>
parse_tenant_config(const boost::json::value& v);

/// What is wrong with `cfg`'s reply under `limits`: its worst case (the
/// longest message, see reply_template::worst_case_bytes) is larger than
/// limits.max_reply_bytes. Nothing if it fits, or if the template does not
/// compile (parse_tenant_config reports that).
std::optional<config_error> check_reply_size(const tenant_config& cfg,
                                             const reply_limits& limits);

/// The config as a JSON object, in the field order of a tenants.jsonl line;
/// parse_tenant_config(to_json(c, secret_fields::included)) gives back c.
/// Defaults are written out (model, reply); zero limits, and an "ai" that
/// is all defaults (the mock), are left out. Hidden (the default), the
/// upstream API keys are left out: see secret_fields.
boost::json::object to_json(const tenant_config& config,
                            secret_fields secrets = secret_fields::hidden);

/// What a 422 may echo of a body: a "password" member, and under "ai"
/// every member but the known ones that hold no secret (so a key sent in
/// a misspelt field, or a fallback list of the wrong shape, is hidden
/// too), replaced by "(hidden)".
void hide_secrets(boost::json::value& body);

/// Applies an RFC 7396 JSON merge patch to `target`: members of an object
/// patch replace or (when null) remove the target's members, recursively;
/// any other patch replaces the target whole.
void apply_merge_patch(boost::json::value& target,
                       const boost::json::value& patch);

/// Reads a tenants file (JSON Lines, blank lines allowed). Throws
/// std::runtime_error naming the file, the line and the problem for any bad
/// line, a duplicate id, or a file without tenants.
std::vector<tenant_config> load_tenants_file(const std::string& path);

/// What load_tenants_file does once the file is open: reads the lines of
/// `in`, naming `path` in errors the same way (also used by the fuzz target,
/// which has no file).
std::vector<tenant_config> read_tenants(std::istream& in,
                                        const std::string& path);

/// Ids: 1 to 63 lowercase ASCII letters, digits and dashes, starting with a
/// letter or digit — safe in URLs, logs, file names and metric labels.
bool is_valid_tenant_id(std::string_view id);

} // namespace tenantd
