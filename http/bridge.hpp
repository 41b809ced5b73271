#pragma once

// The bridge from I/O threads to actors: an ask is handed to one of a few
// long-lived bridge actors (a non-blocking enqueue), which sends the request
// and runs the continuation when the answer or an error arrives. No I/O
// thread ever waits for an actor.
//
// Measured on this machine (shared/notes/caf-0.17.md): long-lived bridge
// actors cost about half of spawning an actor per request. Several of them
// are used because each one serialises the asks it sends.
//
// Deadlines: CAF's per-request timeouts go through its clock thread, which
// wakes twice per request (set and cancel) — costly at tens of thousands of
// asks per second on two cores. Instead each bridge actor keeps its pending
// asks in deadline order and fails the overdue ones with
// caf::sec::request_timeout on a coarse tick (at most `tick` late).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"

namespace tenantd::http {

/// Figures over all bridge actors, for metrics. Shared with the actors,
/// which may outlive the bridge object by a little after stop().
struct bridge_counters {
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> timed_out{0};
};

/// The pending asks of one bridge actor.
struct bridge_state {
  static constexpr const char* name = "bridge";

  /// How often overdue asks are looked for.
  static constexpr std::chrono::milliseconds tick{50};

  struct pending {
    caf::actor_clock::time_point deadline;
    /// Fails the ask with sec::request_timeout.
    std::function<void()> expire;
  };

  /// By ask number; numbers grow with deadlines (one timeout per bridge).
  std::map<uint64_t, pending> asks;
  uint64_t next_ask = 0;
  bool tick_scheduled = false;
  std::shared_ptr<bridge_counters> counters;
};

using bridge_actor_pointer = caf::stateful_actor<bridge_state>*;

/// Work for a bridge actor: sends one request from inside it. Holds a
/// callback, so it is strictly local and never serialised.
struct ask_job {
  std::function<void(bridge_actor_pointer)> run;
};

} // namespace tenantd::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tenantd::http::ask_job)

namespace tenantd::http {

/// Registers an ask due at now + `timeout`; returns its number.
uint64_t track_ask(bridge_actor_pointer self, caf::timespan timeout,
                   std::function<void()> expire);

/// Forgets ask `id` (answered); returns false if it had expired already.
bool settle_ask(bridge_actor_pointer self, uint64_t id);

class bridge {
public:
  /// @param sys The actor system the bridge actors live in.
  /// @param registry Where every ask goes.
  /// @param timeout How long an ask may take before it fails with
  ///        caf::sec::request_timeout.
  /// @param actors How many bridge actors to spread asks over.
  bridge(caf::actor_system& sys, registry_actor registry,
         std::chrono::milliseconds timeout, std::size_t actors);

  /// Stops the bridge actors; asks still pending are dropped (their
  /// continuations destroyed uncalled). Idempotent.
  void stop();

  /// Asks in flight and asks timed out so far (read from any thread).
  const bridge_counters& counters() const {
    return *counters_;
  }

  ~bridge();

  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Asks the registry `xs...` and calls `done` exactly once with the answer
  /// or the error, on an actor thread: `done` must not block, and must hand
  /// its result back to its own executor itself.
  template <class Result, class... Ts>
  void ask(std::function<void(caf::expected<Result>)> done, Ts... xs) {
    auto job = ask_job{[registry = registry_, timeout = timeout_,
                        done = std::move(done),
                        args = std::make_tuple(std::move(xs)...)](
                         bridge_actor_pointer self) mutable {
      // Shared by the answer and the deadline; whichever comes first
      // takes it. Both run inside this bridge actor: no races.
      auto once = std::make_shared<decltype(done)>(std::move(done));
      auto id = track_ask(self, timeout, [once] {
        if (auto f = std::exchange(*once, nullptr))
          f(caf::make_error(caf::sec::request_timeout));
      });
      auto finish = [self, id, once](caf::expected<Result> x) {
        if (settle_ask(self, id))
          if (auto f = std::exchange(*once, nullptr))
            f(std::move(x));
      };
      std::apply(
        [&](auto&... ys) {
          self->request(registry, caf::infinite, std::move(ys)...)
            .then([finish](Result& r) { finish(std::move(r)); },
                  [finish](caf::error& e) { finish(std::move(e)); });
        },
        args);
    }};
    caf::anon_send(next_actor(), std::move(job));
  }

private:
  const caf::actor& next_actor();

  registry_actor registry_;
  caf::timespan timeout_;
  std::shared_ptr<bridge_counters> counters_;
  std::vector<caf::actor> actors_;
  std::atomic<std::size_t> next_{0};
};

} // namespace tenantd::http
