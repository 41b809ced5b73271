// The durable write path without HTTP or actors: sessions inserted into the
// database in groups (one transaction and one fsync per group), as the
// store actor's group commit does. Prints sessions/s and the commit time
// per group, so page size, cache and schema choices can be compared in the
// same run.
//
//   build/bench/store_bench [SESSIONS] [GROUP] [DIR]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "storage/sqlite_storage.hpp"
#include "core/session_id.hpp"

using namespace tenantd;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
  auto total = argc > 1 ? std::stoul(argv[1]) : 500000ul;
  auto group = argc > 2 ? std::stoul(argv[2]) : 64ul;
  std::string dir = argc > 3 ? argv[3] : "/tmp/tenantd-store-bench";
  std::filesystem::remove_all(dir);
  auto db = sqlite_storage::open(dir);
  tenant_config cfg;
  cfg.id = "acme";
  cfg.name = "Acme";
  cfg.welcome = "Hi";
  db.insert_tenant(cfg, unix_millis());
  std::vector<double> commit_us;
  auto start = clock_type::now();
  auto slice_start = start;
  for (std::size_t done = 0; done < total; done += group) {
    db.begin();
    auto now = unix_millis();
    for (std::size_t i = 0; i < group; ++i)
      db.insert_session("acme", {session_id::generate(), now, now, now + 86400000, ""});
    auto t0 = clock_type::now();
    db.commit();
    commit_us.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    if ((done / group + 1) % (100000 / group) == 0) {
      auto t = clock_type::now();
      auto secs = std::chrono::duration<double>(t - slice_start).count();
      std::vector<double> last(commit_us.end() - static_cast<long>(100000 / group),
                               commit_us.end());
      std::sort(last.begin(), last.end());
      std::printf("sessions %7zu: %8.0f sessions/s, commit p50 %6.0f us p99 %6.0f us\n",
                  done + group, 100000 / secs, last[last.size() / 2],
                  last[last.size() * 99 / 100]);
      slice_start = t;
    }
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("total: %zu sessions in %.2f s = %.0f sessions/s (groups of %zu)\n",
              total, secs, total / secs, group);
  std::filesystem::remove_all(dir);
}
