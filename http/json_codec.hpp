#pragma once

// JSON in and out, with FastAPI's shapes: request bodies are decoded the way
// FastAPI + pydantic v2 validate a model parameter (every bad or missing
// field reported as 422), responses are compact UTF-8 JSON with the seed's
// key order.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>

#include "actors/messages.hpp"

namespace tenantd::http {

/// A 422 answer: the list that goes under "detail".
struct validation_failure {
  boost::json::array detail;
};

struct session_request {
  std::string tenant_id;
};

struct chat_request {
  std::string tenant_id;
  std::string session_id;
  std::string message;
};

template <class T>
using decoded = std::variant<T, validation_failure>;

/// Decodes POST /session's body. `content_type` is the header's value (empty
/// when absent); like FastAPI, a non-JSON content type is not parsed.
decoded<session_request> decode_session_request(std::string_view body,
                                                std::string_view content_type);

/// Decodes POST /chat's body.
decoded<chat_request> decode_chat_request(std::string_view body,
                                          std::string_view content_type);

/// {"detail":"<text>"}
std::string detail_body(std::string_view text);

/// {"detail":[...]}
std::string validation_body(const validation_failure& failure);

/// {"ok":true,"tenants":[...]}
std::string root_body(const std::vector<std::string>& tenant_ids);

/// {"session_id":...,"tenant":{"id","name","welcome"}}
std::string session_body(const session_grant& grant);

/// {"tenant_id","session_id","reply","model","mock":true}
std::string chat_body(const chat_request& req, const chat_result& result);

} // namespace tenantd::http
