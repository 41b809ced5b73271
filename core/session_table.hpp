#pragma once

// A hash map keyed by session id, split into shards by the id's random low
// bits. A single std::unordered_map holding a million sessions rehashes all
// of them at once when it grows (tens of milliseconds during which its actor
// answers nobody); shards grow one at a time, each a fraction of the size.

#include <array>
#include <cstddef>
#include <unordered_map>

#include "core/session_id.hpp"

namespace tenantd {

template <class Value, std::size_t ShardCount>
class session_table {
public:
  using map_type = std::unordered_map<session_id, Value>;

  /// Inserts `value` under `id` unless present; returns whether it did.
  bool emplace(const session_id& id, Value value) {
    auto inserted = shard(id).emplace(id, std::move(value)).second;
    size_ += inserted ? 1 : 0;
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

  /// Removes every entry for which `pred(id, value)` is true.
  template <class Predicate>
  void erase_if(Predicate pred) {
    for (auto& m : shards_)
      for (auto it = m.begin(); it != m.end();) {
        if (pred(it->first, it->second)) {
          it = m.erase(it);
          --size_;
        } else {
          ++it;
        }
      }
  }

  std::size_t size() const noexcept {
    return size_;
  }

private:
  map_type& shard(const session_id& id) {
    return shards_[id.lo % ShardCount];
  }

  std::array<map_type, ShardCount> shards_;
  std::size_t size_ = 0;
};

} // namespace tenantd
