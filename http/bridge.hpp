#pragma once

// The bridge from I/O threads to actors: an ask is handed to one of a few
// long-lived bridge actors (a non-blocking enqueue), which sends the request
// with a finite timeout and runs the continuation when the answer or an
// error arrives. No I/O thread ever waits for an actor.
//
// Measured on this machine (shared/notes/caf-0.17.md): long-lived bridge
// actors cost about half of spawning an actor per request. Several of them
// are used because each one serialises the asks it sends.

#include <atomic>
#include <chrono>
#include <functional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>

#include "actors/actors.hpp"

namespace tenantd::http {

/// Work for a bridge actor: sends one request from inside it. Holds a
/// callback, so it is strictly local and never serialised.
struct ask_job {
  std::function<void(caf::event_based_actor*)> run;
};

} // namespace tenantd::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tenantd::http::ask_job)

namespace tenantd::http {

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

  ~bridge();

  bridge(const bridge&) = delete;
  bridge& operator=(const bridge&) = delete;

  /// Asks the registry `xs...` and calls `done` with the answer or the error,
  /// on an actor thread: `done` must not block, and must hand its result
  /// back to its own executor itself.
  template <class Result, class... Ts>
  void ask(std::function<void(caf::expected<Result>)> done, Ts... xs) {
    auto job = ask_job{[registry = registry_, timeout = timeout_,
                        done = std::move(done),
                        args = std::make_tuple(std::move(xs)...)](
                         caf::event_based_actor* self) mutable {
      std::apply(
        [&](auto&... ys) {
          self->request(registry, timeout, std::move(ys)...)
            .then([done](Result& r) { done(std::move(r)); },
                  [done](caf::error& e) { done(std::move(e)); });
        },
        args);
    }};
    caf::anon_send(next_actor(), std::move(job));
  }

private:
  const caf::actor& next_actor();

  registry_actor registry_;
  caf::timespan timeout_;
  std::vector<caf::actor> actors_;
  std::atomic<std::size_t> next_{0};
};

} // namespace tenantd::http
