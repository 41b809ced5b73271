#include "util/fair_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace tenantd {

fair_pool::fair_pool(std::size_t threads, std::size_t max_queued,
                     std::size_t max_queued_per_key, int nice)
  : max_queued_{max_queued}, max_queued_per_key_{max_queued_per_key} {
  if (threads == 0)
    throw std::invalid_argument{"fair_pool: needs at least one thread"};
  if (max_queued_per_key == 0 || max_queued_per_key > max_queued)
    throw std::invalid_argument{
      "fair_pool: max_queued_per_key must be 1 to max_queued"};
  workers_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i)
      workers_.emplace_back([this, nice] { work(nice); });
  } catch (...) {
    stop(); // the threads already started
    throw;
  }
}

fair_pool::~fair_pool() {
  stop();
}

bool fair_pool::submit(std::string key, std::function<void()> job) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_ || queued_ >= max_queued_)
      return false;
    auto& q = queues_[key];
    if (q.size() >= max_queued_per_key_)
      return false;
    q.push_back(std::move(job));
    if (q.size() == 1) {
      // A key is in the ring exactly while it has jobs waiting.
      try {
        ring_.push_back(std::move(key));
      } catch (...) {
        q.pop_back();
        throw;
      }
    }
    ++queued_;
  }
  wake_.notify_one();
  return true;
}

std::size_t fair_pool::queued() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queued_;
}

std::size_t fair_pool::running() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return running_;
}

std::size_t fair_pool::threads() const {
  return workers_.size(); // fixed once the constructor returns
}

void fair_pool::work(int nice) {
  // Linux keeps a nice value per thread: this one only. Best effort.
  if (nice != 0)
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)),
                  ::getpriority(PRIO_PROCESS, 0) + nice);
  std::unique_lock<std::mutex> guard{mtx_};
  for (;;) {
    wake_.wait(guard, [this] { return stopping_ || !ring_.empty(); });
    if (stopping_)
      return;
    // One job from the key in front; the key goes to the back if it has
    // more, so every other key with work gets a turn first.
    auto key = std::move(ring_.front());
    ring_.pop_front();
    auto it = queues_.find(key);
    auto job = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty())
      queues_.erase(it);
    else
      ring_.push_back(std::move(key));
    --queued_;
    ++running_;
    guard.unlock();
    try {
      job();
    } catch (...) {
      // Ignored: a job reports its own failures, and the worker lives on.
    }
    job = nullptr; // its captures are destroyed outside the lock too
    guard.lock();
    --running_;
  }
}

void fair_pool::stop() {
  decltype(queues_) dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
    dropped.swap(queues_);
    ring_.clear();
    queued_ = 0;
  }
  wake_.notify_all();
  // Outside the lock: a job's captures may take long to destroy, or call
  // back into the pool (submit then refuses).
  dropped.clear();
  for (auto& t : workers_)
    t.join();
}

} // namespace tenantd
