#pragma once

// JSON in and out, with FastAPI's shapes: request bodies are decoded the way
// FastAPI + pydantic v2 validate a model parameter (every bad or missing
// field reported as 422), responses are compact UTF-8 JSON with the seed's
// key order.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "actors/interfaces.hpp"
#include "http/json/diagnostics.hpp"

namespace tenantd::http {

/// Bounds on a request body's content (its size is the server's limit).
/// Each is configurable (see app/config.hpp).
struct body_limits {
  /// Deepest nesting of arrays and objects; deeper is json_invalid.
  std::size_t max_depth = default_max_json_depth;
  /// Most object members plus array elements in one body (a 64 KiB body
  /// could hold ~30,000); more is a 422 too_many_fields.
  std::size_t max_fields = 256;
  /// Longest /chat message in code points (as Python's len()); longer is
  /// pydantic's 422 string_too_long.
  std::size_t max_message_chars = 4096;
};

/// A 422 answer: the list that goes under "detail".
struct validation_failure {
  boost::json::array detail;
};

struct session_request_body {
  std::string tenant_id;
};

struct chat_request_body {
  std::string tenant_id;
  std::string session_id;
  std::string message;
  /// "stream": true asks for server-sent events.
  bool stream = false;
};

template <class T>
using decoded = std::variant<T, validation_failure>;

/// Decodes POST /session's body. `content_type` is the header's value (empty
/// when absent); like FastAPI, a non-JSON content type is not parsed.
decoded<session_request_body> decode_session_request(std::string_view body,
                                                std::string_view content_type,
                                                const body_limits& limits = {});

/// Decodes POST /chat's body; the message may have at most
/// limits.max_message_chars code points.
decoded<chat_request_body> decode_chat_request(std::string_view body,
                                          std::string_view content_type,
                                          const body_limits& limits = {});

/// {"detail":"<text>"}
std::string detail_body(std::string_view text);

/// {"detail":[...]}
std::string validation_body(const validation_failure& failure);

/// {"ok":true,"tenants":[...]}
std::string root_body(const std::vector<std::string>& tenant_ids);

/// {"session_id":...,"tenant":{"id","name","welcome"}}
std::string session_body(const session_grant& grant);

/// {"tenant_id","session_id","reply","model","mock":true}
std::string chat_body(const chat_request_body& req, const chat_result& result);

/// POST /chat's answer as server-sent events ("stream": true or Accept:
/// text/event-stream), each "event: <name>\ndata: <JSON>\n\n":
/// "delta" {"delta":"<piece>"} for each piece of the reply as it comes;
/// then "done", chat_body's object with "usage":{"prompt_tokens",
/// "completion_tokens","estimated"}; or "error" {"detail","kind"} when the
/// reply broke off after pieces were sent.
std::string chat_delta_event(std::string_view piece);
struct chat_usage {
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  bool estimated = false;
};
std::string chat_done_event(const chat_request_body& req,
                            const chat_result& result, const chat_usage& usage);
std::string chat_error_event(std::string_view detail, std::string_view kind);

// -- the admin API ------------------------------------------------------------

/// Which part of the tenant listing GET /tenants asks for.
struct page_request {
  uint64_t offset = 0;
  uint64_t limit = 100;
};

/// Decodes POST /tenants's body: a tenant config as in the tenants file,
/// under the same content-type rule as POST /session. Each problem is a
/// value_error at its field (see config_failure).
decoded<tenant_config> decode_tenant_config(std::string_view body,
                                            std::string_view content_type,
                                            const body_limits& limits = {});

/// True for the media types a PATCH body may have: application/json and
/// application/merge-patch+json, in any case, with parameters.
bool is_merge_patch_content_type(std::string_view content_type);

/// Decodes PATCH /tenants/{id}'s body: a JSON merge patch, which must be an
/// object (a patch that is not one would replace the whole config).
decoded<boost::json::object> decode_merge_patch(std::string_view body,
                                                std::string_view content_type,
                                                const body_limits& limits = {});

/// A query string's parameters by name, names and values made valid UTF-8
/// (errors echo them, and JSON must be valid UTF-8); a 422 if a parameter
/// is given more than once.
decoded<std::map<std::string, std::string>>
decode_query_form(std::string_view raw);

/// A 422 item about query parameter `name` (a value_error).
boost::json::object query_error(std::string_view name, std::string_view value,
                                std::string msg);

/// `value` as a decimal integer from `min` to `max`, or nothing.
std::optional<int64_t> query_integer(std::string_view value, int64_t min,
                                     int64_t max);

/// Decodes GET /tenants's query string (without the '?'): optional `offset`
/// (>= 0) and `limit` (1 to 1000); any other parameter is refused.
decoded<page_request> decode_page_query(std::string_view query);

/// The 422 for the problems of a tenant config: one value_error per problem,
/// located at its field ("limits.chat_per_10s" -> ["body","limits",
/// "chat_per_10s"]), with the value the client sent there as input (or the
/// object that lacks it). `sent` is the config or the merge patch. Without
/// problems (a refusal that carries none), one error for the whole body.
/// Secrets and passwords are echoed as "(hidden)" (hide_secrets).
validation_failure config_failure(const std::vector<config_error>& problems,
                                  const boost::json::value& sent);

/// A tenant as the admin API shows it: {"id","name","welcome","model",
/// "limits":{only the limits set},"reply","status","created_at",
/// "updated_at","stats":{"active","sessions","chats","rate_limited"}}, times
/// in RFC 3339 UTC with milliseconds.
std::string tenant_body(const tenant_record& record);

/// {"tenants":[{"id","status"}...],"offset","limit","total","next"}; "next"
/// is the target of the following page, or null on the last one.
std::string tenant_page_body(const tenant_page& page,
                             const page_request& request);

/// `unix_ms` as RFC 3339 UTC with milliseconds: "2026-11-27T04:38:57.901Z".
std::string rfc3339_millis(int64_t unix_ms);

} // namespace tenantd::http
