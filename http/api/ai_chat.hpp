#pragma once

// A chat answered by a tenant's AI upstream: the tenant's actor planned it
// (upstream_plan: routes, system prompt, history, message); this calls the
// routes in order on the request's I/O thread until one answers, and says
// what came of it. Shared by the routes that chat (POST /chat).

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "actors/interfaces.hpp"
#include "http/handler.hpp"
#include "http/upstream/client.hpp"

namespace tenantd::http::api {

/// An answered call (reply, the model that answered, its usage) or the
/// response that says why there is none: 504 for a timeout, 429 (with the
/// upstream's Retry-After) for an upstream's rate limit, 502 otherwise.
/// The detail never holds a key, an address or the upstream's body.
/// Either way, how the routes fared, for the tenant's actor
/// (chat_completed).
struct upstream_outcome {
  std::optional<response> refusal;
  std::string reply;
  std::string model;
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  /// The upstream said no usage: the tokens are estimated.
  bool estimated = false;
  std::vector<route_outcome> routes;
  uint32_t retries = 0;
  /// Not answered: the refusal's detail (for a stream's error event).
  std::string detail;
  /// Streamed: a piece of the reply reached the client (then a failure
  /// came after it: no retry, no fallback).
  bool streamed = false;
  /// Empty if answered; else the kind of the last failure ("timeout",
  /// "unreachable", "rate_limited", "status", "bad_answer"; for a stream
  /// also "truncated" (it ended early), "token_limit" (it outgrew its
  /// reservation), "cancelled" (the client went)).
  std::string failure;
  std::chrono::steady_clock::duration latency{};
  /// Until the first piece of a streamed reply (else the whole latency).
  std::chrono::steady_clock::duration first_token{};
  /// The plan's, given back.
  uint64_t generation = 0;
  uint64_t reservation = 0;
  std::vector<uint32_t> trials;
};

/// The report of `out` for the tenant's actor: the exchange (user's turn
/// `message`), the routes, the tokens to settle the plan's reservation.
chat_completed report_of(const upstream_outcome& out, const std::string& tenant,
                         const session_id& session, std::string message);

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

/// Like call_upstream, asking each route for a stream: `on_delta` gets
/// each piece of the reply as it comes (the first one ends retries and
/// fallbacks: it has reached the client), and `done` the outcome, its
/// reply whole. The stream is stopped ("token_limit") once the reply
/// outgrows plan.max_tokens (more pieces than that, or more than twice
/// that at four bytes a token): the upstream ignores max_tokens and would
/// overshoot the reservation; or ("bad_answer") MAX_REPLY_BYTES. The
/// canceller stops the call ("cancelled"): the client has gone.
upstream::client::canceller
stream_upstream(upstream::client& client, const request_facts& facts,
                const std::string& tenant, upstream_plan plan,
                std::function<void(std::string_view)> on_delta,
                std::function<void(upstream_outcome)> done);

} // namespace tenantd::http::api
