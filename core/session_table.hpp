#pragma once

// A hash map keyed by session id, split into shards by the id's random low
// bits. A single std::unordered_map holding a million sessions rehashes all
// of them at once when it grows (tens of milliseconds during which its actor
// answers nobody); shards grow one at a time, each a fraction of the size.
// Random ids fill the shards evenly, so shards left to grow by themselves
// would all grow at nearly the same size, within one page of a load. So
// the table grows them itself, one at a time at evenly spaced sizes: shard
// i grows when the table reaches 2^m * (ShardCount + i) entries, to twice
// its expected size then; between two growths come 2^m inserts. Work over
// every entry (sweeping, freeing) can go in bounded steps too.

#include <array>
#include <cstddef>
#include <limits>
#include <unordered_map>
#include <vector>

#include "core/session_id.hpp"

namespace tenantd {

template <class Value, std::size_t ShardCount>
class session_table {
public:
  using map_type = std::unordered_map<session_id, Value>;
  static constexpr std::size_t shard_count = ShardCount;

  session_table() {
    for (auto& m : shards_)
      m.max_load_factor(max_load_factor);
  }

  /// Inserts `value` under `id` unless present; returns whether it did.
  bool emplace(const session_id& id, Value value) {
    auto inserted = shard(id).emplace(id, std::move(value)).second;
    size_ += inserted ? 1 : 0;
    if (size_ >= next_growth_)
      grow();
    return inserted;
  }

  /// The value under `id`, or nullptr.
  Value* find(const session_id& id) {
    auto& m = shard(id);
    auto it = m.find(id);
    return it == m.end() ? nullptr : &it->second;
  }

  /// Removes the entry under `id`, if any.
  void erase(const session_id& id) {
    size_ -= shard(id).erase(id);
  }

  /// Calls `f(id, value)` for every entry.
  template <class F>
  void for_each(F f) {
    for (auto& m : shards_)
      for (auto& [id, value] : m)
        f(id, value);
  }

  /// Where a walk over the table (erase_if_step) has got to.
  struct cursor {
    std::size_t shard = 0;
    std::size_t bucket = 0;
    /// The shard's bucket count when the walk entered it: if it grew
    /// since, the walk goes over the shard again.
    std::size_t buckets = 0;
  };

  /// Removes the entries for which `pred(id, value)` is true among about
  /// `budget` entries (and empty buckets) from `at`, moving `at` on; false
  /// once the walk has passed every shard. Entries added meanwhile may or
  /// may not be seen.
  template <class Predicate>
  bool erase_if_step(cursor& at, std::size_t budget, Predicate pred) {
    std::vector<session_id> doomed;
    while (budget > 0 && at.shard < ShardCount) {
      auto& m = shards_[at.shard];
      if (at.buckets != m.bucket_count()) {
        at.bucket = 0;
        at.buckets = m.bucket_count();
      }
      for (; at.bucket < at.buckets && budget > 0; ++at.bucket) {
        --budget;
        for (auto it = m.begin(at.bucket); it != m.end(at.bucket); ++it) {
          budget -= budget > 0 ? 1 : 0;
          if (pred(it->first, it->second))
            doomed.push_back(it->first);
        }
      }
      // Erasing never rehashes: the buckets walked stay walked.
      for (auto& id : doomed)
        size_ -= m.erase(id);
      doomed.clear();
      if (at.bucket >= at.buckets)
        at = cursor{at.shard + 1, 0, 0};
    }
    return at.shard < ShardCount;
  }

  /// Removes up to `budget` entries, freeing their memory; false once the
  /// table is empty.
  bool release_step(std::size_t budget) {
    for (auto& m : shards_) {
      for (auto it = m.begin(); it != m.end() && budget > 0; --budget) {
        it = m.erase(it);
        --size_;
      }
      if (m.empty() && m.bucket_count() > 1)
        map_type{}.swap(m); // its buckets too
      if (budget == 0)
        break;
    }
    return size_ > 0;
  }

  /// The buckets of every shard (for tests of the growth).
  std::size_t bucket_count() const noexcept {
    std::size_t n = 0;
    for (auto& m : shards_)
      n += m.bucket_count();
    return n;
  }

  std::size_t size() const noexcept {
    return size_;
  }

private:
  /// Growths start at 2^first_level * ShardCount entries; below that the
  /// shards grow by themselves. Twice the load the scheduled growths keep,
  /// so only a shard far fuller than the others grows by itself.
  static constexpr std::size_t first_level = 4;
  static constexpr float max_load_factor = 2.0f;

  map_type& shard(const session_id& id) {
    return shards_[id.lo % ShardCount];
  }

  /// The table size at which growth number `step` is due.
  static constexpr std::size_t growth_at(std::size_t step) {
    return (std::size_t{1} << (first_level + step / ShardCount))
           * (ShardCount + step % ShardCount);
  }

  void grow() {
    auto& m = shards_[growth_step_ % ShardCount];
    // Buckets for twice the shard's expected size: its load goes from 1/2
    // to 1 until its next growth, one doubling of the table later.
    m.rehash(2 * growth_at(growth_step_) / ShardCount);
    next_growth_ = growth_at(++growth_step_);
  }

  std::array<map_type, ShardCount> shards_;
  std::size_t size_ = 0;
  std::size_t growth_step_ = 0;
  std::size_t next_growth_ = growth_at(0);
};

} // namespace tenantd
