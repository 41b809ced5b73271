#pragma once

// The OpenAI-compatible face (/v1): Chat Completions requests, answers,
// streamed chunks and errors in the shapes OpenAI's API and SDKs use.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/interfaces.hpp"
#include "http/handler.hpp"

namespace tenantd::http {

/// POST /v1/chat/completions' body, as far as the platform uses it; other
/// members (tools, response_format, ...) are ignored.
struct completion_body {
  std::string model;
  /// Roles system, developer (taken as system), user, assistant; a
  /// content given as text parts is joined.
  std::vector<chat_turn> messages;
  bool stream = false;
  /// stream_options.include_usage: a last chunk with the usage.
  bool include_usage = false;
  /// max_completion_tokens, else max_tokens; 0: the tenant's.
  uint32_t max_tokens = 0;
  /// Negative: the tenant's.
  double temperature = -1;
};

/// A request OpenAI would refuse with 400 invalid_request_error: what is
/// wrong, and the parameter ("" for the body as a whole).
struct completion_problem {
  std::string message;
  std::string param;
};

std::variant<completion_body, completion_problem>
decode_completion(std::string_view body);

/// A chat.completion: one choice, its finish_reason "length" when the
/// reply used all of max_tokens, else "stop".
struct completion_answer {
  std::string id;
  int64_t created = 0;
  std::string model;
  std::string reply;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  uint32_t max_tokens = 0;
};

std::string completion_json(const completion_answer& a);

/// The chunks of a streamed answer, each a "data: {chunk}\n\n" event: the
/// first (the assistant's role), one per piece, the last (its
/// finish_reason), the usage (choices empty; only if asked), then
/// "data: [DONE]\n\n".
std::string completion_role_chunk(const completion_answer& a);
std::string completion_delta_chunk(const completion_answer& a,
                                   std::string_view piece);
std::string completion_finish_chunk(const completion_answer& a);
std::string completion_usage_chunk(const completion_answer& a);
std::string completion_done_event();

/// {"error":{"message","type","param","code"}}; param and code null when
/// empty.
std::string openai_error_json(std::string_view message, std::string_view type,
                              std::string_view param, std::string_view code);

/// `res` (an answer in the platform's shape, {"detail": ...}) in OpenAI's
/// error shape, its status and headers kept: the type and code follow
/// the status (401 invalid_api_key, 404 model_not_found for an unknown
/// model, 429 rate_limit_exceeded, 5xx server_error, ...).
response openai_error(response res);

/// A mid-stream failure as OpenAI's API sends one: "data: {"error":...}".
std::string completion_error_event(std::string_view message,
                                   std::string_view code);

/// GET /v1/models: {"object":"list","data":[{"id","object":"model",
/// "created":0,"owned_by"}]}.
std::string model_list_json(const std::vector<std::string>& models,
                            std::string_view owner);

} // namespace tenantd::http
