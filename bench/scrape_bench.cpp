// One Prometheus scrape (metrics::scrape, the text GET /metrics answers)
// with many tenants, each with what one session and one chat leave: its
// five series, two request counts and two latencies. No HTTP: what the I/O
// thread spends per scrape (bench/scrape.sh measures it over HTTP).
//
//   build/bench/scrape_bench [--benchmark_filter=...]

#include <chrono>
#include <string>

#include <benchmark/benchmark.h>

#include "metrics/metrics.hpp"

namespace {

void Scrape(benchmark::State& state) {
  tenantd::metrics::metrics m;
  auto tenants = static_cast<int>(state.range(0));
  for (int i = 0; i < tenants; ++i) {
    auto id = "scrape-" + std::to_string(i);
    auto& series = m.add_tenant(id);
    series.sessions_created.Increment();
    series.chats.Increment();
    series.sessions_active.Set(1);
    m.observe_request(id, "/session", "POST", 200, std::chrono::microseconds{90});
    m.observe_request(id, "/chat", "POST", 200, std::chrono::microseconds{70});
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = m.scrape();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

BENCHMARK(Scrape)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
