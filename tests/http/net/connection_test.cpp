// Connections of the running service: body and header limits, malformed
// requests, deadlines, keep-alive, pipelining, HTTP/1.0, 100-continue.

#include <thread>

#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using HttpBodyLimit = http_test;
using HttpConnection = http_bulk_test;

// -- body limit, malformed requests
// ----------------------------------------------

/// A valid /session body for acme padded with spaces to exactly `size` bytes.
std::string padded_session_body(std::size_t size) {
  std::string body = R"({"tenant_id":"acme"})";
  body.insert(body.size() - 1, size - body.size(), ' ');
  return body;
}

TEST_F(HttpBodyLimit, A64KiBBodyIsAccepted) {
  auto res = client.post("/session", padded_session_body(64 * 1024));
  EXPECT_EQ(res.result(), status::ok) << res.body();
}

TEST(HttpBodyLimitConfig, BodyLimitSetsTheLimit) {
  auto config = test_config();
  config.body_limit = 100;
  running_service server{seed_tenants(), config};
  http_client client{server.port()};
  EXPECT_EQ(client.post("/session", padded_session_body(100)).result(),
            status::ok);
  http_client other{server.port()};
  other.try_write(wire_bytes(
    make_request(verb::post, "/session", padded_session_body(101))));
  EXPECT_EQ(other.read_response().result(), status::payload_too_large);
}

TEST_F(HttpBodyLimit, ALargerBodyIs413AndTheConnectionCloses) {
  // The server may answer as soon as it has read the header, and close
  // before the body is through: the write may fail, the answer must come.
  auto ec = client.try_write(wire_bytes(
    make_request(verb::post, "/session", padded_session_body(64 * 1024 + 1))));
  http_response res;
  try {
    res = client.read_response();
  } catch (const std::exception& e) {
    FAIL() << "no 413 answer (write: " << ec.message() << "; read: " << e.what()
           << ")";
  }
  EXPECT_EQ(res.result(), status::payload_too_large);
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  auto body = json::parse(res.body());
  EXPECT_TRUE(body.at("detail").is_string()) << res.body();
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  // The service itself is fine.
  http_client other{server.port()};
  EXPECT_EQ(other.get("/").result(), status::ok);
}

TEST_F(HttpBodyLimit, AnEarly413ReachesAClientStillSendingItsBody) {
  // As Python's urllib does: the whole body is written before the answer
  // is read. The server answers at the header, then reads and discards the
  // rest (lingering close): closing at once would reset the connection and
  // lose the answer.
  for (int i = 0; i < 20; ++i) {
    http_client c{server.port()};
    auto ec = c.try_write(wire_bytes(
      make_request(verb::post, "/session", std::string(2 << 20, ' '))));
    EXPECT_FALSE(ec) << i << ": " << ec.message();
    http_response res;
    try {
      res = c.read_response();
    } catch (const std::exception& e) {
      FAIL() << i << ": no answer: " << e.what();
    }
    EXPECT_EQ(res.result(), status::payload_too_large) << i;
    EXPECT_TRUE(c.closed_by_server());
  }
}

TEST_F(HttpBodyLimit, ALargeChunkedBodyIs413) {
  std::string raw
    = "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string chunk(16 * 1024, ' ');
  for (int i = 0; i < 5; ++i)
    raw += "4000\r\n" + chunk + "\r\n";
  raw += "0\r\n\r\n";
  client.try_write(raw); // may fail once the server has answered
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::payload_too_large);
  EXPECT_TRUE(json::parse(res.body()).at("detail").is_string());
}

TEST_F(HttpBodyLimit, AChunkedBodyWithinTheLimitIsAccepted) {
  client.write(
    "POST /session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n"
    "5\r\n{\"ten\r\n"
    "f\r\nant_id\":\"acme\"}\r\n"
    "0\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("tenant").at("id"), "acme");
}

// Chunk lines and trailers count against the body limit, so none of them
// is held without bound: each of these would otherwise keep the server
// buffering until the body timeout (the attack run's 1 GB every 6 s).
const std::string chunked_chat_head
  = "POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

// Sends `head` and then `filler` until the server answers (at most
// `most` bytes); returns the answer.
http_response flood_until_answered(http_client& client, const std::string& head,
                                   char filler, std::size_t most = 4u << 20) {
  client.try_write(head);
  std::string block(16 * 1024, filler);
  for (std::size_t sent = 0; sent < most; sent += block.size())
    if (client.try_write(block))
      break; // the server answered and closed
  return client.read_response();
}

TEST_F(HttpBodyLimit, AnEndlessChunkExtensionIs413) {
  auto res = flood_until_answered(client, chunked_chat_head + "2;x=", 'a');
  EXPECT_EQ(res.result(), status::payload_too_large);
  EXPECT_EQ(res.body(), R"({"detail":"Request body too large"})");
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpBodyLimit, AZeroPaddedChunkSizeIs413) {
  auto res = flood_until_answered(client, chunked_chat_head, '0');
  EXPECT_EQ(res.result(), status::payload_too_large);
}

TEST_F(HttpBodyLimit, EndlessTrailersAre413) {
  std::string trailers;
  for (int i = 0; i < 20000; ++i)
    trailers += "X-T" + std::to_string(i) + ": v\r\n";
  client.try_write(chunked_chat_head + "2\r\n{}\r\n0\r\n" + trailers);
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::payload_too_large);
}

TEST_F(HttpBodyLimit, ChunkFramingCountsAgainstTheLimit) {
  // 40 KiB of payload in chunks of 4 bytes: 9 bytes each on the wire.
  std::string body;
  for (int i = 0; i < 10 * 1024; ++i)
    body += "4\r\n    \r\n";
  client.try_write(chunked_chat_head + body + "0\r\n\r\n");
  EXPECT_EQ(client.read_response().result(), status::payload_too_large);
  // The same payload in one chunk is within the limit (and reaches the
  // handler: 422, it is not JSON).
  http_client other{server.port()};
  other.write(chunked_chat_head + "a000\r\n" + std::string(40 * 1024, ' ')
              + "\r\n0\r\n\r\n");
  EXPECT_EQ(other.read_response().result(), status::unprocessable_entity);
}

TEST_F(HttpBodyLimit, ChunkedBodiesWithExtensionsAndTrailersWithinTheLimitWork) {
  client.write(
    "POST /session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\n{\"ten\r\n"
    "f\r\nant_id\":\"acme\"}\r\n"
    "0\r\nX-Trailer: yes\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::ok) << res.body();
}

TEST_F(HttpBodyLimit, AMalformedRequestIs400AndClosed) {
  client.write("THIS IS NOT HTTP\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_TRUE(json::parse(res.body()).at("detail").is_string()) << res.body();
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpBodyLimit, OversizedHeadersAre431) {
  auto req = make_request(verb::get, "/", {}, std::nullopt,
                          {{"X-Big", std::string(20 * 1024, 'a')}});
  client.try_write(wire_bytes(req)); // may fail once the server has answered
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::request_header_fields_too_large);
  EXPECT_TRUE(client.closed_by_server());
}

// -- RFC 9112 ----------------------------------------------------------------

using HttpMessageSyntax = http_test;

TEST_F(HttpMessageSyntax, AnHttp11RequestNeedsExactlyOneHost) {
  client.write("GET / HTTP/1.1\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_TRUE(client.closed_by_server());
  http_client twice{server.port()};
  twice.write("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(twice.read_response().result(), status::bad_request);
  // HTTP/1.0 may go without.
  http_client old{server.port()};
  old.write("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.read_response().result(), status::ok);
}

TEST_F(HttpMessageSyntax, AnInvalidHostIs400AndNeverReachesALocation) {
  // The seed's 307 builds its Location from Host.
  client.write("POST /chat/ HTTP/1.1\r\nHost: a\"b<x>\r\nContent-Length: 0\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::bad_request);
  EXPECT_EQ(header(res, "Location"), "");
  for (auto host : {"example.com", "example.com:8001", "127.0.0.1:1", "[::1]:8001",
                    "xn--bcher-kva.example"}) {
    http_client ok{server.port()};
    ok.write(std::string{"POST /chat/ HTTP/1.1\r\nHost: "} + host
             + "\r\nContent-Length: 0\r\n\r\n");
    auto redirect = ok.read_response();
    EXPECT_EQ(redirect.result(), status::temporary_redirect) << host;
    EXPECT_EQ(header(redirect, "Location"), std::string{"http://"} + host + "/chat")
      << host;
  }
  for (auto host : {"a b", "a/b", "a@b", "a:port", "[::1", "a:123456"}) {
    http_client bad{server.port()};
    bad.write(std::string{"GET / HTTP/1.1\r\nHost: "} + host + "\r\n\r\n");
    EXPECT_EQ(bad.read_response().result(), status::bad_request) << host;
  }
}

TEST_F(HttpMessageSyntax, AnAbsoluteFormTargetIsRoutedByItsPath) {
  client.write("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res.body(), R"({"ok":true,"tenants":["acme","globex","initech"]})");
  client.write("GET HTTP://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(client.read_response().result(), status::ok);
}

TEST_F(HttpMessageSyntax, EmptyLinesBeforeARequestLineAreIgnored) {
  client.write("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.read_response().result(), status::ok);
  // Also between pipelined requests, as some clients send after a body.
  client.write(wire_bytes(make_request(verb::post, "/session", session_json("acme")))
               + "\r\n" + "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.read_response().result(), status::ok);
  EXPECT_EQ(client.read_response().result(), status::ok);
}

TEST_F(HttpMessageSyntax, AnUnknownTransferCodingIs501AndChunkedMustBeLast) {
  client.write("POST /session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::not_implemented);
  EXPECT_EQ(res.body(), R"({"detail":"Transfer coding not implemented"})");
  EXPECT_TRUE(client.closed_by_server());
  http_client other{server.port()};
  other.write("POST /session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_EQ(other.read_response().result(), status::bad_request);
  http_client gzip{server.port()};
  gzip.write("POST /session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(gzip.read_response().result(), status::not_implemented);
}

TEST_F(HttpMessageSyntax, ARequestLineOverTheLimitIs414) {
  client.try_write("GET /" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::uri_too_long);
  EXPECT_EQ(res.body(), R"({"detail":"URI Too Long"})");
  // A header over it is still 431 (OversizedHeadersAre431).
}

// -- deadlines on reads and writes ------------------------------------------

TEST(HttpDeadline, AnIdleKeepAliveConnectionIsClosed) {
  auto config = test_config();
  config.idle_timeout = 1s;
  running_service server{seed_tenants(), config};
  http_client idle{server.port()};
  // The server waits for a next request from the moment it has read this
  // one, before answering: time from before the request, or a slow answer
  // (e.g. under ThreadSanitizer) eats into the timeout.
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(idle.get("/").result(), status::ok);
  // Closed after the timeout, give or take the sweeper's one-second period.
  EXPECT_TRUE(idle.closed_by_server(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(HttpDeadline, ASlowHeaderIsCutOffWhileOthersAreServed) {
  auto config = test_config();
  config.header_timeout = 1s;
  running_service server{seed_tenants(), config};
  http_client slow{server.port()};
  slow.write("GET / HTTP/1.1\r\nHost: x\r\n"); // never finishes its header
  // Another client is served normally meanwhile.
  http_client other{server.port()};
  EXPECT_EQ(other.get("/").result(), status::ok);
  EXPECT_TRUE(slow.closed_by_server(5s));
  // (`other` sat idle meanwhile and may be closed too: use a new client.)
  http_client after{server.port()};
  EXPECT_EQ(after.get("/").result(), status::ok);
}

TEST(HttpDeadline, AnActiveClientIsNotCutOff) {
  auto config = test_config();
  config.idle_timeout = 1s;
  running_service server{seed_tenants(), config};
  http_client busy{server.port()};
  // 2.5 s of traffic with pauses shorter than the timeout.
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(busy.get("/").result(), status::ok) << "request " << i;
    std::this_thread::sleep_for(250ms);
  }
}

// -- connections
// -------------------------------------------------------------------

TEST_F(HttpConnection, KeepsAliveFor100Requests) {
  auto sid = open_session("bulk");
  for (int i = 0; i < 100; ++i) {
    http_response res;
    switch (i % 4) {
    case 0:
      res = client.get("/");
      break;
    case 1:
      res = client.post("/session", session_json("initech"));
      break;
    case 2:
      res = chat("bulk", sid, "n" + std::to_string(i));
      break;
    default:
      res = client.get("/openapi.json");
    }
    ASSERT_EQ(res.result(), status::ok) << i << ": " << res.body();
    ASSERT_TRUE(res.keep_alive()) << i;
  }
}

TEST_F(HttpConnection, AnswersPipelinedRequestsInOrder) {
  auto acme = open_session("acme");
  auto initech = open_session("initech");
  struct step {
    http_request req;
    status st;
    std::string body;         // exact, unless empty
    std::string grant_tenant; // for session grants
  };
  auto post = [](const char* target, std::string body) {
    return make_request(verb::post, target, std::move(body));
  };
  auto get = [](const char* target) {
    return make_request(verb::get, target, {}, std::nullopt);
  };
  const std::string root
    = R"({"ok":true,"tenants":["acme","globex","initech","bulk"]})";
  std::vector<step> steps;
  steps.push_back({get("/"), status::ok, root, ""});
  steps.push_back(
    {post("/session", session_json("acme")), status::ok, "", "acme"});
  steps.push_back(
    {post("/chat", chat_json("acme", acme, "one")), status::ok,
     chat_response("acme", acme, json_quote(seed_reply("acme", "one")),
                   "mock-1"),
     ""});
  steps.push_back(
    {post("/session", session_json("initech")), status::ok, "", "initech"});
  steps.push_back(
    {post("/chat", chat_json("initech", initech, "two")), status::ok,
     chat_response("initech", initech, json_quote(seed_reply("initech", "two")),
                   "mock-3"),
     ""});
  steps.push_back({get("/nope"), status::not_found, detail("Not Found"), ""});
  steps.push_back(
    {post("/chat", chat_json("acme", acme, "three")), status::ok,
     chat_response("acme", acme, json_quote(seed_reply("acme", "three")),
                   "mock-1"),
     ""});
  steps.push_back(
    {post("/chat", "{oops"), status::unprocessable_entity, "", ""});
  steps.push_back({get("/?q=1"), status::ok, root, ""});
  steps.push_back({post("/chat", chat_json("initech", acme, "four")),
                   status::forbidden,
                   detail("Session does not belong to tenant"), ""});
  std::string wire;
  for (auto& s : steps)
    wire += wire_bytes(s.req);
  client.write(wire);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto res = client.read_response();
    EXPECT_EQ(res.result(), steps[i].st) << i << ": " << res.body();
    if (!steps[i].body.empty()) {
      EXPECT_EQ(res.body(), steps[i].body) << i;
    }
    if (!steps[i].grant_tenant.empty()) {
      EXPECT_EQ(json::parse(res.body()).at("tenant").at("id"),
                steps[i].grant_tenant.c_str())
        << i;
    }
  }
  // The connection is still usable.
  EXPECT_EQ(client.get("/").body(), root);
}

TEST_F(HttpConnection, AnswersAPipelineLongerThanItsReadAheadInOrder) {
  // 48 requests in one write, more than the server reads ahead (16): it
  // must resume reading as answers go out, and keep the order.
  auto sid = open_session("bulk");
  const char* tenants[] = {"acme", "globex", "initech"};
  std::string wire;
  for (int i = 0; i < 48; ++i)
    wire += wire_bytes(
      i % 2 == 0
        ? make_request(verb::post, "/session", session_json(tenants[i % 3]))
        : make_request(verb::post, "/chat",
                       chat_json("bulk", sid, "#" + std::to_string(i))));
  client.write(wire);
  for (int i = 0; i < 48; ++i) {
    auto res = client.read_response();
    ASSERT_EQ(res.result(), status::ok) << i << ": " << res.body();
    auto body = json::parse(res.body());
    if (i % 2 == 0) {
      EXPECT_EQ(body.at("tenant").at("id"), tenants[i % 3]) << i;
    } else {
      EXPECT_EQ(body.at("reply").as_string(),
                "Hi from bulk. [bulk|Bulk bulk|mock-bulk] #"
                  + std::to_string(i))
        << i;
    }
  }
}

TEST_F(HttpConnection, ConnectionCloseIsHonoured) {
  auto res = client.send(
    make_request(verb::get, "/", {}, std::nullopt, {{"Connection", "close"}}));
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpConnection, Http10GetsAnAnswerAndAClose) {
  client.write("GET / HTTP/1.0\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_EQ(res.body(),
            R"({"ok":true,"tenants":["acme","globex","initech","bulk"]})");
  EXPECT_TRUE(client.closed_by_server());
}

// A streamed answer goes as HTTP/1.1 chunks, and the connection carries
// the next answer after it, in order.
TEST_F(HttpConnection, AStreamedAnswerIsChunkedAndTheConnectionGoesOn) {
  auto sid = open_session("acme");
  client.write(wire_bytes(make_request(verb::post, "/chat",
                                       stream_chat_json("acme", sid, "one")))
               + wire_bytes(make_request(verb::get, "/")));
  auto streamed = client.read_response();
  EXPECT_EQ(streamed.result(), status::ok);
  EXPECT_TRUE(streamed.chunked());
  EXPECT_EQ(header(streamed, "Content-Length"), "");
  EXPECT_TRUE(streamed.keep_alive());
  EXPECT_EQ(parse_events(streamed.body()).size(), 2u);
  auto next = client.read_response();
  EXPECT_EQ(next.result(), status::ok);
  EXPECT_EQ(next.body(),
            R"({"ok":true,"tenants":["acme","globex","initech","bulk"]})");
}

// HTTP/1.0 has no chunks: the events are the body, ended by the close.
TEST_F(HttpConnection, AStreamedAnswerToHttp10EndsWithTheConnection) {
  auto sid = open_session("acme");
  auto body = stream_chat_json("acme", sid, "one");
  client.write("POST /chat HTTP/1.0\r\nContent-Type: application/json\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"
               + body);
  // Without a length or chunks, the body is read until the server closes:
  // that the answer is read at all says it did.
  auto res = client.read_response();
  EXPECT_EQ(res.version(), 10u);
  EXPECT_FALSE(res.chunked());
  EXPECT_EQ(header(res, "Content-Length"), "");
  EXPECT_FALSE(res.keep_alive());
  auto events = parse_events(res.body());
  ASSERT_EQ(events.size(), 2u) << res.body();
  EXPECT_EQ(events[1].name, "done");
}

// A client that sends "Expect: 100-continue" waits for "100 Continue" before
// it sends the body (uvicorn sends it); without it, such clients stall (curl
// for 1 s, others until their own timeout).
TEST_F(HttpConnection, Expect100ContinueIsAnswered) {
  auto body = session_json("acme");
  http_client c{server.port(), 2s};
  c.write(
    "POST /session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Expect: 100-continue\r\nContent-Length: "
    + std::to_string(body.size()) + "\r\n\r\n");
  try {
    EXPECT_EQ(c.read_header_only().result(), status::continue_);
  } catch (const std::exception& e) {
    FAIL() << "no 100 Continue within 2 s (" << e.what() << ")";
  }
  c.write(body);
  EXPECT_EQ(c.read_response().result(), status::ok);
}

} // namespace
