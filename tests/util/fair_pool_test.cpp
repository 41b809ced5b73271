// The fair pool (util/fair_pool): every job runs once, never more at once
// than the threads, the queue bounds refuse at once, keys are served in
// turn, a throwing job spares its worker, and the destructor drops what is
// still queued without hanging.
//
// Workers are held on a gate (a promise) so that the queue fills
// deterministically; every wait is bounded, to fail rather than hang.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/fair_pool.hpp"

namespace {

using namespace std::chrono_literals;
using tenantd::fair_pool;

constexpr auto patience = 10s;

// Holds jobs until opened. Declare it after the pool: if a test fails
// early, its destruction (a broken promise) frees the held workers, so the
// pool's destructor does not hang.
class gate {
public:
  void open() { promise_.set_value(); }
  std::function<void()> hold() const {
    return [f = future_] { f.wait_for(patience); };
  }

private:
  std::promise<void> promise_;
  std::shared_future<void> future_ = promise_.get_future().share();
};

// Counts events on pool threads; the test waits for a number of them.
class counter {
public:
  void add() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++n_;
    cv_.notify_all();
  }
  bool reaches(int n) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, patience, [&] { return n_ >= n; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int n_ = 0;
};

// A job that counts its start, then waits at the gate.
std::function<void()> held(counter& started, const gate& g) {
  return [&started, wait = g.hold()] {
    started.add();
    wait();
  };
}

TEST(FairPool, RefusesZeroThreadsAndAPerKeyBoundOutsideTheTotal) {
  EXPECT_THROW(fair_pool(0, 10, 5), std::invalid_argument);
  EXPECT_THROW(fair_pool(1, 10, 0), std::invalid_argument);
  EXPECT_THROW(fair_pool(1, 10, 11), std::invalid_argument);
  EXPECT_EQ(fair_pool(3, 10, 10).threads(), 3u);
}

TEST(FairPool, RunsEverySubmittedJobExactlyOnce) {
  constexpr int keys = 4, per_key = 200;
  std::vector<std::atomic<int>> runs(keys * per_key);
  counter done;
  fair_pool pool{4, keys * per_key, per_key};
  for (int k = 0; k < keys; ++k)
    for (int i = 0; i < per_key; ++i)
      ASSERT_TRUE(pool.submit("tenant-" + std::to_string(k), [&, k, i] {
        ++runs[k * per_key + i];
        done.add();
      }));
  ASSERT_TRUE(done.reaches(keys * per_key));
  for (auto& r : runs)
    EXPECT_EQ(r.load(), 1);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(FairPool, NeverRunsMoreJobsAtOnceThanItHasThreads) {
  std::atomic<int> active{0}, most{0};
  counter started, done;
  fair_pool pool{3, 20, 20};
  gate g;
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(pool.submit("t", [&, wait = g.hold()] {
      int now = ++active;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      started.add();
      wait();
      --active;
      done.add();
    }));
  ASSERT_TRUE(started.reaches(3));
  EXPECT_EQ(pool.running(), 3u);
  EXPECT_EQ(pool.queued(), 7u);
  g.open();
  ASSERT_TRUE(done.reaches(10));
  EXPECT_EQ(most.load(), 3);
}

TEST(FairPool, RefusesPastEitherBoundAndAcceptsAgainOnceDrained) {
  counter started, done;
  fair_pool pool{1, 3, 2};
  gate g;
  auto job = [&] { done.add(); };
  ASSERT_TRUE(pool.submit("a", held(started, g)));
  ASSERT_TRUE(started.reaches(1)); // the worker is busy: the rest waits
  EXPECT_TRUE(pool.submit("a", job));
  EXPECT_TRUE(pool.submit("a", job));
  EXPECT_FALSE(pool.submit("a", job)) << "past max_queued_per_key";
  EXPECT_TRUE(pool.submit("b", job));
  EXPECT_FALSE(pool.submit("c", job)) << "past max_queued";
  EXPECT_EQ(pool.queued(), 3u);
  g.open();
  ASSERT_TRUE(done.reaches(3));
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_TRUE(pool.submit("a", job));
  EXPECT_TRUE(pool.submit("c", job));
  ASSERT_TRUE(done.reaches(5));
}

TEST(FairPool, ACalmKeyWaitsBehindAtMostOneJobOfAStormingKey) {
  std::mutex mtx;
  std::vector<std::string> order;
  counter started, done;
  fair_pool pool{1, 100, 50};
  gate g;
  auto record = [&](std::string key) {
    return [&, key] {
      {
        std::lock_guard<std::mutex> guard{mtx};
        order.push_back(key);
      }
      done.add();
    };
  };
  ASSERT_TRUE(pool.submit("block", held(started, g)));
  ASSERT_TRUE(started.reaches(1));
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(pool.submit("storm", record("storm")));
  ASSERT_TRUE(pool.submit("calm", record("calm")));
  g.open();
  ASSERT_TRUE(done.reaches(21));
  std::lock_guard<std::mutex> guard{mtx};
  auto calm = std::find(order.begin(), order.end(), "calm") - order.begin();
  EXPECT_LE(calm, 1) << "calm ran after " << calm << " storm jobs";
}

TEST(FairPool, AThrowingJobDoesNotKillItsWorker) {
  counter done;
  fair_pool pool{1, 10, 10};
  ASSERT_TRUE(pool.submit("t", [] { throw std::runtime_error{"boom"}; }));
  ASSERT_TRUE(pool.submit("t", [] { throw 42; }));
  ASSERT_TRUE(pool.submit("t", [&] { done.add(); }));
  EXPECT_TRUE(done.reaches(1)) << "the only worker died";
}

// Sets a promise when destroyed: tells when the last queued job holding it
// was dropped.
struct on_destroy {
  std::promise<void> done;
  ~on_destroy() { done.set_value(); }
};

TEST(FairPool, TheDestructorDropsQueuedJobsWithoutRunningThemAndDoesNotHang) {
  counter started;
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto pool = std::make_unique<fair_pool>(1, 10, 10);
  gate g;
  ASSERT_TRUE(pool->submit("t", held(started, g)));
  ASSERT_TRUE(started.reaches(1));
  auto token = std::make_shared<on_destroy>();
  auto dropped = token->done.get_future();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(pool->submit("t", [ran, token] { ++*ran; }));
  token.reset(); // only the queued jobs hold it now
  // Destroyed on another thread, detached so that a hang fails the test
  // rather than blocking it; the running job holds the only worker.
  std::promise<void> destroyed;
  auto destroyed_future = destroyed.get_future();
  std::thread{[p = std::move(pool), d = std::move(destroyed)]() mutable {
    p.reset();
    d.set_value();
  }}.detach();
  ASSERT_EQ(dropped.wait_for(patience), std::future_status::ready)
    << "the queued jobs were not dropped";
  g.open(); // the running job finishes: the workers can be joined
  ASSERT_EQ(destroyed_future.wait_for(patience), std::future_status::ready)
    << "the destructor hangs";
  EXPECT_EQ(ran->load(), 0);
}

} // namespace
