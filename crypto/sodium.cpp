#include "crypto/sodium.hpp"

#include <mutex>
#include <stdexcept>

#include <sodium.h>

namespace tenantd::crypto {

void init_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0)
      throw std::runtime_error("libsodium cannot be initialised");
  });
}

} // namespace tenantd::crypto
