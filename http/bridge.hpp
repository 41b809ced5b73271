#pragma once

// The bridge from I/O threads to actors: one lane per I/O thread. A lane
// sends a request straight into the mailbox of the actor that serves it
// and gets the answer back on its own I/O thread, where the continuation
// runs: a chat is two messages (the request to the tenant's actor, the
// answer to the lane), and the JSON, the metrics and the log line of the
// answer are done on the I/O thread, not on an actor thread.
//
// How: each lane owns a reply sink, an actor without mailbox or scheduler
// (a caf::monitorable_actor whose enqueue() posts what it is given to the
// lane's io_context). Requests are enqueued with the sink as their sender
// and a request id of the lane's own; the answering actor replies to the
// sink as to any asker. Nothing on the lane is shared between threads: an
// answer reaches it only through the sink's post (a small mutex guards
// where the sink posts to, so that a stopped lane gets nothing).
//
// The registry is a directory, not a relay: a lane asks it where a tenant
// is served (find_tenant) once, keeps the handle, and from then on sends
// that tenant's requests to its actor directly. A handle turns stale when
// its actor is passivated, restarted or archived; the actor then refuses
// with errc::not_serving, or the request bounces with
// sec::request_receiver_down, having done nothing: the lane forgets the
// handle, asks the registry again and resends (is_stale_handle). A handle
// is also forgotten when its actor terminates, so the cache holds live
// actors only.
//
// Deadlines: every ask fails with caf::sec::request_timeout once the
// lane's timeout has passed since it began (retries included), checked on
// a coarse tick of the lane's io_context (at most `tick` late). No CAF
// timer is involved: CAF's request timeouts wake its clock thread twice
// per request.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/response_type.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "actors/interfaces.hpp"

namespace tenantd::http {

/// Figures over all lanes, for metrics (relaxed atomics).
struct bridge_counters {
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> timed_out{0};
};

class lane {
public:
  template <class Result>
  using continuation = std::function<void(caf::expected<Result>)>;

  /// How often overdue asks are looked for.
  static constexpr std::chrono::milliseconds tick{50};

  /// Sends per ask at most (registry lookups and resends after a stale
  /// handle included); once spent, a stale handle's failure is the answer.
  static constexpr unsigned max_sends = 7;

  /// @param ioc The I/O thread's io_context; every continuation runs on
  ///        it. It must stop running before the lane is destroyed.
  lane(caf::actor_system& sys, boost::asio::io_context& ioc,
       registry_actor registry, caf::timespan timeout,
       std::shared_ptr<bridge_counters> counters);
  ~lane();

  lane(const lane&) = delete;
  lane& operator=(const lane&) = delete;

  /// Asks the registry `msg`. `done` runs exactly once, on this lane's
  /// thread, with the answer or the error. Call on this lane's thread.
  template <class Result, class Message>
  void ask_registry(Message msg, continuation<Result> done) {
    check_answer<registry_actor, Message, Result>();
    auto key = begin(decoder<Result>(std::move(done)));
    send(key, caf::actor_cast<caf::strong_actor_ptr>(registry_),
         caf::make_message(std::move(msg)));
  }

  /// Sends the registry `msg`, which has no answer (an audit event).
  template <class Message>
  void tell_registry(Message msg) {
    caf::anon_send(registry_, std::move(msg));
  }

  /// Asks the actor serving tenant `msg.tenant` `msg`, straight if the lane
  /// knows its handle, else after asking the registry for it; a stale
  /// handle is asked for again (see above). `done` as for ask_registry.
  template <class Result, class Message>
  void ask_tenant(Message msg, continuation<Result> done) {
    check_answer<tenant_actor, Message, Result>();
    auto tenant = msg.tenant;
    auto who = msg.who;
    auto key = begin(nullptr);
    route(key, std::move(tenant), who, caf::make_message(std::move(msg)),
          decoder<Result>(std::move(done)));
  }

  /// Tells tenant `msg.tenant`'s actor `msg`, which has no answer, if the
  /// lane knows its handle (it asked that tenant just before); otherwise,
  /// or if the actor is gone, nothing happens.
  template <class Message>
  void tell_tenant(Message msg) {
    if (auto i = tenants_.find(msg.tenant); i != tenants_.end())
      caf::anon_send(i->second, std::move(msg));
  }

  /// The I/O thread's io_context (what else runs on the lane's thread).
  boost::asio::io_context& context() const {
    return ioc_;
  }

  /// Runs what it is given on this lane's thread; callable from any thread,
  /// also once the lane has stopped (then nothing runs). How blocking work
  /// done elsewhere hands its result back.
  using poster = std::function<void(std::function<void()>)>;
  poster post_here() const;

  /// Tenant handles known (for tests).
  std::size_t known_tenants() const {
    return tenants_.size();
  }

  /// Asks still waiting (for tests).
  std::size_t waiting() const {
    return pending_.size();
  }

  /// Drops the asks still pending (their continuations destroyed uncalled)
  /// and the tenant handles. Call on this lane's thread, or once it no
  /// longer runs. Idempotent.
  void stop();

private:
  using answer_handler = std::function<void(caf::message&)>;

  struct pending {
    caf::actor_clock::time_point deadline;
    /// Which send the ask waits for; older answers are dropped.
    uint8_t attempt = 0;
    answer_handler on_answer;
  };

  template <class Handle, class Message, class Result>
  static void check_answer() {
    static_assert(
      std::is_same<caf::response_type_t<typename Handle::signatures, Message>,
                   caf::detail::type_list<Result>>::value,
      "the actor does not answer this message with this result");
  }

  template <class Result>
  static answer_handler decoder(continuation<Result> done) {
    return [done = std::move(done)](caf::message& answer) {
      done(decode<Result>(answer));
    };
  }

  template <class Result>
  static caf::expected<Result> decode(caf::message& answer) {
    if (answer.match_elements<Result>())
      return std::move(answer.get_mutable_as<Result>(0));
    if (answer.match_elements<caf::error>())
      return std::move(answer.get_mutable_as<caf::error>(0));
    return caf::make_error(caf::sec::unexpected_response);
  }

  /// Registers a new ask; returns its key.
  uint64_t begin(answer_handler on_answer);

  /// Sends the ask's next attempt of `request` to `dest`.
  void send(uint64_t key, const caf::strong_actor_ptr& dest,
            caf::message request);

  /// Sends `request` to tenant `tenant`'s actor (asking the registry for it
  /// first if need be); its answer goes to `on_answer` unless the handle
  /// was stale and attempts are left.
  void route(uint64_t key, std::string tenant, principal who,
             caf::message request, answer_handler on_answer);

  /// Calls `on_answer(answer)`; an exception it throws is logged and goes
  /// no further.
  static void run(answer_handler& on_answer, caf::message& answer);

  /// Ends the ask at `i`.
  void finish(std::map<uint64_t, pending>::iterator i);

  /// Keeps `actor` as tenant `tenant`'s handle until its actor terminates.
  void remember(const std::string& tenant, const tenant_actor& actor);

public:
  /// Runs on this lane's thread: an answer the sink received.
  void deliver(caf::mailbox_element& answer);

private:
  /// Fails the asks whose deadline passed; ticks again while any wait.
  void expire_overdue();
  void schedule_tick();

  boost::asio::io_context& ioc_;
  registry_actor registry_;
  caf::timespan timeout_;
  std::shared_ptr<bridge_counters> counters_;
  caf::strong_actor_ptr sink_;
  /// Asks by key; keys grow with deadlines (one timeout per lane).
  std::map<uint64_t, pending> pending_;
  uint64_t next_key_ = 1;
  std::unordered_map<std::string, tenant_actor> tenants_;
  boost::asio::steady_timer ticker_;
  bool tick_scheduled_ = false;
  /// Keeps run() going while asks wait (a graceful stop answers them).
  std::optional<boost::asio::executor_work_guard<
    boost::asio::io_context::executor_type>>
    busy_;
  /// Where the sink posts answers; shared with the sink, which actors may
  /// keep (as the sender of a request) after the lane is gone.
  std::shared_ptr<struct sink_target> target_;
};

/// One lane per I/O thread.
class bridge {
public:
  /// @param timeout How long an ask may take before it fails with
  ///        caf::sec::request_timeout.
  /// @param contexts One io_context per I/O thread; lane i serves the
  ///        connections of contexts[i].
  bridge(caf::actor_system& sys, registry_actor registry,
         std::chrono::milliseconds timeout,
         const std::vector<boost::asio::io_context*>& contexts);

  lane& at(std::size_t i) {
    return *lanes_[i];
  }

  std::size_t size() const {
    return lanes_.size();
  }

  /// Asks in flight and asks timed out so far (read from any thread).
  const bridge_counters& counters() const {
    return *counters_;
  }

  /// Stops every lane (once the I/O threads no longer run).
  void stop();

private:
  std::shared_ptr<bridge_counters> counters_;
  std::vector<std::unique_ptr<lane>> lanes_;
};

} // namespace tenantd::http
