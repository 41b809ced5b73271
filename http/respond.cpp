#include "http/respond.hpp"

#include <caf/sec.hpp>

#include "actors/interfaces.hpp"

namespace tenantd::http {

namespace beast_http = boost::beast::http;
using beast_http::status;

response make_response(const request_facts& facts, status st, std::string body,
                       std::string_view content_type) {
  response res{st, facts.version};
  res.set(beast_http::field::content_type, content_type);
  res.keep_alive(facts.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  if (facts.head)
    res.body().clear(); // Content-Length stays, as uvicorn sends it
  return res;
}

response detail_response(const request_facts& facts, status st,
                         std::string_view text) {
  return make_response(facts, st, detail_body(text));
}

response unprocessable(const request_facts& facts,
                       const validation_failure& failure) {
  return make_response(facts, status::unprocessable_entity,
                       validation_body(failure));
}

response error_to_response(const request_facts& facts, const caf::error& err) {
  if (is(err, errc::unknown_tenant))
    return detail_response(facts, status::not_found, "Unknown tenant_id");
  if (is(err, errc::unknown_session))
    return detail_response(facts, status::not_found, "Unknown session_id");
  if (is(err, errc::foreign_session))
    return detail_response(facts, status::forbidden,
                           "Session does not belong to tenant");
  if (is(err, errc::tenant_suspended))
    return detail_response(facts, status::forbidden, "Tenant is suspended");
  if (is(err, errc::permission_denied))
    return detail_response(facts, status::forbidden, "Not permitted");
  if (is(err, errc::duplicate_tenant))
    return detail_response(facts, status::conflict, "Tenant already exists");
  if (is(err, errc::tenant_archived))
    return detail_response(facts, status::conflict, "Tenant is archived");
  if (is(err, errc::too_many_sessions))
    return detail_response(facts, status::too_many_requests,
                           "Too many sessions for this tenant");
  if (is(err, errc::reply_rate_exceeded)) {
    // The backlog it is over is the longest pacing wait, a second.
    auto res = detail_response(facts, status::too_many_requests,
                               "Reply bandwidth exceeded for this tenant");
    res.set(beast_http::field::retry_after, "1");
    return res;
  }
  if (is(err, errc::reply_too_large))
    return detail_response(facts, status::internal_server_error,
                           "Reply exceeds MAX_REPLY_BYTES");
  if (is(err, errc::authentication_required)) {
    auto res = detail_response(facts, status::unauthorized, "Not authenticated");
    res.set(beast_http::field::www_authenticate, "Bearer");
    return res;
  }
  if (is(err, errc::invalid_credential)) {
    auto res = detail_response(facts, status::unauthorized,
                               "Invalid credential");
    res.set(beast_http::field::www_authenticate,
            "Bearer error=\"invalid_token\"");
    return res;
  }
  if (is(err, errc::foreign_credential))
    return detail_response(facts, status::forbidden,
                           "Credential does not belong to tenant");
  if (is(err, errc::insufficient_role))
    return detail_response(facts, status::forbidden,
                           "Role does not permit this");
  if (is(err, errc::foreign_principal))
    return detail_response(facts, status::forbidden,
                           "Session does not belong to principal");
  if (is(err, errc::unknown_user))
    return detail_response(facts, status::not_found, "Unknown user");
  if (is(err, errc::unknown_api_key))
    return detail_response(facts, status::not_found, "Unknown API key");
  if (is(err, errc::duplicate_email))
    return detail_response(facts, status::conflict,
                           "A user with this email exists");
  if (is(err, errc::hashing_busy)) {
    auto res = detail_response(facts, status::service_unavailable,
                               "Too many password checks in progress");
    res.set(beast_http::field::retry_after, "1");
    return res;
  }
  if (is(err, errc::upstream_circuit_open)) {
    auto res = detail_response(facts, status::service_unavailable,
                               "Upstream circuit open");
    res.set(beast_http::field::retry_after, std::to_string(wait_of(err)));
    return res;
  }
  if (is(err, errc::chat_exceeds_token_limit))
    return detail_response(facts, status::payload_too_large,
                           "Chat needs more tokens than "
                           "limits.tokens_per_minute allows");
  if (is(err, errc::unknown_model))
    return detail_response(facts, status::not_found, "Unknown model");
  if (is(err, errc::storage_failed))
    return detail_response(facts, status::service_unavailable,
                           "Storage unavailable");
  if (err == caf::sec::request_timeout)
    return detail_response(facts, status::gateway_timeout,
                           "Upstream actor timed out");
  // A tenant actor that died mid-request (being restarted) or that kept
  // failing (tenant_unavailable): not the client's fault, try again later.
  return detail_response(facts, status::service_unavailable,
                         "Service temporarily unavailable");
}

response change_error_to_response(const request_facts& facts,
                                  const caf::error& err,
                                  const boost::json::value& sent) {
  if (is(err, errc::invalid_config))
    return unprocessable(facts, config_failure(config_errors_of(err), sent));
  return error_to_response(facts, err);
}

} // namespace tenantd::http
