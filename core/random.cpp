#include "core/random.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <sys/random.h>

namespace tenantd {

namespace {

// Reading 16 bytes per id from the kernel costs a syscall each; a small
// per-thread buffer of CSPRNG output amortises it (as arc4random does).
class random_pool {
public:
  void fill(void* out, std::size_t n) {
    if (pos_ + n > buf_.size())
      refill();
    std::memcpy(out, buf_.data() + pos_, n);
    // Never hand out the same bytes twice.
    std::memset(buf_.data() + pos_, 0, n);
    pos_ += n;
  }

private:
  void refill() {
    std::size_t got = 0;
    while (got < buf_.size()) {
      auto n = getrandom(buf_.data() + got, buf_.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        throw std::runtime_error("getrandom failed");
      }
      got += static_cast<std::size_t>(n);
    }
    pos_ = 0;
  }

  std::array<uint8_t, 4096> buf_{};
  std::size_t pos_ = 4096;
};

} // namespace

void secure_random(void* out, std::size_t n) {
  thread_local random_pool pool;
  auto* bytes = static_cast<uint8_t*>(out);
  while (n > 0) {
    auto chunk = std::min<std::size_t>(n, 256);
    pool.fill(bytes, chunk);
    bytes += chunk;
    n -= chunk;
  }
}

std::string random_hex(std::size_t bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(2 * bytes, '0');
  std::array<uint8_t, 64> chunk{};
  for (std::size_t done = 0; done < bytes;) {
    auto n = std::min(chunk.size(), bytes - done);
    secure_random(chunk.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      hex[2 * (done + i)] = digits[chunk[i] >> 4];
      hex[2 * (done + i) + 1] = digits[chunk[i] & 0xF];
    }
    done += n;
  }
  return hex;
}

} // namespace tenantd
