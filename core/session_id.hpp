#pragma once

// Session ids: random UUIDv4 values from the kernel's CSPRNG, held as 128
// bits (cheap to hash and store by the million) and printed in the canonical
// lowercase 8-4-4-4-12 form.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd {

struct session_id {
  uint64_t hi = 0;
  uint64_t lo = 0;

  /// The nil UUID (all zeros): never issued, since generate() sets the
  /// version 4 bits; it stands for "no valid session id".
  static constexpr session_id nil() {
    return {};
  }

  /// A fresh UUIDv4 from getrandom(2). Throws if the kernel fails us.
  static session_id generate();

  /// Parses the canonical lowercase form; anything else is not a session id
  /// (the seed compares strings exactly, so "ABC…" never matches "abc…").
  static std::optional<session_id> parse(std::string_view s);

  std::string to_string() const;

  friend bool operator==(const session_id& x, const session_id& y) {
    return x.hi == y.hi && x.lo == y.lo;
  }
  friend bool operator!=(const session_id& x, const session_id& y) {
    return !(x == y);
  }
};

} // namespace tenantd

template <>
struct std::hash<tenantd::session_id> {
  std::size_t operator()(const tenantd::session_id& x) const noexcept {
    // The bits are uniformly random already; mixing the halves suffices.
    return static_cast<std::size_t>(x.hi ^ (x.lo * 0x9E3779B97F4A7C15ull));
  }
};
