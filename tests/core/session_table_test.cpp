// The tenant actors' session table: shards that grow at different sizes,
// and work a shard at a time.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "core/session_table.hpp"

namespace {

using tenantd::session_id;
using table = tenantd::session_table<int, 16>;

TEST(SessionTable, ShardsGrowAtDifferentSizes) {
  // Evenly filled equal shards would all rehash within a few hundred
  // inserts of each other (a page of a load). Here, in the last doubling,
  // the shards' growths are spread out.
  table t;
  constexpr std::size_t total = 1 << 17;
  std::vector<std::size_t> growths; // sizes at which a shard grew
  auto buckets = t.bucket_count();
  for (std::size_t i = 0; i < total; ++i) {
    t.emplace(session_id::generate(), 0);
    if (t.bucket_count() != buckets)
      growths.push_back(t.size());
    buckets = t.bucket_count();
  }
  std::vector<std::size_t> last;
  std::copy_if(growths.begin(), growths.end(), std::back_inserter(last),
               [](std::size_t at) { return at > total / 4; });
  ASSERT_GE(last.size(), 16u);
  std::size_t closest = total;
  for (std::size_t i = 1; i < last.size(); ++i)
    closest = std::min(closest, last[i] - last[i - 1]);
  EXPECT_GE(closest, total / 64) << "two shards grew " << closest
                                  << " inserts apart";
}

TEST(SessionTable, WorkGoesInBoundedSteps) {
  table t;
  std::vector<session_id> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(session_id::generate());
    t.emplace(ids.back(), i);
  }
  table::cursor at;
  std::size_t steps = 0;
  auto even = [](const session_id&, int v) { return v % 2 == 0; };
  while (t.erase_if_step(at, 64, even)) {
    ++steps;
    // Entries added during the walk do not break it.
    if (steps == 3)
      for (int i = 0; i < 100; ++i)
        t.emplace(session_id::generate(), 1);
  }
  EXPECT_GT(steps, 10u);
  EXPECT_EQ(t.size(), 600u);
  for (auto& id : ids) {
    if (auto* v = t.find(id)) {
      EXPECT_EQ(*v % 2, 1);
    }
  }
  steps = 0;
  while (t.release_step(50))
    ++steps;
  EXPECT_EQ(steps, 11u); // 600 entries, 50 a step
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.bucket_count(), 16u); // every shard's buckets freed too
  EXPECT_TRUE(t.emplace(ids[1], 7));
  ASSERT_NE(t.find(ids[1]), nullptr);
  EXPECT_EQ(*t.find(ids[1]), 7);
}

} // namespace
