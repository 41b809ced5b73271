// http/upstream/client against fake upstreams on loopback: plain and TLS
// (a test CA; certificates verified, host names checked, SNI), keep-alive
// reuse and its limits, stale pooled connections, and each failure kind.

#include "http/upstream/client.hpp"

#include <future>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/eventually.hpp"
#include "tests/support/fake_upstream.hpp"
#include "tests/support/io_thread.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace upstream = tenantd::http::upstream;

const std::string completion =
  R"({"id":"c1","object":"chat.completion","model":"m",)"
  R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},)"
  R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,)"
  R"("completion_tokens":1,"total_tokens":4}})";

fake_upstream::reply ok(const fake_upstream::seen&) {
  return {http_answer(200, completion)};
}

upstream::call call_to(const std::string& base_url,
                       const std::string& key = "sk-test") {
  upstream::call c;
  c.url = *parse_upstream_url(base_url);
  c.path = "/chat/completions";
  c.body = R"({"model":"m","messages":[{"role":"user","content":"hello"}]})";
  c.api_key = key;
  c.connect_timeout = 2s * time_scale();
  c.timeout = 5s * time_scale();
  return c;
}

class UpstreamClient : public ::testing::Test {
protected:
  UpstreamClient() {
    client_ = io_.call([this] {
      return std::make_shared<upstream::client>(io_.context(), tls_);
    });
  }

  ~UpstreamClient() override {
    io_.call([this] { client_.reset(); });
    io_.stop();
  }

  /// Posts `c` on the client's thread and waits for the answer.
  upstream::answer post(upstream::call c) {
    std::promise<upstream::answer> result;
    io_.post([&] {
      client_->post(std::move(c),
                    [&](upstream::answer a) { result.set_value(std::move(a)); });
    });
    return result.get_future().get();
  }

  std::size_t idle() {
    return io_.call([this] { return client_->idle(); });
  }

  test_certificate localhost_cert_{"DNS:localhost,IP:127.0.0.1"};
  std::shared_ptr<boost::asio::ssl::context> tls_ =
    upstream::make_tls_context(localhost_cert_.cert());
  io_thread io_;
  std::shared_ptr<upstream::client> client_;
};

TEST_F(UpstreamClient, PostsTheCallAsAnOpenAiClientWould) {
  fake_upstream fake{ok};
  auto a = post(call_to(fake.base_url()));
  ASSERT_EQ(a.error, upstream::failure::none) << a.detail;
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(a.body, completion);
  EXPECT_EQ(a.content_type, "application/json");
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].host, "127.0.0.1:" + std::to_string(fake.port()));
  EXPECT_EQ(seen[0].authorization, "Bearer sk-test");
  EXPECT_EQ(seen[0].content_type, "application/json");
  EXPECT_EQ(seen[0].accept, "application/json");
  EXPECT_EQ(seen[0].body,
            R"({"model":"m","messages":[{"role":"user","content":"hello"}]})");
  // Without a key, no Authorization header at all (a local server).
  post(call_to(fake.base_url(), ""));
  EXPECT_EQ(fake.requests().back().authorization, "");
}

TEST_F(UpstreamClient, KeepsConnectionsAliveAndReusesThem) {
  fake_upstream fake{ok};
  for (int i = 0; i < 5; ++i) {
    auto a = post(call_to(fake.base_url()));
    ASSERT_EQ(a.status, 200u) << a.detail;
    EXPECT_EQ(a.reused, i > 0);
  }
  EXPECT_EQ(fake.connections(), 1u);
  EXPECT_EQ(io_.call([this] { return client_->opened(); }), 1u);
  EXPECT_EQ(idle(), 1u);
}

TEST_F(UpstreamClient, AConnectionTheUpstreamClosesIsNotKept) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    return fake_upstream::reply{
      http_answer(200, completion, "Connection: close\r\n"), 0ms, true};
  }};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(post(call_to(fake.base_url())).status, 200u);
  EXPECT_EQ(fake.connections(), 3u);
  EXPECT_EQ(idle(), 0u);
}

// The upstream closed an idle pooled connection without saying so: the
// call goes on a fresh one, and the caller sees an answer.
TEST_F(UpstreamClient, AStalePooledConnectionIsReplacedOnce) {
  fake_upstream fake{[](const fake_upstream::seen& s) {
    // Answers keep-alive, then closes behind the client's back.
    return fake_upstream::reply{http_answer(200, completion), 0ms,
                                s.connection == 0};
  }};
  ASSERT_EQ(post(call_to(fake.base_url())).status, 200u);
  EXPECT_EQ(idle(), 1u);
  std::this_thread::sleep_for(50ms); // the close reaches the client's socket
  auto a = post(call_to(fake.base_url()));
  ASSERT_EQ(a.error, upstream::failure::none) << a.detail;
  EXPECT_EQ(a.status, 200u);
  EXPECT_FALSE(a.reused);
  EXPECT_EQ(fake.connections(), 2u);
}

TEST_F(UpstreamClient, StatusesAndRetryHintsArePassedOn) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    return fake_upstream::reply{http_answer(
      429, R"({"error":{"message":"slow down","type":"rate_limit"}})",
      "Retry-After: 7\r\nretry-after-ms: 6500\r\n")};
  }};
  auto a = post(call_to(fake.base_url()));
  ASSERT_EQ(a.error, upstream::failure::none) << a.detail;
  EXPECT_EQ(a.status, 429u);
  EXPECT_EQ(a.retry_after, "7");
  EXPECT_EQ(a.retry_after_ms, "6500");
}

TEST_F(UpstreamClient, ASlowUpstreamTimesOut) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    return fake_upstream::reply{http_answer(200, completion),
                                1500ms * time_scale()};
  }};
  auto c = call_to(fake.base_url());
  c.timeout = 300ms * time_scale();
  auto started = std::chrono::steady_clock::now();
  auto a = post(c);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(a.error, upstream::failure::timeout) << a.detail;
  EXPECT_LT(took, 1400ms * time_scale());
  EXPECT_EQ(idle(), 0u);
}

TEST_F(UpstreamClient, NobodyListeningIsAConnectFailure) {
  std::string url;
  {
    fake_upstream gone{ok};
    url = gone.base_url();
  }
  auto a = post(call_to(url));
  EXPECT_EQ(a.error, upstream::failure::connect) << a.detail;
  EXPECT_NE(a.detail.find("cannot connect"), std::string::npos) << a.detail;
}

TEST_F(UpstreamClient, ABrokenAnswerIsBrokenAndAHugeOneTooLarge) {
  fake_upstream truncated{[](const fake_upstream::seen&) {
    auto full = http_answer(200, completion);
    return fake_upstream::reply{full.substr(0, full.size() - 10), 0ms, true};
  }};
  EXPECT_EQ(post(call_to(truncated.base_url())).error,
            upstream::failure::broken);
  fake_upstream huge{[](const fake_upstream::seen&) {
    return fake_upstream::reply{http_answer(200, std::string(9 << 20, 'x'))};
  }};
  EXPECT_EQ(post(call_to(huge.base_url())).error, upstream::failure::too_large);
}

// With on_body, a 2xx body is handed over as it arrives (the pieces
// joined are the body), and the connection is kept after its last chunk;
// an error status is still read whole.
TEST_F(UpstreamClient, AStreamedBodyArrivesPieceByPiece) {
  fake_upstream fake{[](const fake_upstream::seen& s) {
    if (s.body.find("fail") != std::string::npos)
      return fake_upstream::reply{http_answer(500, R"({"error":{}})")};
    completion_stream_script script;
    script.pieces = {"a", "b", "c"};
    script.gap = 10ms;
    return completion_stream(script);
  }};
  std::string streamed;
  std::size_t pieces = 0;
  auto c = call_to(fake.base_url());
  c.on_body = [&](std::string_view bytes) {
    streamed.append(bytes);
    ++pieces;
  };
  auto a = post(std::move(c));
  EXPECT_EQ(a.error, upstream::failure::none) << a.detail;
  EXPECT_EQ(a.status, 200u);
  EXPECT_TRUE(a.body.empty());
  EXPECT_GE(pieces, 3u); // the parts came 10 ms apart
  EXPECT_NE(streamed.find(R"("content":"b")"), std::string::npos);
  EXPECT_EQ(streamed.substr(streamed.size() - 14), "data: [DONE]\n\n");
  EXPECT_EQ(idle(), 1u);
  EXPECT_EQ(fake.requests().at(0).accept, "text/event-stream");
  auto failed = call_to(fake.base_url());
  failed.body = "fail";
  std::string ignored;
  failed.on_body = [&](std::string_view bytes) { ignored.append(bytes); };
  auto e = post(std::move(failed));
  EXPECT_EQ(e.status, 500u);
  EXPECT_EQ(e.body, R"({"error":{}})");
  EXPECT_TRUE(ignored.empty());
}

// A cancelled call ends at once with failure::cancelled, and its
// connection is closed (the upstream's writes fail), not pooled.
TEST_F(UpstreamClient, ACancelledCallEndsAndClosesItsConnection) {
  fake_upstream fake{[](const fake_upstream::seen&) {
    completion_stream_script script;
    script.pieces.assign(40, "x");
    script.gap = 20ms;
    return completion_stream(script);
  }};
  std::promise<upstream::answer> result;
  upstream::client::canceller cancel;
  auto c = call_to(fake.base_url());
  c.on_body = [](std::string_view) {};
  io_.post([&] {
    cancel = client_->post(std::move(c), [&](upstream::answer a) {
      result.set_value(std::move(a));
    });
  });
  ASSERT_TRUE(eventually([&] { return fake.parts_written() >= 2; }));
  io_.post([&] { cancel(); });
  auto a = result.get_future().get();
  EXPECT_EQ(a.error, upstream::failure::cancelled);
  EXPECT_TRUE(eventually([&] { return fake.cut_off() == 1; }));
  EXPECT_EQ(idle(), 0u);
  io_.call([&] { cancel(); return 0; }); // harmless after the end
}

TEST_F(UpstreamClient, TlsWithAVerifiedCertificate) {
  fake_upstream fake{ok, &localhost_cert_};
  for (auto host : {"localhost", "127.0.0.1"}) {
    auto a = post(call_to(fake.base_url(host)));
    ASSERT_EQ(a.error, upstream::failure::none) << host << ": " << a.detail;
    EXPECT_EQ(a.status, 200u);
    EXPECT_EQ(a.body, completion);
  }
  // Reused over TLS too (one per host name).
  EXPECT_EQ(post(call_to(fake.base_url("localhost"))).reused, true);
  EXPECT_EQ(fake.connections(), 2u);
  EXPECT_EQ(fake.requests()[0].authorization, "Bearer sk-test");
}

TEST_F(UpstreamClient, TlsRefusesACertificateForAnotherName) {
  test_certificate other{"DNS:other.example"};
  fake_upstream fake{ok, &other};
  // Trusted CA (it is in the client's context too) but the wrong name.
  tls_->load_verify_file(other.cert());
  auto a = post(call_to(fake.base_url("localhost")));
  EXPECT_EQ(a.error, upstream::failure::tls) << a.detail;
  EXPECT_TRUE(fake.requests().empty());
}

TEST_F(UpstreamClient, TlsRefusesAnUntrustedCertificate) {
  test_certificate stranger{"DNS:localhost,IP:127.0.0.1"};
  fake_upstream fake{ok, &stranger};
  auto a = post(call_to(fake.base_url("localhost")));
  EXPECT_EQ(a.error, upstream::failure::tls) << a.detail;
  EXPECT_NE(a.detail.find("certificate verify failed"), std::string::npos)
    << a.detail;
  EXPECT_TRUE(fake.requests().empty());
}

TEST(UpstreamTlsContext, AnUnreadableCaFileIsNamed) {
  try {
    upstream::make_tls_context("/nonexistent/ca.pem");
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find("/nonexistent/ca.pem"),
              std::string::npos);
  }
}

} // namespace
