// The ask path without HTTP: from an I/O thread's lane straight to the
// tenant's actor and back (POST /chat's ask), and to the registry and back
// (the directory's list ask; GET / itself reads the published list and
// asks nobody), as the router uses them. Each ask starts from the benchmark
// thread, is posted to the I/O thread and completes back on the benchmark
// thread, so one ask at a time crosses four threads: a latency of wake-ups,
// not of work. Measures one ask at a time and a window of asks in flight
// (throughput).
//
//   build/bench/ask_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <condition_variable>
#include <memory>
#include <mutex>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/system.hpp"
#include "core/random.hpp"
#include "http/bridge.hpp"
#include "metrics/metrics.hpp"
#include "tests/support/io_thread.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace tenantd;

// One actor system with one tenant and one open session for all benchmarks,
// on a database in a fresh temporary directory, and one I/O thread with its
// lane.
struct fixture {
  test::temp_dir dir;
  metrics::metrics metrics; // outlives the actors
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<actor_layer> actors;
  test::io_thread io;
  std::unique_ptr<http::bridge> asks;
  session_id session;

  fixture() {
    configure_actor_system(cfg, 1); // as the service on 2 cores
    sys = std::make_unique<caf::actor_system>(cfg);
    tenant_config t;
    t.id = "acme";
    t.name = "Acme Corp";
    t.welcome = "Howdy from Acme!";
    t.reply = "{welcome} You said: '{message}'. Reversed: '{message|reverse}'";
    actor_options options;
    options.data_dir = dir.path();
    options.bootstrap = {t};
    options.metrics = &metrics;
    actors = std::make_unique<actor_layer>(start_actors(*sys, options));
    asks = std::make_unique<http::bridge>(
      *sys, actors->registry(), std::chrono::seconds{10},
      std::vector<boost::asio::io_context*>{&io.context()});
    std::promise<session_grant> grant;
    io.post([&] {
      lane().ask_tenant<session_grant>(
        open_session{"acme", principal{}},
        [&](caf::expected<session_grant> g) {
          if (!g)
            std::abort();
          grant.set_value(*g);
        });
    });
    session = *session_id::parse(grant.get_future().get().session_id);
  }

  ~fixture() {
    io.stop();
    asks.reset();
    // The store's thread ends only once no handle to it is left.
    actors.reset();
    sys.reset();
  }

  http::lane& lane() {
    return asks->at(0);
  }
};

// Created and destroyed in main(): an actor_system must not be destroyed
// during static destruction (CAF's own statics may be gone by then).
fixture* current = nullptr;

fixture& shared() {
  return *current;
}

// Counts completions; wait() blocks the benchmark thread (not the I/O
// thread) until `n` asks have completed.
struct completions {
  std::mutex mtx;
  std::condition_variable cv;
  int64_t done = 0;

  void add() {
    std::lock_guard<std::mutex> guard{mtx};
    ++done;
    cv.notify_one();
  }
  void wait_for(int64_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return done >= n; });
  }
};

// Runs on the I/O thread.
void ask_chat(fixture& f, completions& c) {
  f.lane().ask_tenant<chat_result>(
    chat_request{"acme", f.session, "hello", principal{}},
    [&c](caf::expected<chat_result> r) {
      if (!r)
        std::abort();
      c.add();
    });
}

void ask_list(fixture& f, completions& c) {
  f.lane().ask_registry<std::vector<std::string>>(
    list_active_tenants{}, [&c](caf::expected<std::vector<std::string>> r) {
      if (!r)
        std::abort();
      c.add();
    });
}

template <void (*Ask)(fixture&, completions&)>
void one_at_a_time(benchmark::State& state) {
  auto& f = shared();
  completions c;
  int64_t n = 0;
  for (auto _ : state) {
    f.io.post([&] { Ask(f, c); });
    c.wait_for(++n);
  }
  state.SetItemsProcessed(n);
}

template <void (*Ask)(fixture&, completions&)>
void in_flight(benchmark::State& state) {
  auto& f = shared();
  auto window = state.range(0);
  completions c;
  int64_t n = 0;
  for (auto _ : state) {
    f.io.post([&] {
      for (int64_t i = 0; i < window; ++i)
        Ask(f, c);
    });
    n += window;
    c.wait_for(n);
  }
  state.SetItemsProcessed(n);
}

BENCHMARK(one_at_a_time<ask_chat>)->Name("chat_ask/one_at_a_time")->UseRealTime();
BENCHMARK(in_flight<ask_chat>)->Name("chat_ask/in_flight")->Arg(64)->Arg(256)->UseRealTime();
BENCHMARK(one_at_a_time<ask_list>)->Name("list_ask/one_at_a_time")->UseRealTime();
BENCHMARK(in_flight<ask_list>)->Name("list_ask/in_flight")->Arg(64)->UseRealTime();

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  {
    fixture f;
    current = &f;
    benchmark::RunSpecifiedBenchmarks();
    current = nullptr;
  }
  benchmark::Shutdown();
  return 0;
}
