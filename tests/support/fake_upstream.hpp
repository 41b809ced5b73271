#pragma once

// A fake AI upstream for the tests: a real HTTP server on loopback, plain
// or TLS (a certificate of a test CA made with the openssl tool), that
// records every request it gets and answers each with what its script
// returns (raw bytes, so a test can send anything: a JSON answer, a
// truncated one, an error with Retry-After, nothing at all).

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tests/support/temp_dir.hpp"

namespace tenantd::test {

/// A self-signed certificate (its own CA) and its key, for `names` (e.g.
/// "DNS:localhost,IP:127.0.0.1"), in PEM files of a temporary directory.
class test_certificate {
public:
  explicit test_certificate(const std::string& names) {
    auto cmd = "openssl req -x509 -newkey ec -pkeyopt "
               "ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
               "/CN=tenantd-test -addext 'subjectAltName="
               + names + "' -keyout " + key() + " -out " + cert()
               + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("openssl could not make a test certificate");
  }

  std::string cert() const {
    return dir_.path() + "/cert.pem";
  }

  std::string key() const {
    return dir_.path() + "/key.pem";
  }

private:
  temp_dir dir_;
};

/// An HTTP response as raw bytes: status line, headers, Content-Length and
/// `body`.
inline std::string http_answer(unsigned status, const std::string& body,
                               const std::string& headers = {},
                               const std::string& type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type
         + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"
         + headers + "\r\n" + body;
}

class fake_upstream {
public:
  struct seen {
    std::string method;
    std::string target;
    std::string host;
    std::string authorization;
    std::string content_type;
    std::string accept;
    std::string body;
    /// Which accepted connection it came on (0, 1, ...).
    std::size_t connection = 0;
  };

  /// Bytes written after the answer's first, each after its delay (a
  /// streamed body).
  struct part {
    std::string bytes;
    std::chrono::milliseconds delay{0};
  };

  struct reply {
    std::string bytes;
    /// Waits before answering.
    std::chrono::milliseconds delay{0};
    /// Closes the connection after the bytes (and parts).
    bool close = false;
    std::vector<part> parts{};
  };

  using script = std::function<reply(const seen&)>;

  /// Plain HTTP; TLS with `certificate` if given.
  explicit fake_upstream(script answer,
                         const test_certificate* certificate = nullptr)
    : answer_(std::move(answer)),
      acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    if (certificate != nullptr) {
      tls_.emplace(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(certificate->cert());
      tls_->use_private_key_file(certificate->key(),
                                 boost::asio::ssl::context::pem);
    }
    accepting_ = std::thread([this] { accept_loop(); });
  }

  ~fake_upstream() {
    stopping_ = true;
    // Wakes the blocking accept, and every connection's blocking read.
    boost::system::error_code ignored;
    boost::asio::ip::tcp::socket poke{ioc_};
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port()}, ignored);
    accepting_.join();
    {
      std::lock_guard<std::mutex> guard{mutex_};
      for (auto& socket : sockets_)
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    }
    for (auto& t : serving_)
      t.join();
    // The sockets close here, after every thread using them has ended.
  }

  uint16_t port() const {
    return acceptor_.local_endpoint().port();
  }

  std::string base_url(const std::string& host = "127.0.0.1") const {
    return std::string{tls_ ? "https://" : "http://"} + host + ":"
           + std::to_string(port()) + "/v1";
  }

  std::vector<seen> requests() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return seen_;
  }

  std::size_t connections() const {
    return accepted_;
  }

  /// Parts written so far, over all answers.
  std::size_t parts_written() const {
    return parts_written_;
  }

  /// Answers whose parts could not all be written: the client had gone
  /// (closed its connection) in the middle.
  std::size_t cut_off() const {
    return cut_off_;
  }

private:
  void accept_loop() {
    for (;;) {
      boost::asio::ip::tcp::socket socket{ioc_};
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_ || ec)
        return;
      auto number = accepted_++;
      std::lock_guard<std::mutex> guard{mutex_};
      auto& kept = sockets_.emplace_back(std::move(socket));
      serving_.emplace_back([this, number, &kept] { serve(kept, number); });
    }
  }

  void serve(boost::asio::ip::tcp::socket& socket, std::size_t number) {
    boost::system::error_code ec;
    if (!tls_)
      return converse(socket, number);
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream{socket,
                                                                   *tls_};
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (!ec)
      converse(stream, number);
  }

  template <class Stream>
  void converse(Stream& stream, std::size_t number) {
    namespace bhttp = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(stream, buffer, req, ec);
      if (ec || stopping_)
        return;
      seen s{std::string{req.method_string()},
             std::string{req.target()},
             std::string{req[bhttp::field::host]},
             std::string{req[bhttp::field::authorization]},
             std::string{req[bhttp::field::content_type]},
             std::string{req[bhttp::field::accept]},
             req.body(),
             number};
      {
        std::lock_guard<std::mutex> guard{mutex_};
        seen_.push_back(s);
      }
      auto r = answer_(s);
      std::this_thread::sleep_for(r.delay);
      if (stopping_)
        return;
      boost::asio::write(stream, boost::asio::buffer(r.bytes), ec);
      for (auto& p : r.parts) {
        if (ec)
          break;
        std::this_thread::sleep_for(p.delay);
        if (stopping_)
          return;
        boost::asio::write(stream, boost::asio::buffer(p.bytes), ec);
        if (!ec)
          ++parts_written_;
        else
          ++cut_off_;
      }
      if (ec)
        return;
      if (r.close) {
        boost::asio::ip::tcp::socket& raw = boost::beast::get_lowest_layer(stream);
        raw.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        return;
      }
    }
  }

  script answer_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::optional<boost::asio::ssl::context> tls_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> parts_written_{0};
  std::atomic<std::size_t> cut_off_{0};
  mutable std::mutex mutex_;
  std::vector<seen> seen_;
  std::list<boost::asio::ip::tcp::socket> sockets_;
  std::vector<std::thread> serving_;
  std::thread accepting_;
};

/// A completion whose reply says how many messages it got, and the last:
/// "[N] <last>", from model "served-model", with usage 10 + 3.
inline fake_upstream::reply echo_completion(const fake_upstream::seen& s) {
  namespace json = boost::json;
  auto req = json::parse(s.body);
  auto& messages = req.at("messages").as_array();
  auto last = std::string{messages.back().at("content").as_string()};
  auto reply = "[" + std::to_string(messages.size()) + "] " + last;
  json::object completion{
    {"id", "c"}, {"object", "chat.completion"}, {"model", "served-model"},
    {"choices", json::array{{{"index", 0},
                             {"message", {{"role", "assistant"},
                                          {"content", reply}}},
                             {"finish_reason", "stop"}}}},
    {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3},
               {"total_tokens", 13}}}};
  return {http_answer(200, json::serialize(completion))};
}

/// A Chat Completions stream as the fake sends it: an event-stream head,
/// at once, then each of `pieces` as a chunk event `gap` apart (the first
/// after `first`: a slow first token), from model "served-model".
struct completion_stream_script {
  std::vector<std::string> pieces;
  std::chrono::milliseconds first{0};
  std::chrono::milliseconds gap{0};
  /// A last chunk with usage (prompt 10, completion = the pieces' count).
  bool usage = true;
  /// Breaks off after the pieces: no usage, no [DONE], the connection
  /// closed in the middle of the body.
  bool truncated = false;
};

/// `data` as one HTTP/1.1 chunk.
inline std::string http_chunk(const std::string& data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

inline fake_upstream::reply completion_stream(const completion_stream_script& script) {
  namespace json = boost::json;
  auto event = [](const json::object& chunk) {
    return http_chunk("data: " + json::serialize(chunk) + "\n\n");
  };
  auto chunk = [](json::value delta, json::value usage) {
    json::array choices;
    if (!delta.is_null())
      choices.push_back({{"index", 0}, {"delta", std::move(delta)}});
    return json::object{{"id", "c"}, {"object", "chat.completion.chunk"},
                        {"model", "served-model"},
                        {"choices", std::move(choices)},
                        {"usage", std::move(usage)}};
  };
  fake_upstream::reply r;
  r.bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n";
  r.bytes += event(chunk(json::object{{"role", "assistant"}, {"content", ""}},
                         nullptr));
  bool first = true;
  for (auto& piece : script.pieces) {
    r.parts.push_back({event(chunk(json::object{{"content", piece}}, nullptr)),
                       first ? script.first : script.gap});
    first = false;
  }
  if (script.truncated) {
    r.close = true;
    return r;
  }
  std::string tail;
  if (script.usage) {
    auto n = static_cast<int64_t>(script.pieces.size());
    tail += event(chunk(nullptr, json::object{{"prompt_tokens", 10},
                                              {"completion_tokens", n},
                                              {"total_tokens", 10 + n}}));
  }
  tail += http_chunk("data: [DONE]\n\n") + "0\r\n\r\n";
  r.parts.push_back({tail, script.gap});
  return r;
}

} // namespace tenantd::test
