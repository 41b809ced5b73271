#pragma once

// The body of an answer written as it is produced (server-sent events): a
// handler answers with the response's head and a body_stream, then writes
// into the stream as it has bytes and ends it; the connection sends what
// was written (HTTP/1.1 chunks) and tells the handler when the client has
// gone, so that the work feeding the stream stops. Both sides run on the
// connection's I/O thread: nothing in it is shared between threads.

#include <functional>
#include <string>
#include <string_view>

namespace tenantd::http {

class body_stream {
public:
  // -- the producer's side (a handler) ---------------------------------------

  /// Appends bytes to send; ignored once ended or closed.
  void write(std::string_view bytes);

  /// Ends the answer after what was written.
  void end();

  /// Runs `f` once, when the client goes before the end (at once if it
  /// has): the producer cancels what feeds the stream.
  void on_close(std::function<void()> f);

  // -- the connection's side -------------------------------------------------

  /// Runs `wake` whenever bytes or the end arrive (replacing the last).
  void when_ready(std::function<void()> wake);

  /// Takes what is pending.
  std::string take();

  /// Whether end() was called (there may be bytes pending still).
  bool ended() const {
    return ended_;
  }

  /// The connection closed before the end: runs on_close's callback.
  void close();

private:
  void wake();

  std::string pending_;
  std::function<void()> wake_;
  std::function<void()> on_close_;
  bool ended_ = false;
  bool closed_ = false;
};

} // namespace tenantd::http
