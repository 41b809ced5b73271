#pragma once

// What the resources of a tenant (users.cpp, keys.cpp) share: a body read
// field by field into a request, and an ask of the tenant's actor mapped
// to an answer.

#include <string>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/json/value.hpp>

#include "http/bridge.hpp"
#include "http/handler.hpp"
#include "http/json/codec.hpp"
#include "http/respond.hpp"

namespace tenantd::http::api {

/// The body as a JSON object (parsed and bounded as every body is), read by
/// `read(object, body)` into a Body, which returns the problems; or the
/// 422 with every problem at its field (a password echoed as "(hidden)").
template <class Body, class Read>
std::variant<Body, validation_failure> decode_body(const call& c, Read read) {
  auto parsed = decode_merge_patch(
    c.req.body(), c.req[boost::beast::http::field::content_type],
    c.ctx.options.limits);
  if (auto* bad = std::get_if<validation_failure>(&parsed))
    return std::move(*bad);
  auto& obj = std::get<boost::json::object>(parsed);
  Body body;
  auto problems = read(obj, body);
  if (problems.empty())
    return body;
  // config_failure echoes a password as "(hidden)".
  return config_failure(problems, boost::json::value(std::move(obj)));
}

/// Asks tenant `msg.tenant`'s actor `msg` and answers with
/// `answer(facts, result)`, or the error's status.
template <class Result, class Message, class Answer>
void ask_tenant_actor(const call& c, reply done, Message msg, Answer answer) {
  done.about_tenant(msg.tenant);
  c.asks.ask_tenant<Result>(
    std::move(msg), [facts = c.facts, done = std::move(done),
                     answer = std::move(answer)](caf::expected<Result> r) {
      done(r ? answer(facts, *r) : error_to_response(facts, r.error()));
    });
}

/// 204 without a body.
inline response no_content(const request_facts& facts) {
  auto res = make_response(facts, boost::beast::http::status::no_content, "");
  res.erase(boost::beast::http::field::content_type);
  return res;
}

} // namespace tenantd::http::api
