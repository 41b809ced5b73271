#pragma once

// Building answers, and the one map from the domain's errors (errc, and
// CAF's own for timeouts and dead actors) to status codes and bodies.

#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>
#include <caf/error.hpp>

#include "http/handler.hpp"

namespace tenantd::http {

/// A response with `body`; Content-Length is set (and kept for HEAD, whose
/// body is dropped, as uvicorn does).
response make_response(const request_facts& facts,
                       boost::beast::http::status st, std::string body,
                       std::string_view content_type = "application/json");

/// {"detail": text} with `st`.
response detail_response(const request_facts& facts,
                         boost::beast::http::status st, std::string_view text);

/// A 422 with pydantic's list of problems.
response unprocessable(const request_facts& facts,
                       const validation_failure& failure);

/// Maps an error from an ask to the client's answer: unknown tenant or
/// session 404, foreign session or suspended tenant 403, duplicate or
/// archived tenant 409, a request timeout 504, storage 503, anything else
/// (an actor that died or kept failing) 503.
response error_to_response(const request_facts& facts, const caf::error& err);

/// Maps an error from an admin change; a refused config is a 422 listing
/// its problems at the fields of `sent` (the client's config or patch).
response change_error_to_response(const request_facts& facts,
                                  const caf::error& err,
                                  const boost::json::value& sent);

} // namespace tenantd::http
