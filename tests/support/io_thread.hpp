#pragma once

// One I/O thread for tests of http/ without a server: an io_context run by
// a thread of its own (as one of the service's I/O threads), to post work
// to, as a connection would run it.

#include <future>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace tenantd::test {

class io_thread {
public:
  io_thread()
    : guard_(boost::asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {
  }

  ~io_thread() {
    stop();
  }

  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  boost::asio::io_context& context() {
    return ioc_;
  }

  /// Runs `f` on the thread.
  template <class F>
  void post(F f) {
    boost::asio::post(ioc_, std::move(f));
  }

  /// Runs `f` on the thread and returns its result once it has run.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task{std::move(f)};
    auto result = task.get_future();
    post([&task] { task(); });
    return result.get();
  }

  /// Stops the thread (handlers still queued are not run). Idempotent.
  void stop() {
    if (!thread_.joinable())
      return;
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }

private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type>
    guard_;
  std::thread thread_;
};

} // namespace tenantd::test
