#pragma once

// A bounded thread pool for blocking, CPU-heavy jobs (Argon2id password
// hashing: ~20 MiB and tens of ms each), shared by all tenants.
//
// The number of threads is also the most jobs running at once, so it bounds
// the memory they use. Jobs wait in one queue per key (a tenant id) and the
// workers serve the keys in turn, one job from each key with work: a key's
// burst delays another key's job by at most one job per busy key.
//
// Queueing is bounded in all (max_queued) and per key (max_queued_per_key,
// at most max_queued): past either, submit refuses at once and the caller
// answers 503 with Retry-After. A per-key bound below the total makes a
// storming key hit its own bound while the others still get in.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tenantd {

class fair_pool {
public:
  /// Starts `threads` workers, each at `nice` (added to the process's nice
  /// value: positive runs them behind other threads when the cores are
  /// busy). Throws std::invalid_argument for 0 threads, a per-key bound of
  /// 0, or a per-key bound above `max_queued`.
  fair_pool(std::size_t threads, std::size_t max_queued,
            std::size_t max_queued_per_key, int nice = 0);

  /// Stops taking jobs, drops the queued jobs without running them, waits
  /// for the running jobs to finish, and joins the workers.
  ~fair_pool();

  fair_pool(const fair_pool&) = delete;
  fair_pool& operator=(const fair_pool&) = delete;

  /// Queues `job` behind `key`'s other jobs; it runs on a pool thread.
  /// Returns false at once, without taking the job, when the pool or the
  /// key has as many jobs waiting as allowed. A job that throws is caught
  /// and ignored, so jobs must report their own failures.
  bool submit(std::string key, std::function<void()> job);

  /// Jobs waiting for a worker.
  std::size_t queued() const;

  /// Jobs running now.
  std::size_t running() const;

  /// Worker threads: the most jobs that run at once.
  std::size_t threads() const;

private:
  void work(int nice);
  void stop();

  const std::size_t max_queued_;
  const std::size_t max_queued_per_key_;
  mutable std::mutex mtx_;
  std::condition_variable wake_;
  // Keys with waiting jobs, each once, in the order the workers serve them.
  std::deque<std::string> ring_;
  std::unordered_map<std::string, std::deque<std::function<void()>>> queues_;
  std::size_t queued_ = 0;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

} // namespace tenantd
