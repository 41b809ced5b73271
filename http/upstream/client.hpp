#pragma once

// The client of the AI upstreams (OpenAI-compatible Chat Completions
// endpoints): asynchronous HTTP/1.1 over Beast, plain or TLS (OpenSSL:
// the peer's certificate verified against the trust store and the host
// name, SNI sent), with a keep-alive pool per upstream. One client per I/O
// thread: every call and its completion run on that thread's io_context,
// never blocking it, and nothing of it is shared between threads.
//
// It moves bytes only: which route, which body and what an answer means
// are decided by the tenant's actor and http/api.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/ai_config.hpp"

namespace tenantd::http::upstream {

/// Why a call got no HTTP answer.
enum class failure : uint8_t {
  none,
  /// The name did not resolve, or no address took the connection.
  connect,
  /// The TLS handshake failed (a certificate that does not verify
  /// included).
  tls,
  /// The call's connect timeout or whole timeout passed.
  timeout,
  /// The connection broke, or the answer was not HTTP.
  broken,
  /// The answer was larger than client_options::max_answer_bytes.
  too_large,
  /// The caller cancelled the call.
  cancelled,
};

std::string_view to_string(failure f);

struct call {
  upstream_url url;
  /// Appended to url.path, e.g. "/chat/completions".
  std::string path;
  /// A JSON body, sent with POST.
  std::string body;
  /// "Authorization: Bearer <api_key>" when not empty.
  std::string api_key;
  std::chrono::milliseconds connect_timeout{5000};
  /// The whole call, connecting included.
  std::chrono::milliseconds timeout{60000};
  /// If set, a 2xx answer's body is handed to it piece by piece as it
  /// arrives (a stream: server-sent events) and the answer's body is left
  /// empty; any other answer is read whole, as without it.
  std::function<void(std::string_view)> on_body;
};

struct answer {
  failure error = failure::none;
  /// For a failure, what happened (never the key or the body).
  std::string detail;
  /// Without a failure: the HTTP status and what came with it.
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  std::string retry_after_ms;
  /// The answer came on a pooled connection.
  bool reused = false;
};

struct client_options {
  /// Idle connections kept per upstream (scheme, host, port).
  std::size_t max_idle_per_upstream = 8;
  /// An idle connection older than this is not used again.
  std::chrono::milliseconds max_idle_time{30000};
  std::size_t max_answer_bytes = 8 * 1024 * 1024;
  /// Sent as User-Agent.
  std::string user_agent = "tenantd";
};

/// A TLS client context verifying peers against the system's trust store
/// and, if not empty, the PEM certificates in `extra_ca_file` (a private
/// CA). Throws std::runtime_error naming the file if it cannot be read.
std::shared_ptr<boost::asio::ssl::context>
make_tls_context(const std::string& extra_ca_file = {});

class client {
public:
  client(boost::asio::io_context& ioc,
         std::shared_ptr<boost::asio::ssl::context> tls,
         client_options options = {});
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Cancels a call: its `done` runs (soon, on the client's thread) with
  /// failure::cancelled unless it has run already. Harmless after the end.
  using canceller = std::function<void()>;

  /// POSTs `c`; `done` runs once on this client's thread with the answer.
  /// A pooled connection that turns out closed before any byte of its
  /// answer is replaced by a fresh one, once. Call on this client's thread.
  canceller post(call c, std::function<void(answer)> done);

  /// The io_context its calls and completions run on.
  boost::asio::io_context& context() const {
    return ioc_;
  }

  /// Idle connections in the pool, over all upstreams (for tests).
  std::size_t idle() const;

  /// Connections opened so far (for tests and metrics).
  uint64_t opened() const {
    return opened_;
  }

  struct connection;

private:
  struct exchange;
  friend struct exchange;

  std::unique_ptr<connection> take_idle(const std::string& key);
  void keep_idle(const std::string& key, std::unique_ptr<connection> conn);

  boost::asio::io_context& ioc_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  client_options options_;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
  uint64_t opened_ = 0;
  /// Lets completions that run after the client is gone do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace tenantd::http::upstream
