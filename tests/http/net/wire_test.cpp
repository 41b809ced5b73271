// wire_bytes writes an answer exactly as Beast's serializer would: the
// status line (stored reason or the status's own, HTTP/1.0 or 1.1), every
// field in order with its spelling, the blank line, the body as it is.

#include <sstream>
#include <string>

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "http/net/wire.hpp"

namespace {

using tenantd::http::response;
using tenantd::http::wire_bytes;
namespace bhttp = boost::beast::http;

std::string beast_bytes(const response& res) {
  std::ostringstream out;
  out << res;
  return out.str();
}

response make(bhttp::status st, unsigned version, std::string body) {
  response res{st, version};
  res.set(bhttp::field::content_type, "application/json");
  res.set("X-Request-Id", "0123456789abcdef0123456789abcdef");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

TEST(WireBytes, AreBeastsBytes) {
  std::vector<response> answers;
  answers.push_back(make(bhttp::status::ok, 11, R"({"ok":true,"tenants":["acme"]})"));
  answers.push_back(make(bhttp::status::forbidden, 11,
                         R"({"detail":"Session does not belong to tenant"})"));
  answers.push_back(make(bhttp::status::not_found, 10, R"({"detail":"Not Found"})"));
  auto redirect = make(bhttp::status::temporary_redirect, 11, "");
  redirect.set(bhttp::field::location, "/chat?x=1");
  answers.push_back(redirect);
  // A HEAD answer: the length of the body it does not carry.
  auto head = make(bhttp::status::method_not_allowed, 11, "");
  head.content_length(31);
  head.set(bhttp::field::allow, "POST");
  answers.push_back(head);
  auto reasoned = make(bhttp::status::too_many_requests, 11, "{}");
  reasoned.reason("Slow Down");
  answers.push_back(reasoned);
  auto unknown = make(static_cast<bhttp::status>(299), 11, "x");
  answers.push_back(unknown);
  auto closing = make(bhttp::status::service_unavailable, 11, "{}");
  closing.keep_alive(false);
  answers.push_back(closing);
  auto nonascii = make(bhttp::status::ok, 11, "{\"reply\":\"ünïcödé ✓\"}");
  nonascii.insert("RateLimit", "\"chat\";r=7;t=3");
  answers.push_back(nonascii);
  for (auto& res : answers)
    EXPECT_EQ(wire_bytes(res), beast_bytes(res));
}

} // namespace
