// The ask path without HTTP: bridge -> registry -> tenant -> bridge, as the
// HTTP router uses it. Measures one ask at a time (latency) and a window of
// asks in flight (throughput), for POST /chat's and GET /'s asks.
//
//   build/bench/ask_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/system.hpp"
#include "http/bridge.hpp"
#include "metrics/metrics.hpp"

namespace {

using namespace tenantd;

// One actor system with one tenant and one open session for all benchmarks,
// on a database in a fresh temporary directory.
struct fixture {
  metrics::metrics metrics; // outlives the actors
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::string data_dir = (std::filesystem::temp_directory_path()
                          / ("tenantd-ask-bench-"
                             + session_id::generate().to_string()))
                           .string();
  std::unique_ptr<actor_layer> actors;
  registry_actor registry;
  std::unique_ptr<http::bridge> asks;
  std::string session;

  fixture() {
    configure_actor_system(cfg, 1); // as the service on 2 cores
    sys = std::make_unique<caf::actor_system>(cfg);
    tenant_config t;
    t.id = "acme";
    t.name = "Acme Corp";
    t.welcome = "Howdy from Acme!";
    t.reply = "{welcome} You said: '{message}'. Reversed: '{message|reverse}'";
    actor_options options;
    options.data_dir = data_dir;
    options.bootstrap = {t};
    options.metrics = &metrics;
    actors = std::make_unique<actor_layer>(start_actors(*sys, options));
    registry = actors->registry();
    asks = std::make_unique<http::bridge>(*sys, registry,
                                          std::chrono::seconds{10}, 4);
    caf::scoped_actor self{*sys};
    self->request(registry, caf::infinite, atom::open_v, std::string{"acme"})
      .receive([&](session_grant& g) { session = g.session_id; },
               [](caf::error&) { std::abort(); });
  }

  ~fixture() {
    asks.reset();
    // The store's thread ends only once no handle to it is left.
    actors.reset();
    registry = nullptr;
    sys.reset();
    std::filesystem::remove_all(data_dir);
  }
};

// Created and destroyed in main(): an actor_system must not be destroyed
// during static destruction (CAF's own statics may be gone by then).
fixture* current = nullptr;

fixture& shared() {
  return *current;
}

// Counts completions; wait() blocks the benchmark thread (not an I/O thread)
// until `n` asks have completed.
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

void ask_chat(fixture& f, completions& c) {
  f.asks->ask<chat_result>(
    [&c](caf::expected<chat_result> r) {
      if (!r)
        std::abort();
      c.add();
    },
    atom::chat_v, std::string{"acme"}, f.session, std::string{"hello"});
}

void ask_list(fixture& f, completions& c) {
  f.asks->ask<std::vector<std::string>>(
    [&c](caf::expected<std::vector<std::string>> r) {
      if (!r)
        std::abort();
      c.add();
    },
    atom::list_v);
}

template <void (*Ask)(fixture&, completions&)>
void one_at_a_time(benchmark::State& state) {
  auto& f = shared();
  completions c;
  int64_t n = 0;
  for (auto _ : state) {
    Ask(f, c);
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
    for (int64_t i = 0; i < window; ++i)
      Ask(f, c);
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
