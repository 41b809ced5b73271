#pragma once

// A chat answered by a tenant's AI upstream: the tenant's actor planned it
// (upstream_plan: routes, system prompt, history, message); this calls the
// routes in order on the request's I/O thread until one answers, and says
// what came of it. Shared by the routes that chat (POST /chat).

#include <functional>
#include <optional>
#include <string>

#include "actors/interfaces.hpp"
#include "http/handler.hpp"

namespace tenantd::http::api {

/// An answered call (reply, the model that answered, its usage) or the
/// response that says why there is none: 504 for a timeout, 429 (with the
/// upstream's Retry-After) for an upstream's rate limit, 502 otherwise.
/// The detail never holds a key, an address or the upstream's body.
struct upstream_outcome {
  std::optional<response> refusal;
  std::string reply;
  std::string model;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
};

/// Tries the routes of `plan` in order, each retried up to twice as the
/// OpenAI SDKs do (a broken connection, 408, 409, 429, 5xx; honouring
/// retry-after-ms and retry-after), then the next after a
/// failure, an error status, an answer without a reply or one over
/// plan.max_reply_bytes (502 `Upstream reply exceeds MAX_REPLY_BYTES` if
/// the last route's is). `done` runs
/// once, on the client's thread.
void call_upstream(upstream::client& client, const request_facts& facts,
                   const std::string& tenant, upstream_plan plan,
                   std::function<void(upstream_outcome)> done);

} // namespace tenantd::http::api
